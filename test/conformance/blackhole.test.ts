// The example service while its database goes silent: every request answered within its budget, the ledger exact after.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../examples/service/app.js';
import type { Store } from '../../examples/service/store.js';
import { startTcpProxy } from '../../src/testing/faults/index.js';
import type { TcpProxy } from '../../src/testing/faults/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import type { TestEngine } from '../helpers/provided.js';
import { createTestDatabase } from '../helpers/postgres.js';

/** Each database operation's budget in these stores; a request fails with its first silent operation. */
const BUDGET_MS = 2_000;
/** What a request may take beyond that: its other, healthy steps, and a loaded 2-core CI machine. */
const MARGIN_MS = 2_500;

interface Target {
  engine: TestEngine;
  /** Opens the store through `proxy` on fresh storage; `cleanup` runs after the store closed. */
  open(url: string, proxy: TcpProxy): Promise<{ store: Store; cleanup?: () => Promise<void> }>;
}

const targets: Target[] = [
  {
    engine: 'postgres',
    open: async (url, proxy) => {
      const database = await createTestDatabase(url, 'blackhole');
      const { openPrismaStore } = await import('../../examples/service/stores/prisma-store.js');
      const store = await openPrismaStore({
        engine: 'postgres',
        url: proxy.url(database.url),
        timeoutMs: BUDGET_MS,
      });
      return { store, cleanup: () => database.drop() };
    },
  },
  {
    engine: 'dynamodb',
    open: async (url, proxy) => {
      const { openDynamoStore } = await import('../../examples/service/stores/dynamo-store.js');
      const store = await openDynamoStore({
        endpoint: proxy.url(url),
        table: uniqueName('blackhole'),
        dropOnClose: true,
        timeoutMs: BUDGET_MS,
      });
      return { store };
    },
  },
  ...(['ferretdb', 'mongo-java-server'] as const).map((engine): Target => ({
    engine,
    open: async (url, proxy) => {
      const { openMongoStore } = await import('../../examples/service/stores/mongo-store.js');
      const store = await openMongoStore({
        uri: proxy.url(url),
        database: uniqueName('blackhole'),
        dropOnClose: true,
        timeoutMs: BUDGET_MS,
      });
      return { store };
    },
  })),
];

interface Problem {
  type: string;
  status: number;
  code: string;
  detail: string;
}

