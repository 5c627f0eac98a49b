// Reliability of dbkit/prisma under network and server faults: deadlines kept, no acknowledged write lost, none applied twice, every error typed.
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ConditionFailedError,
  ConnectionError,
  DbkitError,
  OutcomeUnknownError,
  TimeoutError,
} from '../../src/core/internal.js';
import { createPrisma, dbkitExtension } from '../../src/prisma/index.js';
import { describeEngine } from '../helpers/engines.js';
import { PrismaClient } from '../prisma/generated/client/client.js';
import { errorOf, openPglite, openPostgres } from '../prisma/support.js';
import type { TestDb } from '../prisma/support.js';
import { startTcpProxy } from '../prisma/tcp-proxy.js';
import type { TcpProxy } from '../prisma/tcp-proxy.js';

/** Deadlines of these tests: short, so each scenario takes seconds. Margin: scheduling on 2 busy cores. */
const OPERATION_MS = 2_000;
const MARGIN_MS = 1_500;
const TX = { maxWait: 500, timeout: 1_000 } as const;
const TX_LIMIT_MS = TX.maxWait + TX.timeout + 1_000; // maxWait + timeout + dbkit's margin
const POOL_TIMEOUTS = { connectionTimeoutMillis: 800, query_timeout: 1_500, statement_timeout: 1_000 };

/** A sleep trigger: a Session whose token is `sleep:<seconds>` takes that long to insert. */
const SLEEP_TRIGGER_SQL = `
CREATE FUNCTION sleep_on_token() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.token LIKE 'sleep:%' THEN PERFORM pg_sleep(substr(NEW.token, 7)::float); END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER sleep_on_token BEFORE INSERT ON "Session" FOR EACH ROW EXECUTE FUNCTION sleep_on_token();`;

let clientCount = 0;

/** A managed client through `proxy`, with the pool as docs/prisma.md shows it plus test-sized limits. */
function managed(url: string, max = 4) {
  const pool = new pg.Pool({ connectionString: url, max });
  clientCount += 1;
  const db = createPrisma({
    name: `reliability-${clientCount}`,
    adapter: new PrismaPg(pool),
    pool,
    onClose: () => pool.end(),
    create: (options) => new PrismaClient(options),
    extend: (base, dbkit) => base.$extends(dbkit),
    shutdownSignals: false,
    slowQueryMs: false,
    poolTimeouts: POOL_TIMEOUTS,
    extension: { timeoutMs: OPERATION_MS, nPlusOne: false },
  });
  return { db, pool };
}

/** Runs `op` and returns how it settled and how long it took. */
async function timed(op: () => PromiseLike<unknown>) {
  const started = performance.now();
  try {
    const value = await op();
    return { ok: true as const, value, ms: performance.now() - started };
  } catch (error) {
    return { ok: false as const, error, ms: performance.now() - started };
  }
}

/** A write failure the caller can act on: certainly not applied, or explicitly of unknown outcome. */
function expectHonestWriteFailure(error: unknown): void {
  expect(error).toBeInstanceOf(DbkitError);
  const err = error as DbkitError;
  if (err instanceof OutcomeUnknownError) return;
  expect({ name: err.name, code: err.code, notApplied: err.notApplied }).toMatchObject({ notApplied: true });
}

function passThroughScenarios(open: () => Promise<TestDb>): void {
  let db: TestDb;
  let prisma: ReturnType<typeof extend>;
  const extend = (d: TestDb) => d.prisma.$extends(dbkitExtension({ nPlusOne: false }));
  beforeAll(async () => {
    db = await open();
    prisma = extend(db);
  });
  afterAll(async () => {
    await db.close();
  });

  it('rethrows the callback’s own error from $transactionWithRetry as the same object, without retrying', async () => {
    class MyError extends Error {}
    const mine = new MyError('business rule');
    let calls = 0;
    const err = await errorOf(
      prisma.$transactionWithRetry(async (tx) => {
        calls += 1;
        await tx.user.count();
        throw mine;
      }),
    );
    expect(err).toBe(mine);
    expect(calls).toBe(1);
  });

  it('lets a ConditionFailedError raised by business logic through untouched', async () => {
    const refusal = new ConditionFailedError('insufficient funds');
    const err = await errorOf(prisma.$transactionWithRetry(() => Promise.reject(refusal)));
    expect(err).toBe(refusal);
  });

  it('still retries a transaction the database rolled back (serialization failure)', async () => {
    const owner = await prisma.user.create({ data: { name: 'o', email: `${randomUUID()}@x.io` } });
    const token = `ok-${randomUUID()}`;
    const attempts: number[] = [];
    await prisma.$transactionWithRetry(async (tx, attempt) => {
      attempts.push(attempt);
      const value = attempt === 1 ? 'raise:40001' : token;
      await tx.session.create({ data: { userId: owner.id, token: value, expiresAt: new Date() } });
    });
    expect(attempts).toEqual([1, 2]);
    expect(await prisma.session.count({ where: { token } })).toBe(1);
  });
}

