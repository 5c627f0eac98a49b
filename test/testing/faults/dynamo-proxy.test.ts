// The DynamoDB fault proxy in front of DynamoDB Local: lost answers, resets, hangs, throttling and cancelled transactions.
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { seededRandom, startFaultProxy, throttleShare } from '../../../src/testing/index.js';
import type { FaultProxy } from '../../../src/testing/index.js';
import { describeEngine, uniqueName } from '../../helpers/engines.js';

function client(endpoint: string): DynamoDBClient {
  // one attempt: every failure the proxy injects reaches the test instead of being retried away
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

const settle = <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

describeEngine('dynamodb', (endpoint) => {
  const TableName = uniqueName('faults');
  const direct = client(endpoint);
  let proxy: FaultProxy;
  let viaProxy: DynamoDBClient;

  const put = (id: string) =>
    viaProxy.send(new PutItemCommand({ TableName, Item: { pk: { S: id }, n: { N: '1' } } }));
  const stored = async (id: string): Promise<boolean> =>
    (await direct.send(new GetItemCommand({ TableName, Key: { pk: { S: id } }, ConsistentRead: true })))
      .Item !== undefined;

  beforeAll(async () => {
    await direct.send(
      new CreateTableCommand({
        TableName,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });
  afterAll(async () => {
    await direct.send(new DeleteTableCommand({ TableName }));
    direct.destroy();
  });
  beforeAll(async () => {
    proxy = await startFaultProxy(endpoint);
    viaProxy = client(proxy.endpoint);
  });
  afterEach(() => {
    proxy.setRule(() => ({ kind: 'forward' }));
  });
  afterAll(async () => {
    viaProxy.destroy();
    await proxy.close();
  });

  it('forwards by default and counts calls per operation', async () => {
    await put('forwarded');
    expect(await stored('forwarded')).toBe(true);
    expect(proxy.calls.get('PutItem')).toBe(1);
  });

  it('applyThenLose stores the item although the call fails with a 500', async () => {
    proxy.setRule((op) => (op === 'PutItem' ? { kind: 'applyThenLose' } : { kind: 'forward' }));
    const result = await settle(put('lost-500'));
    expect(result.ok).toBe(false);
    expect(result).toMatchObject({
      error: { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } },
    });
    expect(await stored('lost-500')).toBe(true);
    expect(proxy.applied.get('PutItem')).toBe(1);
  });

  it('applyThenLose as a reset stores the item while the client sees a dropped connection', async () => {
    proxy.setRule((op) => (op === 'PutItem' ? { kind: 'applyThenLose', as: 'reset' } : { kind: 'forward' }));
    const result = await settle(put('lost-reset'));
    expect(result.ok).toBe(false);
    expect(result).not.toHaveProperty('error.$metadata.httpStatusCode');
    expect(await stored('lost-reset')).toBe(true);
    expect(proxy.applied.get('PutItem')).toBe(1);
  });

  it('reset drops the connection without reaching DynamoDB', async () => {
    proxy.setRule((op) => (op === 'PutItem' ? { kind: 'reset' } : { kind: 'forward' }));
    const result = await settle(put('reset'));
    expect(result.ok).toBe(false);
    expect(await stored('reset')).toBe(false);
    expect(proxy.applied.get('PutItem')).toBeUndefined();
  });

  it('answers a chosen HTTP status for server-side errors', async () => {
    proxy.setRule(() => ({ kind: 'error', type: 'ServiceUnavailable' }));
    const result = await settle(put('unavailable'));
    expect(result).toMatchObject({ ok: false, error: { $metadata: { httpStatusCode: 503 } } });
    proxy.setRule(() => ({ kind: 'error', type: 'ValidationException', message: 'nope' }));
    expect(await settle(put('invalid'))).toMatchObject({
      ok: false,
      error: { name: 'ValidationException', message: 'nope', $metadata: { httpStatusCode: 400 } },
    });
    expect(await stored('unavailable')).toBe(false);
  });

  it('delay forwards the request after the given time', async () => {
    proxy.setRule((op) => (op === 'PutItem' ? { kind: 'delay', ms: 300 } : { kind: 'forward' }));
    const started = Date.now();
    await put('delayed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await stored('delayed')).toBe(true);
  });

  it('throttleShare with a seeded random throttles about half of the calls, the same ones every run', async () => {
    const outcomes = async (): Promise<boolean[]> => {
      proxy.setRule(throttleShare(0.5, { operations: ['GetItem'], random: seededRandom(2024) }));
      const results: boolean[] = [];
      for (let i = 0; i < 40; i += 1) {
        const r = await settle(viaProxy.send(new GetItemCommand({ TableName, Key: { pk: { S: 'x' } } })));
        if (!r.ok) expect(r.error).toMatchObject({ name: 'ProvisionedThroughputExceededException' });
        results.push(r.ok);
      }
      return results;
    };
    const first = await outcomes();
    const throttled = first.filter((ok) => !ok).length;
    expect(throttled).toBeGreaterThanOrEqual(12);
    expect(throttled).toBeLessThanOrEqual(28);
    expect(await outcomes()).toEqual(first);
    // operations not named are never throttled
    await put('not-throttled');
    expect(await stored('not-throttled')).toBe(true);
  });

  it('cancelTransaction fails TransactWriteItems with TransactionConflict at the given indexes and applies nothing', async () => {
    proxy.setRule((op) =>
      op === 'TransactWriteItems' ? { kind: 'cancelTransaction', conflicts: [1] } : { kind: 'forward' },
    );
    const result = await settle(
      viaProxy.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName, Item: { pk: { S: 'tx-a' } } } },
            { Put: { TableName, Item: { pk: { S: 'tx-b' } } } },
          ],
        }),
      ),
    );
    expect(result.ok).toBe(false);
    const error = (result as { error: unknown }).error;
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'None',
      'TransactionConflict',
    ]);
    expect(await stored('tx-a')).toBe(false);
    expect(await stored('tx-b')).toBe(false);
  });

  it('withhold reports the picked batch items as unprocessed and writes the others', async () => {
    proxy.setRule((op) =>
      op === 'BatchWriteItem' ? { kind: 'withhold', pick: () => [0] } : { kind: 'forward' },
    );
    const out = await viaProxy.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TableName]: ['b0', 'b1', 'b2'].map((id) => ({ PutRequest: { Item: { pk: { S: id } } } })),
        },
      }),
    );
    expect(out.UnprocessedItems?.[TableName]).toEqual([{ PutRequest: { Item: { pk: { S: 'b0' } } } }]);
    expect([await stored('b0'), await stored('b1'), await stored('b2')]).toEqual([false, true, true]);
  });

  it('hang keeps the request pending until close, which releases it without applying it', async () => {
    const hanging = await startFaultProxy(endpoint);
    const hangingClient = client(hanging.endpoint);
    try {
      hanging.setRule(() => ({ kind: 'hang' }));
      const call = settle(hangingClient.send(new PutItemCommand({ TableName, Item: { pk: { S: 'hung' } } })));
      const timer = new Promise<'pending'>((resolve) =>
        setTimeout(() => {
          resolve('pending');
        }, 500),
      );
      expect(await Promise.race([call, timer])).toBe('pending');
      const closedAt = Date.now();
      await hanging.close();
      const result = await call;
      expect(result.ok).toBe(false);
      expect(Date.now() - closedAt).toBeLessThan(1000);
      expect(await stored('hung')).toBe(false);
    } finally {
      hangingClient.destroy();
      await hanging.close();
    }
  });
});
