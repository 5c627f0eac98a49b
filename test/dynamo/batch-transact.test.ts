// Batches and transactions on DynamoDB Local: 1,000-item writes, ordered batch reads, atomic failures and the credit-transfer scenario.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isDbkitError, TransactionCanceledError } from '../../src/core/internal.js';
import { batchDelete, batchGetKey, batchPut, tx, txGet } from '../../src/dynamo/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { defineModel, testClient } from './model.js';

describeEngine('dynamodb', (endpoint) => {
  const model = defineModel(uniqueName('dbkit_batch'));
  const db = testClient(endpoint);
  const accounts = db.entity(model.Account);

  beforeAll(async () => {
    await db.ensureTable(model.table);
  });
  afterAll(async () => {
    await db.deleteTable(model.table);
    db.destroy();
  });

  it('writes 1,000 items in batches and reads them all back', async () => {
    const result = await accounts.batchWrite({
      put: Array.from({ length: 1000 }, (_, i) => ({ id: `b${i}`, balance: i })),
    });
    expect(result.written).toBe(1000);
    const read = await accounts.batchGet(Array.from({ length: 1000 }, (_, i) => ({ id: `b${i}` })));
    expect(read).toHaveLength(1000);
    expect(read.every((a, i) => a?.balance === i)).toBe(true);
  });

  it('returns batch reads in request order, null for missing keys, reading duplicates once', async () => {
    const read = await accounts.batchGet([{ id: 'b5' }, { id: 'nope' }, { id: 'b1' }, { id: 'b5' }]);
    expect(read.map((a) => a?.balance ?? null)).toEqual([5, null, 1, 5]);
  });

  it('mixes entities and deletes in one batch', async () => {
    await db.batchWrite([
      batchPut(model.Transfer, { id: 'tr1', from: 'a', to: 'b', amount: 1 }),
      batchDelete(model.Account, { id: 'b0' }),
    ]);
    const [transfer, gone] = await db.batchGet([
      batchGetKey(model.Transfer, { id: 'tr1' }),
      batchGetKey(model.Account, { id: 'b0' }),
    ]);
    expect(transfer).toMatchObject({ amount: 1 });
    expect(gone).toBeNull();
  });

  it('a transaction whose second item fails its condition writes nothing and says which item failed', async () => {
    await accounts.create({ id: 't-a', balance: 100 });
    await accounts.create({ id: 't-b', balance: 5 });
    const err = await db
      .transactWrite([
        tx.update(model.Account, { id: 't-a' }, { increment: { balance: 50 } }),
        tx.update(
          model.Account,
          { id: 't-b' },
          { increment: { balance: -10 } },
          { condition: { balance: { gte: 10 } } },
        ),
        tx.create(model.Transfer, { id: 't-1', from: 't-b', to: 't-a', amount: 10 }),
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionCanceledError);
    const reasons = (err as TransactionCanceledError).reasons;
    expect(reasons.map((r) => r.code)).toEqual(['None', 'ConditionalCheckFailed', 'None']);
    expect(reasons[1]).toMatchObject({
      index: 1,
      entity: 'Account',
      key: { pk: 'ACCOUNT#t-b', sk: 'ACCOUNT' },
    });
    expect((err as TransactionCanceledError).retryable).toBe(false);
    const [a, b] = await db.transactGet([
      txGet(model.Account, { id: 't-a' }),
      txGet(model.Account, { id: 't-b' }),
    ]);
    expect([a, b]).toEqual([
      { id: 't-a', balance: 100 },
      { id: 't-b', balance: 5 },
    ]);
    expect(await db.entity(model.Transfer).get({ id: 't-1' })).toBeNull();
  });

  it('refuses a 101-item transaction before sending anything', async () => {
    const items = Array.from({ length: 101 }, (_, i) =>
      tx.create(model.Account, { id: `x${i}`, balance: 0 }),
    );
    const err = await db.transactWrite(items).catch((e: unknown) => e);
    expect(isDbkitError(err, 'limit.transactionItems')).toBe(true);
    expect(await accounts.get({ id: 'x0' })).toBeNull();
  });

  it('applies a transaction once when retried with the same idempotency token', async () => {
    await accounts.create({ id: 'idem', balance: 0 });
    const items = [tx.update(model.Account, { id: 'idem' }, { increment: { balance: 1 } })];
    // Tokens live for 10 minutes across tables, so each run needs its own.
    const token = uniqueName('idem');
    await db.transactWrite(items, { token });
    await db.transactWrite(items, { token });
    expect((await accounts.get({ id: 'idem' }))?.balance).toBe(1);
  });

  it('concurrent credit transfers never leave a negative balance and conserve the total', async () => {
    const ids = ['alice', 'bob', 'carol', 'dave'];
    await db.batchWrite(ids.map((id) => batchPut(model.Account, { id: `cr-${id}`, balance: 100 })));
    let done = 0;
    let refused = 0;
    const transfer = async (n: number): Promise<void> => {
      const from = `cr-${ids[n % 4]!}`;
      const to = `cr-${ids[(n * 7 + 1) % 4]!}`;
      if (from === to) return;
      const amount = 10 + ((n * 13) % 60);
      try {
        await db.transactWrite([
          tx.update(
            model.Account,
            { id: from },
            { increment: { balance: -amount } },
            { condition: { balance: { gte: amount } } },
          ),
          tx.update(model.Account, { id: to }, { increment: { balance: amount } }),
          tx.create(model.Transfer, { id: `cr-t${n}`, from, to, amount }),
        ]);
        done += 1;
      } catch (err) {
        if (!(err instanceof TransactionCanceledError)) throw err;
        refused += 1;
      }
    };
    await Promise.all(Array.from({ length: 60 }, (_, n) => transfer(n)));
    const balances = await db.transactGet(ids.map((id) => txGet(model.Account, { id: `cr-${id}` })));
    const values = balances.map((b) => (b as { balance: number }).balance);
    expect(values.every((v) => v >= 0)).toBe(true);
    expect(values.reduce((s, v) => s + v, 0)).toBe(400);
    expect(done).toBeGreaterThan(0);
    expect(done + refused).toBeLessThanOrEqual(60);
  });
});
