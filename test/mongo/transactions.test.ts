// withTransaction: the seed's credit transfer, retries that neither skip nor double a write, and no fallback without one.
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { z } from 'zod';
import { TransactionCanceledError, UnsupportedError } from '../../src/core/internal.js';
import { defineCollection, mongoRepository, withTransaction } from '../../src/mongo/index.js';
import type { MongoConnection, MongoRepository, TransactionContext } from '../../src/mongo/index.js';
import { mongoSuite } from './support.js';

const Accounts = defineCollection({
  name: 'accounts',
  schema: z.object({ owner: z.string(), balance: z.number().int().nonnegative() }),
  version: true,
  mapId: true,
});
const Transfers = defineCollection({
  name: 'transfers',
  schema: z.object({ fromId: z.string(), toId: z.string(), amount: z.number().int().positive() }),
  timestamps: true,
  mapId: true,
});

class InsufficientFundsError extends Error {
  override readonly name = 'InsufficientFundsError';
  constructor(
    readonly accountId: string,
    readonly amount: number,
  ) {
    super(`account ${accountId} cannot pay ${amount}`);
  }
}

/** The seed's credit transfer: check the balance, debit, credit, record the transfer, all or nothing. */
async function transferCredits(
  mongo: MongoConnection,
  repos: { accounts: MongoRepository<typeof Accounts>; transfers: MongoRepository<typeof Transfers> },
  fromId: string,
  toId: string,
  amount: number,
): Promise<string> {
  return withTransaction(mongo, async (tx) => {
    const accounts = tx.use(repos.accounts);
    const sender = await accounts.findById(fromId);
    if (!sender || sender.balance < amount) throw new InsufficientFundsError(fromId, amount);
    await accounts.update(fromId, { $inc: { balance: -amount } }, { returnDocument: false });
    await accounts.update(toId, { $inc: { balance: amount } }, { returnDocument: false });
    const transfer = await tx.use(repos.transfers).create({ fromId, toId, amount });
    return transfer.id;
  });
}

mongoSuite('transactions', (env) => {
  let accounts: MongoRepository<typeof Accounts>;
  let transfers: MongoRepository<typeof Transfers>;
  let ids: string[] = [];

  beforeAll(() => {
    accounts = mongoRepository(env().mongo, Accounts);
    transfers = mongoRepository(env().mongo, Transfers);
  });

  beforeEach(async () => {
    await accounts.deleteMany({}, { allowEmptyFilter: true });
    await transfers.deleteMany({}, { allowEmptyFilter: true });
    ids = [];
    for (const owner of ['ann', 'ben', 'cat']) ids.push((await accounts.create({ owner, balance: 100 })).id);
  });

  const total = async (): Promise<number> =>
    (await accounts.findMany({})).reduce((sum, a) => sum + a.balance, 0);
  const requireTransactions = (t: { skip: (condition: boolean, note?: string) => void }): void => {
    const { caps } = env();
    t.skip(
      !caps.transactions,
      `${caps.flavor} (${caps.topology}) has no multi-document transactions; needs a MongoDB replica set or sharded cluster (set MONGODB_URI)`,
    );
  };

  it('refuses to run without transaction support instead of running the writes bare', async (t) => {
    const { mongo, caps } = env();
    t.skip(caps.transactions, 'this deployment supports transactions');
    let ran = false;
    const err = await withTransaction(mongo, async () => {
      ran = true;
      await accounts.update(ids[0] ?? '', { $inc: { balance: -1 } });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as UnsupportedError).message).toMatch(/replica set or sharded cluster/);
    expect(ran).toBe(false);
    await expect(
      transferCredits(mongo, { accounts, transfers }, ids[0] ?? '', ids[1] ?? '', 10),
    ).rejects.toBeInstanceOf(UnsupportedError);
    expect(await total()).toBe(300);
    expect(await transfers.count({})).toBe(0);
  });

  it('moves credits and records the transfer', async (t) => {
    requireTransactions(t);
    const [ann = '', ben = ''] = ids;
    const transferId = await transferCredits(env().mongo, { accounts, transfers }, ann, ben, 30);
    expect((await accounts.findById(ann))?.balance).toBe(70);
    expect((await accounts.findById(ben))?.balance).toBe(130);
    expect(await transfers.findById(transferId)).toMatchObject({ fromId: ann, toId: ben, amount: 30 });
  });

  it('passes the caller’s own error through unchanged and writes nothing', async (t) => {
    requireTransactions(t);
    const [ann = '', ben = ''] = ids;
    await expect(transferCredits(env().mongo, { accounts, transfers }, ann, ben, 500)).rejects.toBeInstanceOf(
      InsufficientFundsError,
    );
    expect(await total()).toBe(300);
    expect(await transfers.count({})).toBe(0);
  });

  it('conserves the total under concurrent transfers and never overdraws', async (t) => {
    requireTransactions(t);
    const moves = Array.from(
      { length: 24 },
      (_, i) => [ids[i % 3] ?? '', ids[(i + 1) % 3] ?? '', 15 + (i % 4) * 10] as const,
    );
    const outcomes = await Promise.allSettled(
      moves.map(([from, to, amount]) =>
        transferCredits(env().mongo, { accounts, transfers }, from, to, amount),
      ),
    );
    const done = outcomes.filter((o) => o.status === 'fulfilled').length;
    for (const o of outcomes)
      if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(InsufficientFundsError);
    expect(await total()).toBe(300);
    expect((await accounts.findMany({})).every((a) => a.balance >= 0)).toBe(true);
    expect(await transfers.count({})).toBe(done);
  });

  it('retries the callback after a write conflict without skipping or doubling a write, from fresh reads', async (t) => {
    requireTransactions(t);
    const { mongo } = env();
    const [ann = '', ben = ''] = ids;
    const seen: { attempt: number; balance: number | undefined }[] = [];
    let firstAttempt: TransactionContext | undefined;
    await withTransaction(mongo, async (tx) => {
      const txAccounts = tx.use(accounts);
      const sender = await txAccounts.findById(ann);
      seen.push({ attempt: tx.attempt, balance: sender?.balance });
      if (tx.attempt === 1) {
        firstAttempt = tx;
        // Another writer commits a change to the same document after this attempt's snapshot.
        await accounts.update(ann, { $inc: { balance: 5 } }, { returnDocument: false });
      }
      // Attempt 1 now hits a WriteConflict (TransientTransactionError); the driver runs the callback again.
      await txAccounts.update(ann, { $inc: { balance: -10 } }, { returnDocument: false });
      await txAccounts.update(ben, { $inc: { balance: 10 } }, { returnDocument: false });
      await tx.use(transfers).create({ fromId: ann, toId: ben, amount: 10 });
    });
    expect(seen.map((s) => s.attempt)).toEqual([1, 2]);
    // The second attempt read the other writer's change: nothing from attempt 1 leaked into it.
    expect(seen).toEqual([
      { attempt: 1, balance: 100 },
      { attempt: 2, balance: 105 },
    ]);
    expect((await accounts.findById(ann))?.balance).toBe(95);
    expect((await accounts.findById(ben))?.balance).toBe(110);
    expect(await transfers.count({})).toBe(1);
    // A repository bound to the failed attempt cannot be used afterwards.
    const stale = firstAttempt?.use(accounts);
    await expect(stale?.findById(ann)).rejects.toBeInstanceOf(TransactionCanceledError);
  });
});
