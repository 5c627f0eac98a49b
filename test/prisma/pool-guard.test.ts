// A transaction abandoned on a silent network must stay rolled back: its connection is closed, never reused.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma } from '../../src/prisma/index.js';
import { unsafeToReuse } from '../../src/prisma/pool-guard.js';
import { startTcpProxy } from '../../src/testing/faults/index.js';
import type { TcpProxy } from '../../src/testing/faults/index.js';
import { describeEngine } from '../helpers/engines.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { PrismaClient } from './generated/client/client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('unsafeToReuse', () => {
  const client = (fields: object) => ({ end: () => undefined, ...fields });
  it('accepts an idle connection and refuses one inside a transaction or with a statement in flight', () => {
    expect(unsafeToReuse(client({ getTransactionStatus: () => 'I' }))).toBeUndefined();
    expect(unsafeToReuse(client({ getTransactionStatus: () => 'T' }))).toMatch(/transaction still open/);
    expect(unsafeToReuse(client({ getTransactionStatus: () => 'E' }))).toMatch(/transaction still open/);
    expect(unsafeToReuse(client({ _txStatus: 'T' }))).toMatch(/status T/); // pg before getTransactionStatus()
    expect(unsafeToReuse(client({ _txStatus: 'I', _activeQuery: {} }))).toMatch(/waiting for its answer/);
    expect(unsafeToReuse(client({ _txStatus: 'I', _queryQueue: [{}] }))).toMatch(/queued/);
    // older pg (8.16): no transaction status, and the fields without their underscore
    expect(unsafeToReuse(client({ activeQuery: null, queryQueue: [] }))).toBeUndefined();
    expect(unsafeToReuse(client({ activeQuery: {}, queryQueue: [] }))).toMatch(/waiting for its answer/);
    expect(unsafeToReuse(client({ activeQuery: null, queryQueue: [{}] }))).toMatch(/queued/);
  });
});

describeEngine('postgres', (serverUrl) => {
  describe('createPrisma closes a connection handed back mid-transaction', () => {
    let database: TestDatabase;
    let direct: pg.Client;
    let proxy: TcpProxy;

    beforeAll(async () => {
      database = await createTestDatabase(serverUrl, 'poolguard');
      direct = new pg.Client({ connectionString: database.url });
      await direct.connect();
      await direct.query('CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL)');
      proxy = await startTcpProxy({ upstream: database.url });
    });
    afterAll(async () => {
      proxy.setMode({ kind: 'forward' });
      await direct.end();
      await proxy.close();
      await database.drop();
    });

    const balances = async () =>
      (await direct.query<{ balance: number }>('SELECT balance FROM acct ORDER BY id')).rows.map(
        (r) => r.balance,
      );

    // One connection, so the second transaction gets the first one's connection if the pool keeps it.
    const adapters: [string, (url: string) => { adapter: PrismaPg; onClose?: () => Promise<void> }][] = [
      [
        'new PrismaPg(pool)',
        (url) => {
          const pool = new pg.Pool({ connectionString: url, max: 1, query_timeout: 400 });
          return { adapter: new PrismaPg(pool), onClose: () => pool.end() };
        },
      ],
      [
        'new PrismaPg(config)',
        (url) => ({ adapter: new PrismaPg({ connectionString: url, max: 1, query_timeout: 400 }) }),
      ],
    ];
    for (const [label, build] of adapters) {
      it(`keeps a transaction whose ROLLBACK never got through rolled back (${label})`, async () => {
        await direct.query('TRUNCATE acct');
        await direct.query('INSERT INTO acct VALUES (1, 1000), (2, 1000)');
        const db = createPrisma({
          ...build(proxy.url(database.url)),
          create: (options) => new PrismaClient(options),
          name: `pool-guard-${label}`,
          shutdownSignals: false,
          poolTimeouts: false,
        });
        try {
          const prisma = db.base;
          await expect(
            prisma.$transaction(
              async (tx) => {
                await tx.$executeRawUnsafe('UPDATE acct SET balance = balance - 5 WHERE id = 1');
                proxy.setMode({ kind: 'blackhole' });
                await tx.$executeRawUnsafe('UPDATE acct SET balance = balance + 5 WHERE id = 2');
              },
              { timeout: 5_000, maxWait: 2_000 },
            ),
          ).rejects.toThrow();
          // The ROLLBACK queued behind the held statement times out unsent; then the network comes back.
          await sleep(1_000);
          proxy.setMode({ kind: 'forward' });
          await prisma.$transaction(async (tx) => tx.$executeRawUnsafe('SELECT 1'), {
            timeout: 5_000,
            maxWait: 3_000,
          });
          await sleep(200);
          expect(await balances()).toEqual([1000, 1000]);
        } finally {
          proxy.setMode({ kind: 'forward' });
          await db.close();
        }
      });
    }
  });
});
