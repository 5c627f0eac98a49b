// What a DynamoDB failure means to the caller: its kind, whether it certainly did nothing, which writes may be re-sent, and what an API client sees of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDbkitError, LimitExceededError, toProblemDetails } from '../../src/core/internal.js';
import type { OperationSpec } from '../../src/core/internal.js';
import { tx, updateParams } from '../../src/dynamo/index.js';
import { mapDynamoError } from '../../src/dynamo/errors.js';
import { deleteIsIdempotent, putIsIdempotent, updateIsIdempotent } from '../../src/dynamo/idempotency.js';
import { startFaultProxy } from '../../src/testing/faults/index.js';
import type { FaultProxy } from '../../src/testing/faults/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { defineModel, testClient } from './model.js';

const spec: OperationSpec = {
  engine: 'dynamodb',
  operation: 'update',
  target: 'app',
  kind: 'write',
  idempotent: false,
};
const aws = (name: string, extra: object = {}) =>
  Object.assign(new Error(`${name} happened`), { name, ...extra });
const sys = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('DynamoDB error classification', () => {
  it('says DynamoDB certainly did nothing only for throttling, refused connections, rejected and canceled requests', () => {
    const certain = [
      aws('ProvisionedThroughputExceededException'),
      aws('ValidationException'),
      aws('AccessDeniedException'),
      aws('TransactionCanceledException', { CancellationReasons: [{ Code: 'TransactionConflict' }] }),
      aws('TransactionConflictException'),
      sys('ECONNREFUSED'),
      sys('ENOTFOUND'),
      sys('EAI_AGAIN'),
    ];
    for (const err of certain) expect(mapDynamoError(err, spec).notApplied, String(err)).toBe(true);
    const unknown = [
      aws('InternalServerError', { $metadata: { httpStatusCode: 500 } }),
      Object.assign(aws('TimeoutError'), { code: 'ECONNRESET' }),
      Object.assign(aws('TimeoutError'), { code: 'ETIMEDOUT' }),
      aws('SomethingNew'),
    ];
    for (const err of unknown) expect(mapDynamoError(err, spec).notApplied, String(err)).toBe(false);
  });

  it('treats a refused connection as retryable and a connection timeout before connecting as not applied', () => {
    const refused = mapDynamoError(sys('ECONNREFUSED'), spec);
    expect(refused.kind).toBe('connection');
    expect(refused.retryable).toBe(true);
    const neverConnected = mapDynamoError(
      aws('TimeoutError', { message: 'the request socket did not establish a connection with the server' }),
      spec,
    );
    expect(neverConnected).toMatchObject({ kind: 'connection', notApplied: true });
  });

  it('maps an unrecognised SDK error to a non-retryable internal error (500)', () => {
    const err = mapDynamoError(aws('SomethingNew'), spec);
    expect(err.kind).toBe('internal');
    expect(err.retryable).toBe(false);
    expect(err.code).toBe('internal.SomethingNew');
    expect(toProblemDetails(err).status).toBe(500);
  });

  it('maps missing permissions and credentials to a forbidden error (403)', () => {
    for (const name of [
      'AccessDeniedException',
      'UnrecognizedClientException',
      'MissingAuthenticationToken',
    ]) {
      const err = mapDynamoError(aws(name), spec);
      expect(err.kind, name).toBe('forbidden');
      expect(toProblemDetails(err).status).toBe(403);
    }
  });

  it('reports a missing table as a server misconfiguration, never a 404', () => {
    const err = mapDynamoError(aws('ResourceNotFoundException'), spec);
    expect(isDbkitError(err, 'internal.tableNotFound')).toBe(true);
    expect(toProblemDetails(err).status).toBe(500);
  });
});

