// Who re-sends what on DynamoDB: lost answers, throttling, black holes and refused connections, injected by a loopback proxy in front of DynamoDB Local.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect, it, onTestFinished } from 'vitest';
import {
  ConnectionError,
  DbkitError,
  OutcomeUnknownError,
  ThrottledError,
  TimeoutError,
  VersionConflictError,
} from '../../src/core/internal.js';
import { createDynamoClient, tx, UnprocessedItemsError } from '../../src/dynamo/index.js';
import type { DynamoClientOptions } from '../../src/dynamo/index.js';
import type { FaultRule } from '../../src/testing/faults/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { defineModel } from './model.js';
import { proxiedDynamo } from './proxied.js';

const only =
  (operation: string, action: ReturnType<FaultRule>, when: (n: number) => boolean = () => true): FaultRule =>
  (op, _body, n) =>
    op === operation && when(n) ? action : { kind: 'forward' };

/** A port nothing listens on: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

async function settle<T>(promise: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

describeEngine('dynamodb', (endpoint) => {
  const model = defineModel(uniqueName('dbkit_retry'));
  const t = proxiedDynamo(endpoint, model, { retry: { baseDelayMs: 5, maxDelayMs: 50 } });
  const { direct } = t;
  const viaProxy = (options: DynamoClientOptions = {}) => t.viaProxy(options);

  it('never lets the SDK re-send an increment whose answer was lost: outcome unknown, applied once', async () => {
    await direct.entity(model.Post).create({ userId: 'r1', postId: 'p', title: 't', likes: 0 });
    t.proxy.setRule(only('UpdateItem', { kind: 'applyThenLose' }, (n) => n === 1));
    const db = viaProxy();
    const { error } = await settle(
      db.entity(model.Post).update({ userId: 'r1', postId: 'p' }, { increment: { likes: 1 } }),
    );
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(t.proxy.calls.get('UpdateItem')).toBe(1);
    expect((await direct.entity(model.Post).get({ userId: 'r1', postId: 'p' }))?.likes).toBe(1);
  });

  it('keeps the SDK of a client the caller passes from re-sending, without changing that client', async () => {
    await direct.entity(model.Post).create({ userId: 'r2', postId: 'p', title: 't', likes: 0 });
    const sdk = new DynamoDBClient({
      endpoint: t.proxy.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 3,
      retryMode: 'adaptive',
    });
    const db = viaProxy({ client: sdk });
    t.proxy.setRule(only('UpdateItem', { kind: 'applyThenLose', as: 'reset' }, (n) => n === 1));
    const { error } = await settle(
      db.entity(model.Post).update({ userId: 'r2', postId: 'p' }, { increment: { likes: 1 } }),
    );
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(t.proxy.calls.get('UpdateItem')).toBe(1);
    expect((await direct.entity(model.Post).get({ userId: 'r2', postId: 'p' }))?.likes).toBe(1);
    // the caller's own client still retries what the caller sends through it
    t.proxy.setRule(only('DescribeTable', { kind: 'error', type: 'InternalServerError' }, (n) => n === 1));
    const { DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
    await sdk.send(new DescribeTableCommand({ TableName: model.table.name }));
    expect(t.proxy.calls.get('DescribeTable')).toBe(2);
    sdk.destroy();
  });

  it('re-sends an unconditional put whose answer was lost and succeeds with one item', async () => {
    t.proxy.setRule(only('PutItem', { kind: 'applyThenLose' }, (n) => n === 1));
    const db = viaProxy();
    const saved = await db.entity(model.Account).put({ id: 'idem-put', balance: 5 });
    expect(saved.balance).toBe(5);
    expect(t.proxy.calls.get('PutItem')).toBe(2);
    expect(t.proxy.applied.get('PutItem')).toBe(1);
    expect(await direct.entity(model.Account).get({ id: 'idem-put' })).toMatchObject({ balance: 5 });
  });

  it('re-sends an update that only sets fixed values', async () => {
    await direct.entity(model.Post).create({ userId: 'r3', postId: 'p', title: 'old', likes: 3 });
    t.proxy.setRule(only('UpdateItem', { kind: 'applyThenLose', as: 'reset' }, (n) => n === 1));
    const post = await viaProxy()
      .entity(model.Post)
      .update({ userId: 'r3', postId: 'p' }, { set: { title: 'new' } });
    expect(post).toMatchObject({ title: 'new', likes: 3 });
    expect(t.proxy.calls.get('UpdateItem')).toBe(2);
  });

  it('reports outcome unknown, not a false version conflict, when a versioned update loses its answer', async () => {
    const created = await direct.entity(model.Counter).create({ id: 'vc', value: 1 });
    t.proxy.setRule(only('UpdateItem', { kind: 'applyThenLose' }, (n) => n === 1));
    const { error } = await settle(
      viaProxy()
        .entity(model.Counter)
        .update({ id: 'vc' }, { set: { value: 2 } }, { expectedVersion: created.version }),
    );
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error).not.toBeInstanceOf(VersionConflictError);
    expect(await direct.entity(model.Counter).get({ id: 'vc' })).toMatchObject({ value: 2, version: 2 });
  });

  it('reports outcome unknown, not a false not-found, when a delete that must find its item loses its answer', async () => {
    await direct.entity(model.Account).create({ id: 'del', balance: 1 });
    t.proxy.setRule(only('DeleteItem', { kind: 'applyThenLose' }, (n) => n === 1));
    const { error } = await settle(viaProxy().entity(model.Account).delete({ id: 'del' }));
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(await direct.entity(model.Account).get({ id: 'del' })).toBeNull();
  });

  it('ends a call throttled until its time limit with the ThrottledError and a retry hint, never a timeout', async () => {
    await direct.entity(model.Account).create({ id: 'thr', balance: 1 });
    t.proxy.setRule(only('GetItem', { kind: 'error', type: 'ProvisionedThroughputExceededException' }));
    const db = viaProxy({ timeoutMs: 1_000, retry: { maxAttempts: 100, baseDelayMs: 20, maxDelayMs: 200 } });
    const { error, ms } = await settle(db.entity(model.Account).get({ id: 'thr' }));
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterMs).toBeGreaterThan(0);
    expect(ms).toBeLessThan(1_000 + 500);
    expect(t.proxy.calls.get('GetItem')).toBeGreaterThan(2);
  });

  it('settles every operation on a black-holed endpoint by its time limit, with the typed error for its kind', async () => {
    await direct.entity(model.Account).create({ id: 'bh', balance: 1 });
    t.proxy.setRule(() => ({ kind: 'hang' }));
    const db = viaProxy({ timeoutMs: 600 });
    const accounts = db.entity(model.Account);
    const cases: [string, Promise<unknown>, new (...args: never[]) => DbkitError][] = [
      ['get', accounts.get({ id: 'bh' }), TimeoutError],
      ['query', accounts.query({ partition: { id: 'bh' } }), TimeoutError],
      ['put', accounts.put({ id: 'bh', balance: 2 }), TimeoutError],
      ['update', accounts.update({ id: 'bh' }, { increment: { balance: 1 } }), OutcomeUnknownError],
      ['batchWrite', accounts.batchWrite({ put: [{ id: 'bh1', balance: 1 }] }), UnprocessedItemsError],
      [
        'transactWrite',
        db.transactWrite([tx.update(model.Account, { id: 'bh' }, { increment: { balance: 1 } })]),
        TimeoutError,
      ],
    ];
    const results = await Promise.all(cases.map(([, p]) => settle(p)));
    results.forEach(({ error, ms }, i) => {
      const [name, , type] = cases[i] ?? [];
      expect(error, name).toBeInstanceOf(type);
      expect(ms, name).toBeLessThan(600 + 500);
    });
    const batch = results[4]?.error as UnprocessedItemsError;
    expect(batch.kind).toBe('outcome_unknown');
    expect(batch.unknown.map((u) => u.key.pk)).toEqual(['ACCOUNT#bh1']);
  });

  it('reports a refused connection as a retryable ConnectionError that certainly did nothing', async () => {
    const db = createDynamoClient({
      local: `http://127.0.0.1:${await closedPort()}`,
      retry: { maxAttempts: 2, baseDelayMs: 5 },
      timeoutMs: 2_000,
    });
    onTestFinished(() => {
      db.destroy();
    });
    const { error } = await settle(
      db.entity(model.Post).update({ userId: 'x', postId: 'y' }, { increment: { likes: 1 } }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retryable).toBe(true);
    expect((error as ConnectionError).notApplied).toBe(true);
  });

  it('sorts every item of a batch write cut mid-way into written, unknown and unprocessed, as the table shows', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `bw${i}`);
    // chunk 1 lands, chunk 2 is applied but its answer lost on every attempt, chunk 3 never starts
    t.proxy.setRule(only('BatchWriteItem', { kind: 'applyThenLose' }, (n) => n >= 2));
    const { error } = await settle(
      viaProxy()
        .entity(model.Account)
        .batchWrite({ put: ids.map((id) => ({ id, balance: 1 })) }, { concurrency: 1 }),
    );
    expect(error).toBeInstanceOf(UnprocessedItemsError);
    const report = error as UnprocessedItemsError;
    expect(report.kind).toBe('outcome_unknown');
    expect(report.cause).toBeInstanceOf(DbkitError);
    const idsOf = (list: readonly { key: Record<string, unknown> }[]) =>
      list.map((u) => String(u.key.pk).replace('ACCOUNT#', ''));
    expect(idsOf(report.written)).toEqual(ids.slice(0, 25));
    expect(idsOf(report.unknown)).toEqual(ids.slice(25, 50));
    expect(idsOf(report.unprocessed)).toEqual(ids.slice(50));
    const stored = await direct.entity(model.Account).batchGet(ids.map((id) => ({ id })));
    const present = ids.filter((_, i) => stored[i] !== null);
    // here the lost answers were applied; the report could not know, the table does
    expect(present).toEqual(ids.slice(0, 50));
  });

  it('reports the keys a batch read could not read as unprocessed, and those it read as read', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `bg${i}`);
    t.proxy.setRule(only('BatchGetItem', { kind: 'error', type: 'InternalServerError' }, (n) => n >= 2));
    const { error } = await settle(
      viaProxy({ retry: { maxAttempts: 2, baseDelayMs: 5 } })
        .entity(model.Account)
        .batchGet(
          ids.map((id) => ({ id })),
          { concurrency: 1 },
        ),
    );
    expect(error).toBeInstanceOf(UnprocessedItemsError);
    const report = error as UnprocessedItemsError;
    expect(report.read).toHaveLength(100);
    expect(report.unprocessed).toHaveLength(50);
    expect(report.unknown).toHaveLength(0);
    expect(report.kind).toBe('transient');
  });
});
