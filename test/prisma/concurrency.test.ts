// Optimistic locking and retried serializable transactions under real concurrency, on PGlite and PostgreSQL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConditionFailedError,
  NotFoundError,
  VersionConflictError,
  createInstrumentation,
} from '../../src/core/internal.js';
import type { OperationEvent } from '../../src/core/internal.js';
import { dbkitExtension } from '../../src/prisma/index.js';
import { describeEngine } from '../helpers/engines.js';
import { errorOf, openPglite, openPostgres } from './support.js';
import type { TestDb } from './support.js';

function suite(open: () => Promise<TestDb>): void {
  let db: TestDb;
  const events: OperationEvent[] = [];
  const instrumentation = createInstrumentation({ listeners: [(e) => events.push(e)] });
  let prisma: ReturnType<typeof extend>;
  function extend(d: TestDb) {
    return d.prisma.$extends(dbkitExtension({ nPlusOne: false, instrumentation }));
  }
  let ownerId: string;
  beforeAll(async () => {
    db = await open();
    prisma = extend(db);
    ownerId = (await prisma.user.create({ data: { name: 'o', email: `${randomUUID()}@x.io` } })).id;
  });
  afterAll(async () => {
    await db.close();
  });

  it('tells a version conflict (with the version found) from a missing record', async () => {
    const account = await prisma.account.create({ data: { ownerId } });
    const updated = await prisma.account.updateVersioned({
      where: { id: account.id },
      data: { balance: 5 },
      expectedVersion: 0,
    });
    expect(updated).toMatchObject({ balance: 5, version: 1 });
    const stale = await errorOf(
      prisma.account.updateVersioned({ where: { id: account.id }, data: { balance: 6 }, expectedVersion: 0 }),
    );
    expect(stale).toBeInstanceOf(VersionConflictError);
    expect(stale).toMatchObject({ expectedVersion: 0, actualVersion: 1, target: 'Account' });
    const missing = await errorOf(
      prisma.account.updateVersioned({ where: { id: 'missing' }, data: { balance: 6 }, expectedVersion: 0 }),
    );
    expect(missing).toBeInstanceOf(NotFoundError);
    const staleDelete = await errorOf(
      prisma.account.deleteVersioned({ where: { id: account.id }, expectedVersion: 0 }),
    );
    expect(staleDelete).toBeInstanceOf(VersionConflictError);
    await prisma.account.deleteVersioned({ where: { id: account.id }, expectedVersion: 1 });
    expect(await prisma.account.findUnique({ where: { id: account.id } })).toBeNull();
  });

  it('20 concurrent optimistic updaters end at the exact count', async () => {
    const account = await prisma.account.create({ data: { ownerId } });
    let conflicts = 0;
    const increment = async (): Promise<void> => {
      for (;;) {
        const current = await prisma.account.findUniqueOrThrow({ where: { id: account.id } });
        try {
          await prisma.account.updateVersioned({
            where: { id: account.id },
            data: { balance: current.balance + 1 },
            expectedVersion: current.version,
          });
          return;
        } catch (err) {
          if (!(err instanceof VersionConflictError)) throw err;
          conflicts += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, increment));
    const final = await prisma.account.findUniqueOrThrow({ where: { id: account.id } });
    expect(final).toMatchObject({ balance: 20, version: 20 });
    expect(conflicts).toBeGreaterThan(0);
  });

  it('concurrent serializable transfers conserve the total and never go negative', async () => {
    const accounts = await Promise.all(
      Array.from({ length: 4 }, () => prisma.account.create({ data: { ownerId, balance: 100 } })),
    );
    const ids = accounts.map((a) => a.id);
    events.length = 0;
    let refused = 0;
    const transfer = async (i: number): Promise<void> => {
      const from = ids[i % ids.length]!;
      const to =
        ids[(i * 7 + 1) % ids.length] === from ? ids[(i + 1) % ids.length]! : ids[(i * 7 + 1) % ids.length]!;
      const amount = 10 + ((i * 13) % 50);
      try {
        await prisma.$transactionWithRetry(
          async (tx) => {
            const source = await tx.account.findUniqueOrThrow({ where: { id: from } });
            if (source.balance < amount) throw new ConditionFailedError('insufficient funds');
            await tx.account.update({ where: { id: from }, data: { balance: source.balance - amount } });
            const target = await tx.account.findUniqueOrThrow({ where: { id: to } });
            await tx.account.update({ where: { id: to }, data: { balance: target.balance + amount } });
            await tx.transfer.create({
              data: { fromId: from, toId: to, amount, idempotencyKey: randomUUID() },
            });
          },
          {
            isolationLevel: 'Serializable',
            timeout: 20_000,
            maxWait: 10_000,
            retry: { maxAttempts: 30, baseDelayMs: 5, maxDelayMs: 200 },
          },
        );
      } catch (err) {
        if (!(err instanceof ConditionFailedError)) throw err;
        refused += 1;
      }
    };
    await Promise.all(Array.from({ length: 30 }, (_, i) => transfer(i)));
    const final = await prisma.account.findMany({ where: { id: { in: ids } } });
    expect(final.reduce((sum, a) => sum + a.balance, 0)).toBe(400);
    for (const a of final) expect(a.balance).toBeGreaterThanOrEqual(0);
    // Each balance is exactly what the recorded transfers say.
    const transfers = await prisma.transfer.findMany({ where: { fromId: { in: ids } } });
    expect(transfers.length + refused).toBe(30);
    for (const a of final) {
      const out = transfers.filter((t) => t.fromId === a.id).reduce((s, t) => s + t.amount, 0);
      const inn = transfers.filter((t) => t.toId === a.id).reduce((s, t) => s + t.amount, 0);
      expect(a.balance).toBe(100 - out + inn);
    }
    if (db.engine === 'postgres') {
      // Real contention: PostgreSQL aborted some attempts, and the retries made them succeed.
      expect(events.some((e) => e.type === 'retry' && e.operation === '$transaction')).toBe(true);
    }
  });
}

describe('[pglite] optimistic locking and transactions', () => {
  // PGlite runs one transaction at a time: transfers never conflict there, they must still add up.
  suite(() => openPglite());
});

describeEngine('postgres', (serverUrl) => {
  describe('optimistic locking and transactions', () => {
    suite(() => openPostgres(serverUrl, { max: 20 }));
  });
});