for (const target of targets) {
  describeEngine(target.engine, (url) => {
    describe('example service when the database goes silent', () => {
      let proxy: TcpProxy;
      let app: FastifyInstance;
      let store: Store;
      let cleanup: (() => Promise<void>) | undefined;

      beforeAll(async () => {
        proxy = await startTcpProxy({ upstream: url });
        ({ store, cleanup } = await target.open(url, proxy));
        app = await buildApp({ store });
      });
      afterAll(async () => {
        proxy.setMode({ kind: 'forward' });
        await app.close();
        await proxy.close();
        await cleanup?.();
      });

      async function request(method: 'GET' | 'POST', path: string, body?: object, key?: string) {
        const started = performance.now();
        const res = await app.inject({
          method,
          url: path,
          ...(body === undefined ? {} : { payload: body }),
          ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }),
        });
        return { status: res.statusCode, ms: performance.now() - started, res };
      }

      it('answers every request with 503 problem details within its budget, and keeps the ledger exact', async () => {
        const owner = await request('POST', '/users', { name: 'Ada', email: `${randomUUID()}@example.com` });
        expect(owner.status).toBe(201);
        const ownerId = owner.res.json<{ id: string }>().id;
        const accounts: string[] = [];
        for (let i = 0; i < 2; i++) {
          const opened = await request('POST', '/accounts', { ownerId, balance: 1_000 });
          expect(opened.status).toBe(201);
          accounts.push(opened.res.json<{ id: string }>().id);
        }
        const [a, b] = accounts as [string, string];
        const keys = Array.from({ length: 20 }, (_, i) => `blackhole-${i}-${randomUUID()}`);
        const transfer = (key: string, i: number) =>
          request(
            'POST',
            '/transfers',
            { fromId: i % 2 === 0 ? a : b, toId: i % 2 === 0 ? b : a, amount: 10 + i },
            key,
          );

        proxy.setMode({ kind: 'blackhole' });
        const answers = await Promise.all([
          ...keys.map(transfer),
          ...Array.from({ length: 5 }, () => request('GET', `/users/${ownerId}`)),
          ...Array.from({ length: 5 }, () =>
            request('POST', '/users', { name: 'Bo', email: `${randomUUID()}@example.com` }),
          ),
          request('GET', `/accounts/${a}`),
        ]);
        for (const answer of answers) {
          if (!store.capabilities.transactions && answer.res.json<Problem>().code.startsWith('unsupported'))
            continue; // no transactions on this engine: refused before touching the database
          expect(answer.status).toBe(503);
          expect(answer.res.headers['content-type']).toContain('application/problem+json');
          const problem = answer.res.json<Problem>();
          expect(JSON.stringify(problem)).not.toMatch(
            /stack|ECONN|timeout of|MongoServer|Prisma|127\.0\.0\.1/,
          );
          expect(answer.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
        }

        proxy.setMode({ kind: 'forward' });
        if (!store.capabilities.transactions) return;
        // The clients retry every transfer with its key: each moves money at most once, and the total holds.
        const retried = await Promise.all(keys.map(transfer));
        for (const answer of retried) expect(answer.status).toBe(201);
        const again = await Promise.all(keys.map(transfer));
        expect(again.map((r) => r.res.json<{ id: string }>().id)).toEqual(
          retried.map((r) => r.res.json<{ id: string }>().id),
        );
        const balances = await Promise.all(
          [a, b].map(async (id) => (await request('GET', `/accounts/${id}`)).res.json<{ balance: number }>()),
        );
        expect(balances[0]!.balance + balances[1]!.balance).toBe(2_000);
        const net = keys.reduce((sum, _key, i) => sum + (i % 2 === 0 ? -(10 + i) : 10 + i), 0);
        expect(balances[0]!.balance).toBe(1_000 + net);
      });

      it('keeps the ledger exact when the database goes silent in the middle of transfers', async (ctx) => {
        if (!store.capabilities.transactions) ctx.skip(`${target.engine} has no multi-document transactions`);
        const owner = await request('POST', '/users', { name: 'Cy', email: `${randomUUID()}@example.com` });
        const ownerId = owner.res.json<{ id: string }>().id;
        const [a, b] = await Promise.all(
          [0, 1].map(
            async () =>
              (await request('POST', '/accounts', { ownerId, balance: 1_000 })).res.json<{ id: string }>().id,
          ),
        );
        const keys = Array.from({ length: 20 }, (_, i) => `midway-${i}-${randomUUID()}`);
        const transfer = (key: string, i: number) =>
          request(
            'POST',
            '/transfers',
            { fromId: i % 2 === 0 ? a : b, toId: i % 2 === 0 ? b : a, amount: 1 + i },
            key,
          );
        const inFlight = Promise.all(keys.map(transfer));
        await new Promise((resolve) => setTimeout(resolve, 15));
        proxy.setMode({ kind: 'blackhole' });
        const answers = await inFlight;
        // A transfer is a transaction: its budget is the connection wait plus twice an operation's.
        for (const answer of answers) {
          expect([201, 503]).toContain(answer.status);
          expect(answer.ms).toBeLessThan(4 * BUDGET_MS + MARGIN_MS);
        }
        proxy.setMode({ kind: 'forward' });
        // Clients retry a failed transfer with its key, as they should after a 503. While the
        // connections held during the black hole drain, an answer may still be a 503; never a 500,
        // which is what a connection pooled mid-transaction used to give (src/prisma/pool-guard.ts).
        const retried = await Promise.all(
          keys.map(async (key, i) => {
            let answer = await transfer(key, i);
            for (let attempt = 1; attempt < 4 && answer.status === 503; attempt++)
              answer = await transfer(key, i);
            return answer;
          }),
        );
        for (const answer of retried) expect(answer.status).toBe(201);
        const balances = await Promise.all(
          [a, b].map(async (id) =>
            (await request('GET', `/accounts/${id!}`)).res.json<{ balance: number }>(),
          ),
        );
        // Every amount differs, so a transfer applied twice (or never) would show in the balances.
        const net = keys.reduce((sum, _key, i) => sum + (i % 2 === 0 ? -(1 + i) : 1 + i), 0);
        expect(balances.map((x) => x.balance)).toEqual([1_000 + net, 1_000 - net]);
      });
    });
  });
}