describe('which DynamoDB writes may be sent twice', () => {
  const model = defineModel('unit');
  it('re-sends a put only when unconditional', () => {
    expect(putIsIdempotent({})).toBe(true);
    expect(putIsIdempotent({ expectedVersion: 1 })).toBe(false);
    expect(putIsIdempotent({ condition: { balance: { gte: 0 } } })).toBe(false);
  });
  it('re-sends an update only when it sets fixed values on an unversioned item without a condition', () => {
    expect(updateIsIdempotent(model.Post, { set: { title: 'a' }, remove: [] }, {})).toBe(true);
    expect(updateIsIdempotent(model.Post, { set: { title: 'a' } }, { upsert: true })).toBe(true);
    expect(updateIsIdempotent(model.Post, { increment: { likes: 1 } }, {})).toBe(false);
    expect(
      updateIsIdempotent(model.Post, { set: { title: 'a' } }, { condition: { likes: { gte: 0 } } }),
    ).toBe(false);
    expect(updateIsIdempotent(model.User, { set: { name: 'a' } }, {})).toBe(false);
    expect(updateIsIdempotent(model.User, { set: { name: 'a' } }, { expectedVersion: 2 })).toBe(false);
  });
  it('re-sends a delete only when the item need not exist and nothing else is checked', () => {
    expect(deleteIsIdempotent({ mustExist: false })).toBe(true);
    expect(deleteIsIdempotent({})).toBe(false);
    expect(deleteIsIdempotent({ mustExist: false, expectedVersion: 1 })).toBe(false);
  });
  it('refuses an update whose set values alone exceed 400 KB before sending, like create and put', () => {
    let err: unknown;
    try {
      updateParams(model.Post, { userId: 'u', postId: 'p' }, { set: { title: 'x'.repeat(410 * 1024) } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LimitExceededError);
    expect((err as LimitExceededError).code).toBe('limit.itemSize');
    expect(() =>
      tx.update(model.Post, { userId: 'u', postId: 'p' }, { set: { title: 'x'.repeat(410 * 1024) } }),
    ).toThrow(LimitExceededError);
  });
});

describeEngine('dynamodb', (endpoint) => {
  const model = defineModel(uniqueName('dbkit_leak'));
  const direct = testClient(endpoint);
  let proxy: FaultProxy;
  let db: ReturnType<typeof testClient>;
  beforeAll(async () => {
    await direct.ensureTable(model.table);
    proxy = await startFaultProxy(endpoint);
    db = testClient(proxy.endpoint);
  });
  afterAll(async () => {
    db.destroy();
    await proxy.close();
    await direct.deleteTable(model.table);
    direct.destroy();
  });

  it('never shows the physical table name to an API client in a client-facing error', async () => {
    const accounts = db.entity(model.Account);
    const users = db.entity(model.User);
    await accounts.create({ id: 'leak', balance: 1 });
    const user = await users.create({ id: 'leak', email: 'l@example.com', name: 'L' });
    const caught = async (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    const errors = [
      await caught(accounts.create({ id: 'leak', balance: 1 })),
      await caught(accounts.update({ id: 'missing' }, { set: { balance: 1 } })),
      await caught(
        users.update({ id: 'leak' }, { set: { name: 'M' } }, { expectedVersion: user.version + 5 }),
      ),
      await caught(accounts.put({ id: 'leak', balance: 2 }, { condition: { balance: { gt: 100 } } })),
      await caught(
        db.transactWrite([
          tx.update(model.Account, { id: 'leak' }, { set: { balance: 0 } }, { condition: { balance: 99 } }),
        ]),
      ),
      await caught(accounts.update({ id: 'leak' }, { set: { balance: 1 }, remove: [] }, {})),
      await caught(
        db.entity(model.Post).update({ userId: 'a', postId: 'b' }, { set: { title: 'x'.repeat(500_000) } }),
      ),
    ];
    proxy.setRule((op) =>
      op === 'GetItem'
        ? { kind: 'error', type: 'ValidationException', message: `bad request for table ${model.table.name}` }
        : { kind: 'forward' },
    );
    errors.push(await caught(accounts.get({ id: 'leak' })));
    proxy.setRule(() => ({ kind: 'forward' }));
    const kinds = errors.filter((e) => e !== undefined).map((e) => (isDbkitError(e) ? e.kind : 'not dbkit'));
    expect(kinds).toEqual([
      'conflict',
      'not_found',
      'version_conflict',
      'condition_failed',
      'transaction_canceled',
      'limit_exceeded',
      'validation',
    ]);
    for (const err of errors) {
      if (err === undefined) continue;
      expect(JSON.stringify(toProblemDetails(err)), (err as Error).message).not.toContain(model.table.name);
    }
  });
});
