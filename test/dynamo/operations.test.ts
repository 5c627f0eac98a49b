// The declared operations and the one adapter that runs them: time limits over retries, per-call retry, and failed conditions refined from what the operation declared.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  ConditionFailedError,
  ConflictError,
  createCursorCodec,
  createInstrumentation,
  NotFoundError,
  ThrottledError,
  VersionConflictError,
} from '../../src/core/internal.js';
import type { OperationEvent, RetryPolicy } from '../../src/core/internal.js';
import { mapDynamoError } from '../../src/dynamo/errors.js';
import { dynamoOperations, runDynamo } from '../../src/dynamo/operations.js';
import type { Runtime } from '../../src/dynamo/runtime.js';

function runtimeWith(retry: RetryPolicy | false, timeoutMs = 10_000): Runtime {
  const instrumentation = createInstrumentation();
  return {
    document: undefined as unknown as DynamoDBDocumentClient, // never sent to: each test passes its own send
    client: undefined as unknown as DynamoDBClient,
    executor: { instrumentation, retry, mapError: (err, spec) => mapDynamoError(err, spec), timeoutMs },
    cursors: createCursorCodec({ secret: 'operations-test-secret-operations-test' }),
    timeoutMs,
    consumedCapacity: false,
    batchConcurrency: 4,
    retry,
  };
}

const aws = (name: string, extra: object = {}): Error =>
  Object.assign(new Error(`${name} happened`), { name, ...extra });

describe('declared operations', () => {
  it('reports variants under the request they send, and declares only safe resends idempotent', () => {
    expect(dynamoOperations.putGuarded).toEqual({
      engine: 'dynamodb',
      name: 'put',
      kind: 'write',
      idempotent: false,
    });
    expect(dynamoOperations.updateFixed.name).toBe('update');
    expect(dynamoOperations.deleteIfPresent.name).toBe('delete');
    expect(dynamoOperations.create.idempotent).toBe(false);
    expect(dynamoOperations.update.idempotent).toBe(false);
    for (const op of Object.values(dynamoOperations)) {
      expect(op.engine).toBe('dynamodb');
      if (op.kind === 'read') expect(op.idempotent).toBe(true);
    }
  });
});

describe('runDynamo', () => {
  it('honours a per-call retry: false', async () => {
    const runtime = runtimeWith({ maxAttempts: 5, baseDelayMs: 1 });
    let attempts = 0;
    const err = await runDynamo(
      runtime,
      dynamoOperations.get,
      'app',
      () => {
        attempts += 1;
        return Promise.reject(aws('ThrottlingException'));
      },
      { retry: false },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottledError);
    expect(attempts).toBe(1);
  });

  it('ends a call throttled past its time limit with the throttle and a retry hint, not a timeout', async () => {
    const runtime = runtimeWith(
      { maxAttempts: 1_000, baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 60_000 },
      300,
    );
    const started = Date.now();
    const err = await runDynamo(runtime, dynamoOperations.query, 'app', () =>
      Promise.reject(aws('ProvisionedThroughputExceededException')),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottledError);
    expect((err as ThrottledError).retryAfterMs).toBe(1_000);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports the count and consumed capacity of the result in the succeeded event', async () => {
    const runtime = runtimeWith({});
    const events: OperationEvent[] = [];
    runtime.executor.instrumentation.subscribe((e) => events.push(e));
    await runDynamo(
      runtime,
      dynamoOperations.query,
      'app',
      () => Promise.resolve({ Count: 3, ConsumedCapacity: { CapacityUnits: 1.5 } }),
      {},
      { count: (r) => r.Count },
    );
    const succeeded = events.find((e) => e.type === 'succeeded');
    expect(succeeded).toMatchObject({ operation: 'query', count: 3, consumedCapacity: { totalUnits: 1.5 } });
  });

  it('refines a failed condition from what the operation declared', async () => {
    const runtime = runtimeWith(false);
    const failed = (item?: object) => () =>
      Promise.reject(aws('ConditionalCheckFailedException', item === undefined ? {} : { Item: item }));
    const entity = { entity: 'User', keyFields: ['id'] };
    const conflict = await runDynamo(
      runtime,
      dynamoOperations.create,
      'app',
      failed(),
      {},
      {
        errors: { ...entity, create: true },
      },
    ).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError).fields).toEqual(['id']);
    expect((conflict as ConflictError).code).toBe('conflict.exists');

    const missing = await runDynamo(
      runtime,
      dynamoOperations.update,
      'app',
      failed(),
      {},
      {
        errors: { ...entity, mustExist: true },
      },
    ).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);

    const stale = await runDynamo(
      runtime,
      dynamoOperations.putGuarded,
      'app',
      failed({ version: 4 }),
      {},
      {
        errors: { ...entity, expectedVersion: 3, mustExist: true },
      },
    ).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(VersionConflictError);
    expect((stale as VersionConflictError).actualVersion).toBe(4);

    const condition = await runDynamo(
      runtime,
      dynamoOperations.delete,
      'app',
      failed({ version: 3 }),
      {},
      {
        errors: { ...entity, expectedVersion: 3, mustExist: true },
      },
    ).catch((e: unknown) => e);
    expect(condition).toBeInstanceOf(ConditionFailedError);
  });
});