describe('[pglite] reliability', () => {
  passThroughScenarios(() => openPglite({ trigger: true }));
  it.skip('network faults and statement timeouts: PGlite is in-process (no network) and cannot interrupt a running statement', () =>
    undefined);
});

describeEngine('postgres', (serverUrl) => {
  describe('reliability', () => {
    passThroughScenarios(() => openPostgres(serverUrl, { trigger: true }));
  });

  describe('reliability under network faults', () => {
    let base: TestDb;
    let proxy: TcpProxy;
    const clients: { close(): Promise<void> }[] = [];
    beforeAll(async () => {
      base = await openPostgres(serverUrl);
      await base.sql(SLEEP_TRIGGER_SQL);
      proxy = await startTcpProxy(Number(new URL(base.url ?? serverUrl).port));
    });
    afterEach(async () => {
      proxy.setMode('forward');
      proxy.setCutRule(undefined);
      proxy.dropAll();
      await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    });
    afterAll(async () => {
      await proxy.close();
      await base.close();
    });
    const open = (max?: number) => {
      const made = managed(proxy.url(base.url ?? ''), max);
      clients.push(made.db);
      return made.db.client;
    };
    const seedUser = async () =>
      (
        await base.sql(
          `INSERT INTO "User" (id, name, email, "updatedAt") VALUES ($1, 'u', $2, now()) RETURNING id`,
          [randomUUID(), `${randomUUID()}@x.io`],
        )
      )[0]?.id as string;

    it('ends every operation on a black-holed database within its deadline with a typed error', async () => {
      const prisma = open(2);
      const userId = await seedUser();
      // Warm the pool, so live connections stall as well as new ones.
      await Promise.all([prisma.user.findUnique({ where: { id: userId } }), prisma.user.count()]);
      proxy.setMode('blackhole');
      const ops: [string, number, () => PromiseLike<unknown>][] = [
        ['findUnique', OPERATION_MS, () => prisma.user.findUnique({ where: { id: userId } })],
        [
          'create',
          OPERATION_MS,
          () => prisma.user.create({ data: { name: 'n', email: `${randomUUID()}@x.io` } }),
        ],
        ['update', OPERATION_MS, () => prisma.user.update({ where: { id: userId }, data: { name: 'm' } })],
        ['paginate', OPERATION_MS, () => prisma.user.paginate({ orderBy: [{ id: 'asc' }], limit: 5 })],
        [
          '$transactionWithRetry',
          TX_LIMIT_MS,
          () => prisma.$transactionWithRetry((tx) => tx.user.count(), TX),
        ],
      ];
      const results = await Promise.all(
        ops.map(async ([name, limit, op]) => ({ name, limit, ...(await timed(op)) })),
      );
      for (const r of results) {
        expect({ name: r.name, ok: r.ok }).toEqual({ name: r.name, ok: false });
        expect(r.error, r.name).toBeInstanceOf(DbkitError);
        expect(r.ms, r.name).toBeLessThan(r.limit + MARGIN_MS);
      }
      for (const r of results.filter((x) => ['create', 'update'].includes(x.name)))
        expectHonestWriteFailure(r.error);
    });

    it('ends a transaction whose network goes silent mid-callback or at COMMIT by maxWait + timeout + 1 s', async () => {
      // Client-side limits far above the transaction's, so only $transactionWithRetry's own bound acts.
      const pool = new pg.Pool({ connectionString: proxy.url(base.url ?? ''), max: 2 });
      clientCount += 1;
      const made = createPrisma({
        name: `reliability-${clientCount}`,
        adapter: new PrismaPg(pool),
        pool,
        onClose: () => pool.end(),
        create: (options) => new PrismaClient(options),
        extend: (b, dbkit) => b.$extends(dbkit),
        shutdownSignals: false,
        slowQueryMs: false,
        poolTimeouts: { query_timeout: 20_000, statement_timeout: 19_000 },
        extension: { timeoutMs: 20_000, nPlusOne: false },
      });
      clients.push(made);
      const prisma = made.client;
      const limits = { maxWait: 500, timeout: 500 };
      const bound = limits.maxWait + limits.timeout + 1_000;
      await prisma.user.count();

      const midCallback = await timed(() =>
        prisma.$transactionWithRetry(async (tx) => {
          await tx.user.count();
          proxy.setMode('blackhole');
          return tx.user.count();
        }, limits),
      );
      expect(midCallback.error).toBeInstanceOf(TimeoutError);
      // COMMIT was never sent: the caller may safely run it again.
      expect(midCallback.error).toMatchObject({ code: 'timeout.transaction', notApplied: true });
      expect(midCallback.ms).toBeLessThan(bound + MARGIN_MS);

      proxy.setMode('forward');
      proxy.dropAll();
      const again = managed(proxy.url(base.url ?? ''), 2);
      clients.push(again.db);
      await again.db.client.user.count();
      const email = `${randomUUID()}@x.io`;
      proxy.setCutRule((sql) => (sql.includes('COMMIT') ? 'hold' : undefined));
      const atCommit = await timed(() =>
        again.db.client.$transactionWithRetry((tx) => tx.user.create({ data: { name: 'c', email } }), {
          maxWait: 500,
          timeout: 1_500,
        }),
      );
      expect(atCommit.error).toBeInstanceOf(OutcomeUnknownError);
      expect(atCommit.ms).toBeLessThan(500 + 1_500 + 1_000 + MARGIN_MS);
    });

    it('reports a connect timeout as a ConnectionError that sent nothing, not as outcome unknown', async () => {
      proxy.setMode('blackhole');
      const prisma = open(2);
      const email = `${randomUUID()}@x.io`;
      const r = await timed(() => prisma.user.create({ data: { name: 'n', email } }));
      expect(r.ok).toBe(false);
      expect(r.error).toBeInstanceOf(ConnectionError);
      expect(r.error).toMatchObject({ code: 'connection.timeout', notApplied: true, retryable: true });
      expect(r.ms).toBeLessThan(POOL_TIMEOUTS.connectionTimeoutMillis + MARGIN_MS);
      proxy.setMode('forward');
      expect(await base.sql('SELECT 1 FROM "User" WHERE email = $1', [email])).toHaveLength(0);
    });

    it('a burst of 50 creates with cut connections: every acknowledged row stored once, failures honest', async () => {
      const prisma = open(4);
      const authorId = await seedUser();
      let inserts = 0;
      // Every 3rd INSERT reaches the server and its answer is lost; every 7th never leaves.
      proxy.setCutRule((sql) => {
        if (!sql.includes('INSERT INTO')) return undefined;
        inserts += 1;
        return inserts % 7 === 0 ? 'before' : inserts % 3 === 0 ? 'after' : undefined;
      });
      const keys = Array.from({ length: 50 }, (_, i) => `burst-${i}-${randomUUID()}`);
      const results = await Promise.all(
        keys.map(async (title) => ({
          title,
          ...(await timed(() => prisma.post.create({ data: { authorId, title } }))),
        })),
      );
      proxy.setCutRule(undefined);
      const rows = await base.sql(
        'SELECT title, count(*)::int AS n FROM "Post" WHERE "authorId" = $1 GROUP BY title',
        [authorId],
      );
      const stored = new Map(rows.map((r) => [r['title'] as string, r['n'] as number]));
      expect(proxy.cuts.after).toBeGreaterThan(0);
      for (const r of results) {
        expect(stored.get(r.title) ?? 0).toBeLessThanOrEqual(1);
        expect(r.ms).toBeLessThan(OPERATION_MS + MARGIN_MS);
        if (r.ok) expect(stored.get(r.title), r.title).toBe(1);
        else {
          expectHonestWriteFailure(r.error);
          if ((r.error as DbkitError).notApplied) expect(stored.has(r.title), r.title).toBe(false);
        }
      }
      // A cut after the INSERT reached the server is reported as such.
      const unknown = results.filter((r) => !r.ok && r.error instanceof OutcomeUnknownError);
      expect(unknown.length).toBeGreaterThan(0);
      expect(unknown.every((r) => !(r.error as DbkitError).retryable)).toBe(true);
    });

    it('an INSERT ... RETURNING sent through $queryRaw whose answer is lost is OutcomeUnknownError, not a read error', async () => {
      const prisma = open(2);
      await prisma.user.count();
      const email = `${randomUUID()}@x.io`;
      proxy.setCutRule((sql) => (sql.includes('INSERT INTO') ? 'after' : undefined));
      const r = await timed(
        () =>
          prisma.$queryRaw`INSERT INTO "User" (id, name, email, "updatedAt") VALUES (${randomUUID()}, 'r', ${email}, now()) RETURNING id`,
      );
      proxy.setCutRule(undefined);
      expect(r.error).toBeInstanceOf(OutcomeUnknownError);
      // It did land: reporting it as a plain (retryable) connection failure would invite a double write.
      expect(await base.sql('SELECT 1 FROM "User" WHERE email = $1', [email])).toHaveLength(1);
    });

    it('a create whose backend is killed mid-INSERT comes back as OutcomeUnknownError', async () => {
      const prisma = open(2);
      const userId = await seedUser();
      const token = 'sleep:1';
      const pending = timed(() => prisma.session.create({ data: { userId, token, expiresAt: new Date() } }));
      await new Promise((r) => setTimeout(r, 300));
      await base.sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO%Session%' AND pid <> pg_backend_pid()`,
      );
      const r = await pending;
      expect(r.ok).toBe(false);
      expect(r.error).toBeInstanceOf(OutcomeUnknownError);
      expect(r.error).toMatchObject({ retryable: false, cause: { kind: 'connection' } });
    });

    it('a statement timeout ends a slow write with a TimeoutError that says it was not applied', async () => {
      const prisma = open(2);
      const userId = await seedUser();
      const token = 'sleep:3';
      const r = await timed(() => prisma.session.create({ data: { userId, token, expiresAt: new Date() } }));
      expect(r.error).toBeInstanceOf(TimeoutError);
      expect(r.error).toMatchObject({ code: 'timeout.statement', notApplied: true });
      expect(r.ms).toBeLessThan(POOL_TIMEOUTS.statement_timeout + MARGIN_MS);
      expect(await base.sql('SELECT 1 FROM "Session" WHERE token = $1', [token])).toHaveLength(0);
    });

    it('concurrent transfers with cut connections keep the ledger total exact', async () => {
      const prisma = open(4);
      const ownerId = await seedUser();
      const accounts = await Promise.all(
        Array.from({ length: 8 }, () => prisma.account.create({ data: { ownerId, balance: 1_000 } })),
      );
      const ids = accounts.map((acc) => acc.id);
      let commits = 0;
      let transferInserts = 0;
      // Every 4th COMMIT is executed and its answer lost; every 5th transfer INSERT never leaves.
      proxy.setCutRule((sql) => {
        if (sql.includes('COMMIT')) return ++commits % 4 === 0 ? 'after' : undefined;
        if (sql.includes('INSERT INTO') && sql.includes('"Transfer"'))
          return ++transferInserts % 5 === 0 ? 'before' : undefined;
        return undefined;
      });
      const transfers = Array.from({ length: 20 }, (_, i) => ({
        key: `t-${i}-${randomUUID()}`,
        from: ids[i % 8] ?? '',
        to: ids[(i + 3) % 8] ?? '',
        amount: 10 + i,
      }));
      const limits = { maxWait: 3_000, timeout: 2_000 };
      const results = await Promise.all(
        transfers.map(async (t) => ({
          ...t,
          ...(await timed(() =>
            prisma.$transactionWithRetry(
              async (tx) => {
                await tx.account.update({
                  where: { id: t.from },
                  data: { balance: { decrement: t.amount } },
                });
                await tx.account.update({ where: { id: t.to }, data: { balance: { increment: t.amount } } });
                await tx.transfer.create({
                  data: { fromId: t.from, toId: t.to, amount: t.amount, idempotencyKey: t.key },
                });
              },
              { ...limits, isolationLevel: 'Serializable' },
            ),
          )),
        })),
      );
      proxy.setCutRule(undefined);
      const landed = new Set(
        (await base.sql('SELECT "idempotencyKey" AS k FROM "Transfer"')).map((r) => r['k'] as string),
      );
      for (const r of results) {
        expect(r.ms).toBeLessThan(limits.maxWait + limits.timeout + 1_000 + MARGIN_MS);
        if (r.ok) expect(landed.has(r.key), r.key).toBe(true);
        else {
          expectHonestWriteFailure(r.error);
          if ((r.error as DbkitError).notApplied) expect(landed.has(r.key), r.key).toBe(false);
        }
      }
      // Both kinds of fault happened, and some transfers still went through.
      expect(results.some((r) => r.ok)).toBe(true);
      expect(results.some((r) => !r.ok && r.error instanceof OutcomeUnknownError)).toBe(true);
      const rows = await base.sql('SELECT id, balance FROM "Account" WHERE id = ANY($1)', [ids]);
      const expected = new Map(ids.map((id) => [id, 1_000]));
      for (const t of transfers.filter((x) => landed.has(x.key))) {
        expected.set(t.from, (expected.get(t.from) ?? 0) - t.amount);
        expected.set(t.to, (expected.get(t.to) ?? 0) + t.amount);
      }
      expect(new Map(rows.map((r) => [r['id'] as string, r['balance'] as number]))).toEqual(expected);
      expect(rows.reduce((sum, r) => sum + (r['balance'] as number), 0)).toBe(8_000);
    });
  });
});
