// The declared Mongo operations and their adapter: what each declares, and what runMongo adds to core's runOperation.
import { MongoNetworkError } from 'mongodb';
import { describe, expect, it, vi } from 'vitest';
import { ConnectionError, createInstrumentation } from '../../src/core/internal.js';
import type { ExecutorConfig } from '../../src/core/internal.js';
import type { RepoContext } from '../../src/mongo/context.js';
import { mapMongoError } from '../../src/mongo/errors.js';
import { mongoOperations, runMongo } from '../../src/mongo/operations.js';

function fakeContext(inTransaction: boolean | undefined): RepoContext {
  const executor: ExecutorConfig = {
    instrumentation: createInstrumentation(),
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    timeoutMs: 2_000,
    mapError: (err, spec) => mapMongoError(err, { operation: spec.operation, target: spec.target }),
  };
  return {
    connection: { assertOpen: vi.fn() },
    assertUsable: vi.fn(),
    session: inTransaction === undefined ? undefined : { inTransaction: () => inTransaction },
    executor,
    definition: { name: 'posts' },
  } as unknown as RepoContext;
}

// Fails before anything was sent, so even a write is retried when retries are on.
const refused = (): Promise<never> =>
  Promise.reject(Object.assign(new MongoNetworkError('connect ECONNREFUSED'), { beforeHandshake: true }));

describe('mongoOperations', () => {
  it('declares what docs/failure-semantics.md states for every operation', () => {
    const declared = Object.fromEntries(
      Object.entries(mongoOperations).map(([key, o]) => [key, `${o.name} ${o.kind} ${o.idempotent}`]),
    );
    expect(declared).toEqual({
      create: 'create write false',
      findById: 'findById read true',
      findOne: 'findOne read true',
      findMany: 'findMany read true',
      exists: 'exists read true',
      count: 'count read true',
      estimatedCount: 'estimatedCount read true',
      paginate: 'paginate read true',
      aggregate: 'aggregate read true',
      explain: 'explain read true',
      updateIdempotent: 'update write true',
      update: 'update write false',
      updateMany: 'updateMany write false',
      delete: 'delete write false',
      deleteMany: 'deleteMany write false',
      bulkWrite: 'bulkWrite write false',
      syncIndexes: 'syncIndexes write true',
      transaction: 'transaction write false',
    });
  });
});

describe('runMongo', () => {
  it('refuses a closed connection or an ended transaction view before sending', async () => {
    const ctx = fakeContext(undefined);
    const assertOpen = vi.spyOn(ctx.connection, 'assertOpen');
    const assertUsable = vi.spyOn(ctx, 'assertUsable');
    await expect(runMongo(ctx, 'count', () => Promise.resolve(1))).resolves.toBe(1);
    expect(assertOpen).toHaveBeenCalledWith('count');
    expect(assertUsable).toHaveBeenCalledOnce();
  });

  it('refines a driver error once, through the executor, naming operation and collection', async () => {
    const err = await runMongo(fakeContext(undefined), 'updateIdempotent', refused, { retry: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ operation: 'update', target: 'posts', notApplied: true });
  });

  it("retries by the client's policy, and honours the call's retry option", async () => {
    const fn = vi.fn(refused);
    await expect(runMongo(fakeContext(undefined), 'count', fn)).rejects.toBeInstanceOf(ConnectionError);
    expect(fn).toHaveBeenCalledTimes(3);
    fn.mockClear();
    await expect(runMongo(fakeContext(undefined), 'count', fn, { retry: false })).rejects.toBeInstanceOf(
      ConnectionError,
    );
    expect(fn).toHaveBeenCalledTimes(1);
    fn.mockClear();
    await expect(
      runMongo(fakeContext(undefined), 'count', fn, { retry: { maxAttempts: 2, baseDelayMs: 1 } }),
    ).rejects.toBeInstanceOf(ConnectionError);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('never retries a single statement inside a transaction, whatever the call asks', async () => {
    const fn = vi.fn(refused);
    await expect(
      runMongo(fakeContext(true), 'count', fn, { retry: { maxAttempts: 5, baseDelayMs: 1 } }),
    ).rejects.toBeInstanceOf(ConnectionError);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
