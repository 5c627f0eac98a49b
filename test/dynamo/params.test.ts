// Every operation is built before it is sent: the request params, checked here without a network.
import { describe, expect, it } from 'vitest';
import {
  batchPut,
  batchWriteParams,
  createParams,
  createTableParams,
  deleteParams,
  getParams,
  putParams,
  queryParams,
  scanParams,
  transactWriteParams,
  tx,
  updateParams,
} from '../../src/dynamo/index.js';
import { mapDynamoError } from '../../src/dynamo/errors.js';
import type { ScanOptions } from '../../src/dynamo/index.js';
import { isDbkitError, TransactionCanceledError } from '../../src/core/internal.js';
import { z } from 'zod';
import { defineEntity } from '../../src/dynamo/index.js';
import { defineModel } from './model.js';

const { table, User, Post, Account, Counter } = defineModel('params_app');
const now = '2025-01-01T00:00:00.000Z';

/** Substitutes placeholders back, to assert expressions as a reader would write them. */
function render(
  expression: string | undefined,
  p: {
    ExpressionAttributeNames?: Record<string, string> | undefined;
    ExpressionAttributeValues?: Record<string, unknown> | undefined;
  },
): string {
  return (expression ?? '')
    .replace(/#n\d+/g, (m) => p.ExpressionAttributeNames?.[m] ?? m)
    .replace(/:v\d+/g, (m) => JSON.stringify(p.ExpressionAttributeValues?.[m]));
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('single-item params', () => {
  it('create stores keys, GSI keys, the entity name, version and timestamps, guarded by attribute_not_exists', () => {
    const p = createParams(User, { id: '1', email: 'ada@example.com', name: 'Ada' }, { now });
    expect(p.Item).toEqual({
      id: '1',
      email: 'ada@example.com',
      name: 'Ada',
      status: 'active',
      tags: [],
      logins: 0,
      pk: 'USER#1',
      sk: 'PROFILE',
      gsi1pk: 'EMAIL#ada@example.com',
      gsi1sk: 'USER',
      _entity: 'User',
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    expect(p.ConditionExpression).toBe('attribute_not_exists(#n0)');
    expect(p.ExpressionAttributeNames).toEqual({ '#n0': 'pk' });
  });

  it('create validates with the schema before anything is sent', () => {
    const err = caught(() => createParams(User, { id: '1', email: 'a', name: 3 } as never));
    expect(isDbkitError(err, 'validation')).toBe(true);
  });

  it('get is consistent only when asked', () => {
    expect(getParams(User, { id: '1' })).toEqual({
      TableName: 'params_app',
      Key: { pk: 'USER#1', sk: 'PROFILE' },
    });
    expect(getParams(User, { id: '1' }, { consistent: true }).ConsistentRead).toBe(true);
  });

  it('a versioned update checks and bumps the version in the same write and requires the item', () => {
    const p = updateParams(User, { id: '1' }, { set: { name: 'Ada L.' } }, { expectedVersion: 3, now });
    expect(render(p.UpdateExpression, p)).toBe(`SET name = "Ada L.", updatedAt = "${now}", version = 4`);
    expect(render(p.ConditionExpression, p)).toBe('(attribute_exists(pk)) AND (version = 3)');
    expect(p.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('an update of an attribute in a GSI template recomputes that index key', () => {
    const p = updateParams(User, { id: '1' }, { set: { email: 'new@example.com' } }, { now });
    const names = p.ExpressionAttributeNames ?? {};
    const values = p.ExpressionAttributeValues ?? {};
    const setGsi = Object.entries(names).find(([, n]) => n === 'gsi1pk');
    expect(setGsi).toBeDefined();
    expect(Object.values(values)).toContain('EMAIL#new@example.com');
  });

  it('refuses updating key or managed attributes', () => {
    expect(
      isDbkitError(
        caught(() => updateParams(Post, { userId: 'u', postId: 'p' }, { set: { postId: 'q' } })),
        'update.keyAttribute',
      ),
    ).toBe(true);
    expect(
      isDbkitError(
        caught(() => updateParams(User, { id: '1' }, { set: { version: 9 } })),
        'update.managedAttribute',
      ),
    ).toBe(true);
  });

  it('put with expectedVersion writes version + 1 under a version condition', () => {
    const p = putParams(Counter, { id: 'c', value: 1 }, { expectedVersion: 4 });
    expect(p.Item?.version).toBe(5);
    expect(p.ConditionExpression).toBe('#n0 = :v0');
    expect(p.ExpressionAttributeValues).toEqual({ ':v0': 4 });
  });

  it('expectedVersion on an unversioned entity is a validation error', () => {
    expect(
      isDbkitError(
        caught(() => deleteParams(Post, { userId: 'u', postId: 'p' }, { expectedVersion: 1 })),
        'version.notVersioned',
      ),
    ).toBe(true);
  });

  it('refuses a schema attribute that collides with a key attribute', () => {
    const Clash = defineEntity(table, {
      name: 'Clash',
      schema: z.object({ id: z.string(), gsi1pk: z.string() }),
      key: { pk: 'CLASH#{id}', sk: 'C' },
    });
    expect(
      isDbkitError(
        caught(() => createParams(Clash, { id: 'a', gsi1pk: 'forged' })),
        'item.keyAttribute',
      ),
    ).toBe(true);
  });

  it('an unversioned update without a version guard only requires the item to exist', () => {
    const p = updateParams(Post, { userId: 'u', postId: 'p' }, { increment: { likes: 1 } });
    expect(render(p.UpdateExpression, p)).toBe('SET likes = if_not_exists(likes, 0) + 1');
    expect(render(p.ConditionExpression, p)).toBe('attribute_exists(pk)');
    expect(
      updateParams(Post, { userId: 'u', postId: 'p' }, { increment: { likes: 1 } }, { upsert: true })
        .ConditionExpression,
    ).toBeUndefined();
  });
});

describe('query params', () => {
  it('reads only the entity by its sort-key prefix when no sort condition is given', () => {
    const { params } = queryParams(Post, { partition: { userId: 'u1' }, order: 'desc', limit: 20 });
    expect(params).toMatchObject({
      KeyConditionExpression: '#n0 = :v0 AND begins_with(#n1, :v1)',
      ExpressionAttributeValues: { ':v0': 'USER#u1', ':v1': 'POST#' },
      ScanIndexForward: false,
      Limit: 20,
    });
  });

  it('uses equality for a constant sort key and queries GSIs by their templates', () => {
    const { params } = queryParams(User, { index: 'gsi1', partition: { email: 'a@b.c' } });
    expect(params).toMatchObject({
      IndexName: 'gsi1',
      KeyConditionExpression: '#n0 = :v0 AND #n1 = :v1',
      ExpressionAttributeValues: { ':v0': 'EMAIL#a@b.c', ':v1': 'USER' },
    });
  });

  it('compiles every sort-key comparison from template attributes', () => {
    const cases = [
      [{ eq: { postId: '5' } }, '#n1 = :v1', ['POST#5']],
      [{ beginsWith: { postId: '1' } }, 'begins_with(#n1, :v1)', ['POST#1']],
      [{ between: [{ postId: '1' }, { postId: '3' }] }, '#n1 BETWEEN :v1 AND :v2', ['POST#1', 'POST#3']],
      [{ lt: { postId: '3' } }, '#n1 < :v1', ['POST#3']],
      [{ gte: { postId: '3' } }, '#n1 >= :v1', ['POST#3']],
    ] as const;
    for (const [sort, expr, values] of cases) {
      const { params } = queryParams(Post, { partition: { userId: 'u' }, sort });
      expect(params.KeyConditionExpression).toBe(`#n0 = :v0 AND ${expr}`);
      expect(Object.values(params.ExpressionAttributeValues ?? {}).slice(1)).toEqual(values);
    }
  });

  it('binds cursors to the key condition, filter and direction', () => {
    const a = queryParams(Post, { partition: { userId: 'u1' } }).binding;
    const b = queryParams(Post, { partition: { userId: 'u2' } }).binding;
    const c = queryParams(Post, { partition: { userId: 'u1' }, order: 'desc' }).binding;
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('caps the page size', () => {
    expect(queryParams(Post, { partition: { userId: 'u' }, limit: 50_000 }).params.Limit).toBe(1000);
  });
});

describe('scan, batches and transactions', () => {
  it('refuses a scan without the explicit opt-in', () => {
    expect(
      isDbkitError(
        caught(() => scanParams(table, {} as ScanOptions)),
        'scan.notAllowed',
      ),
    ).toBe(true);
    expect(scanParams(User, { allowScan: true, segment: 1, totalSegments: 4 }).params).toMatchObject({
      Segment: 1,
      TotalSegments: 4,
      FilterExpression: '#n0 = :v0',
    });
  });

  it('chunks batch writes by 25 and refuses duplicates', () => {
    const writes = Array.from({ length: 60 }, (_, i) => batchPut(Account, { id: String(i), balance: i }));
    expect(batchWriteParams(writes).map((p) => p.RequestItems?.params_app?.length)).toEqual([25, 25, 10]);
    expect(
      isDbkitError(
        caught(() => batchWriteParams([writes[0]!, writes[0]!])),
        'batch.duplicateKey',
      ),
    ).toBe(true);
  });

  it('refuses a 101-item transaction before sending', () => {
    const items = Array.from({ length: 101 }, (_, i) => tx.create(Account, { id: String(i), balance: 0 }));
    const err = caught(() => transactWriteParams(items));
    expect(isDbkitError(err, 'limit.transactionItems')).toBe(true);
    expect(err).toMatchObject({ max: 100, actual: 101 });
  });

  it('refuses two actions on the same item in one transaction', () => {
    const err = caught(() =>
      transactWriteParams([
        tx.update(Account, { id: 'a' }, { increment: { balance: 1 } }),
        tx.check(Account, { id: 'a' }, { balance: { gte: 0 } }),
      ]),
    );
    expect(isDbkitError(err, 'limit.transactionItemUnique')).toBe(true);
  });

  it('refuses a transaction over 4 MB', () => {
    const { Odd } = defineModel('params_big');
    const big = 'x'.repeat(390 * 1024);
    const items = Array.from({ length: 11 }, (_, i) =>
      tx.put(Odd, { id: String(i), name: big, status: 's', data: 'd', count: 1 }),
    );
    expect(
      isDbkitError(
        caught(() => transactWriteParams(items)),
        'limit.transactionSize',
      ),
    ).toBe(true);
  });

  it('creates the table on demand with its GSIs', () => {
    const p = createTableParams(table);
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'gsi1',
      Projection: { ProjectionType: 'ALL' },
    });
    expect(p.AttributeDefinitions?.map((a) => a.AttributeName).sort()).toEqual([
      'gsi1pk',
      'gsi1sk',
      'pk',
      'sk',
    ]);
  });
});

describe('error mapping', () => {
  const spec = {
    engine: 'dynamodb',
    operation: 'put',
    target: 'app',
    kind: 'write',
    idempotent: true,
  } as const;
  const aws = (name: string, extra: object = {}) =>
    Object.assign(new Error(`${name} happened`), { name, ...extra });

  it('maps throttling to a retryable throttled error, keeping the cause', () => {
    for (const name of [
      'ProvisionedThroughputExceededException',
      'ThrottlingException',
      'RequestLimitExceeded',
    ]) {
      const original = aws(name);
      const err = mapDynamoError(original, spec);
      expect(err.kind).toBe('throttled');
      expect(err.retryable).toBe(true);
      expect(err.cause).toBe(original);
    }
  });

  // Was "keeps AWS message on ValidationException": a validation message reaches API clients, so it
  // no longer carries the driver's text (kept as the cause); a missing table is now an internal error.
  it('names the table on ResourceNotFound (internal) and keeps the AWS message of a ValidationException as the cause only', () => {
    const missing = mapDynamoError(aws('ResourceNotFoundException'), spec);
    expect(missing.message).toContain('"app"');
    expect(missing.kind).toBe('internal');
    const original = aws('ValidationException');
    const v = mapDynamoError(original, spec);
    expect(v.kind).toBe('validation');
    expect(v.message).toBe('DynamoDB rejected the put request as invalid');
    expect(v.cause).toBe(original);
  });

  it('retries a cancellation only when every failed reason is a conflict or throttle', () => {
    const conflict = mapDynamoError(
      aws('TransactionCanceledException', {
        CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
      }),
      spec,
    );
    const condition = mapDynamoError(
      aws('TransactionCanceledException', {
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'TransactionConflict' }],
      }),
      spec,
    );
    expect(conflict).toBeInstanceOf(TransactionCanceledError);
    expect(conflict.retryable).toBe(true);
    expect(condition.retryable).toBe(false);
    expect(condition instanceof TransactionCanceledError ? condition.reasons.map((r) => r.code) : []).toEqual(
      ['ConditionalCheckFailed', 'TransactionConflict'],
    );
  });
});
