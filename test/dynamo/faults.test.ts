// Faults DynamoDB Local never produces, injected by a loopback proxy: unprocessed batch items, throttling and transaction conflicts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ThrottledError, TransactionCanceledError } from '../../src/core/internal.js';
import type { OperationEvent } from '../../src/core/internal.js';
import { tx, UnprocessedItemsError } from '../../src/dynamo/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startFaultProxy } from '../../src/testing/faults/index.js';
import type { FaultProxy } from '../../src/testing/faults/index.js';
import { defineModel, testClient } from './model.js';

describeEngine('dynamodb', (endpoint) => {
  const model = defineModel(uniqueName('dbkit_faults'));
  const direct = testClient(endpoint);
  let proxy: FaultProxy;
  const events: OperationEvent[] = [];
  let db: ReturnType<typeof testClient>;

  beforeAll(async () => {
    await direct.ensureTable(model.table);
    proxy = await startFaultProxy(endpoint);
    // SDK retries off here, so every retry observed is dbkit's own; and standard mode, because the
    // adaptive mode's client-side rate limiter would delay sends after a throttle by its own clock.
    db = testClient(proxy.endpoint, {
      client: new DynamoDBClient({
        endpoint: proxy.endpoint,
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
        retryMode: 'standard',
      }),
      instrumentation: { listeners: [(e) => events.push(e)] },
    });
  });
  afterAll(async () => {
    db.destroy();
    db.client.destroy();
    await proxy.close();
    await direct.deleteTable(model.table);
    direct.destroy();
  });

  it('retries UnprocessedItems until every item of a batch write lands', async () => {
    proxy.setRule((op, _body, n) =>
      op === 'BatchWriteItem' && n <= 6
        ? { kind: 'withhold', pick: (count) => Array.from({ length: Math.ceil(count / 2) }, (_, i) => i * 2) }
        : { kind: 'forward' },
    );
    const result = await db
      .entity(model.Account)
      .batchWrite({ put: Array.from({ length: 100 }, (_, i) => ({ id: `u${i}`, balance: i })) });
    expect(result.retries).toBeGreaterThan(0);
    expect(proxy.calls.get('BatchWriteItem')).toBeGreaterThan(4);
    const read = await direct
      .entity(model.Account)
      .batchGet(Array.from({ length: 100 }, (_, i) => ({ id: `u${i}` })));
    expect(read.filter((a) => a !== null)).toHaveLength(100);
  });

  it('lists exactly the items still unprocessed after the retries; the rest are written', async () => {
    proxy.setRule((op) =>
      op === 'BatchWriteItem' ? { kind: 'withhold', pick: () => [0] } : { kind: 'forward' },
    );
    const ids = Array.from({ length: 60 }, (_, i) => `w${i}`);
    const err = await db
      .entity(model.Account)
      .batchWrite({ put: ids.map((id) => ({ id, balance: 1 })) }, { concurrency: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnprocessedItemsError);
    const unprocessed = (err as UnprocessedItemsError).unprocessed;
    expect(unprocessed.map((u) => u.key.pk)).toEqual(['ACCOUNT#w0', 'ACCOUNT#w25', 'ACCOUNT#w50']);
    expect(unprocessed.every((u) => u.entity === 'Account' && u.action === 'put')).toBe(true);
    const read = await direct.entity(model.Account).batchGet(ids.map((id) => ({ id })));
    const missing = ids.filter((_, i) => read[i] === null);
    expect(missing).toEqual(['w0', 'w25', 'w50']);
  });

  it('retries UnprocessedKeys of a batch read', async () => {
    proxy.setRule((op, _body, n) =>
      op === 'BatchGetItem' && n <= 2
        ? { kind: 'withhold', pick: (count) => Array.from({ length: count - 1 }, (_, i) => i + 1) }
        : { kind: 'forward' },
    );
    const read = await db
      .entity(model.Account)
      .batchGet(Array.from({ length: 30 }, (_, i) => ({ id: `u${i}` })));
    expect(read.map((a) => a?.balance)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(proxy.calls.get('BatchGetItem')).toBe(3);
  });

  it('a throttled operation succeeds within its retries', async () => {
    proxy.setRule((op, _body, n) =>
      op === 'PutItem' && n <= 2
        ? { kind: 'error', type: 'ThrottlingException', message: 'Rate exceeded' }
        : { kind: 'forward' },
    );
    events.length = 0;
    const created = await db.entity(model.Account).create({ id: 'throttled-ok', balance: 7 });
    expect(created.balance).toBe(7);
    expect(proxy.calls.get('PutItem')).toBe(3);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'succeeded', attempts: 3 });
  });

  it('a throttled operation that stays throttled ends in the throttled error within its deadline', async () => {
    proxy.setRule((op) =>
      op === 'GetItem'
        ? { kind: 'error', type: 'ProvisionedThroughputExceededException' }
        : { kind: 'forward' },
    );
    const started = Date.now();
    const err = await db
      .entity(model.Account)
      .get({ id: 'u1' }, { retry: { maxAttempts: 50, baseDelayMs: 20, maxDelayMs: 200, deadlineMs: 800 } })
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(ThrottledError);
    expect((err as ThrottledError).retryable).toBe(true);
    expect(elapsed).toBeLessThan(800 + 250);
    expect(proxy.calls.get('GetItem')).toBeGreaterThan(2);
  });

  it('retries a transaction canceled by TransactionConflict and applies it exactly once', async () => {
    await direct.entity(model.Account).create({ id: 'tc-a', balance: 50 });
    await direct.entity(model.Account).create({ id: 'tc-b', balance: 0 });
    const conflict = {
      kind: 'error',
      type: 'TransactionCanceledException',
      message:
        'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
      extra: {
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
        ],
      },
    } as const;
    proxy.setRule((op, _body, n) => (op === 'TransactWriteItems' && n <= 2 ? conflict : { kind: 'forward' }));
    events.length = 0;
    await db.transactWrite([
      tx.update(
        model.Account,
        { id: 'tc-a' },
        { increment: { balance: -20 } },
        { condition: { balance: { gte: 20 } } },
      ),
      tx.update(model.Account, { id: 'tc-b' }, { increment: { balance: 20 } }),
    ]);
    expect(proxy.calls.get('TransactWriteItems')).toBe(3);
    expect(events.filter((e) => e.type === 'retry' && e.operation === 'transactWrite')).toHaveLength(2);
    const [a, b] = await direct.entity(model.Account).batchGet([{ id: 'tc-a' }, { id: 'tc-b' }]);
    expect([a?.balance, b?.balance]).toEqual([30, 20]);
  });

  it('never retries a transaction canceled by a failed condition, even alongside a conflict', async () => {
    proxy.setRule((op) =>
      op === 'TransactWriteItems'
        ? {
            kind: 'error',
            type: 'TransactionCanceledException',
            extra: {
              CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'TransactionConflict' }],
            },
          }
        : { kind: 'forward' },
    );
    const err = await db
      .transactWrite([
        tx.update(model.Account, { id: 'tc-a' }, { increment: { balance: -1 } }),
        tx.update(model.Account, { id: 'tc-b' }, { increment: { balance: 1 } }),
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionCanceledError);
    expect((err as TransactionCanceledError).reasons[0]).toMatchObject({
      code: 'ConditionalCheckFailed',
      entity: 'Account',
    });
    expect(proxy.calls.get('TransactWriteItems')).toBe(1);
  });
});
