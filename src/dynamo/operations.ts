// Every DynamoDB operation dbkit runs, declared once (read or write, idempotent or not), and the one adapter that runs them through core's executor.
import { declareOperations, runOperation, ThrottledError } from '../core/internal.js';
import type { CallOptions, ConsumedCapacity, ExecutorConfig, Operation } from '../core/internal.js';
import { mapDynamoError, throttleRetryAfterMs } from './errors.js';
import type { ErrorContext } from './errors.js';
import type { Runtime } from './runtime.js';

/**
 * DynamoDB's operations. A write is idempotent only when sending it twice cannot apply it twice or
 * misreport it: the executor re-sends those after a lost answer and reports the others as outcome
 * unknown. Variants of one request (a guarded put, a delete that may miss) report the request's name.
 *
 * @example
 * ```ts
 * await runDynamo(runtime, dynamoOperations.get, 'app', (signal) => send(params, signal), options)
 * ```
 */
export const dynamoOperations = declareOperations('dynamodb', {
  get: { kind: 'read', idempotent: true },
  /** A put that must not find the item: a resend after a lost answer would report a false conflict. */
  create: { kind: 'write', idempotent: false },
  /** An unconditional put: the same item twice is the same item. */
  put: { kind: 'write', idempotent: true },
  /** A put guarded by a condition or an expected version, which a resend could misreport. */
  putGuarded: { kind: 'write', idempotent: false, name: 'put' },
  update: { kind: 'write', idempotent: false },
  /** An update that sets fixed values under no condition: applying it twice is applying it once. */
  updateFixed: { kind: 'write', idempotent: true, name: 'update' },
  delete: { kind: 'write', idempotent: false },
  /** A delete without conditions that may find nothing (`mustExist: false`). */
  deleteIfPresent: { kind: 'write', idempotent: true, name: 'delete' },
  query: { kind: 'read', idempotent: true },
  scan: { kind: 'read', idempotent: true },
  batchGet: { kind: 'read', idempotent: true },
  /** Puts and deletes of whole items, resent only for what DynamoDB left unprocessed. */
  batchWrite: { kind: 'write', idempotent: true },
  /** Idempotent by its ClientRequestToken, reused across dbkit's retries of one call. */
  transactWrite: { kind: 'write', idempotent: true },
  transactGet: { kind: 'read', idempotent: true },
  /** Describe, create if missing, wait, enable TTL: ends in the same table however often it runs. */
  createTable: { kind: 'write', idempotent: true },
  deleteTable: { kind: 'write', idempotent: true },
  describeTable: { kind: 'read', idempotent: true },
  describeTimeToLive: { kind: 'read', idempotent: true },
  /**
   * UpdateTable creating one GSI. Sent twice, the second would fail ("index is being created") and
   * misreport a success, so the step describes the table first and sends only while the index is
   * absent: a resend after a lost answer finds the index and ends as the first send did.
   */
  createIndex: { kind: 'write', idempotent: true, name: 'updateTable' },
  /** UpdateTimeToLive enabling TTL, checked first and "already enabled" taken as done: safe to resend. */
  enableTimeToLive: { kind: 'write', idempotent: true, name: 'updateTimeToLive' },
});

/** What one run adds to the caller's options: figures for events, and what refines its errors. */
export interface RunDetails<T> {
  /** The number of items the result holds, reported in the succeeded event. */
  count?: (result: T) => number | undefined;
  /** What the operation declared (entity, expected version, existence), for {@link mapDynamoError}. */
  errors?: ErrorContext;
}

interface CapacityLike {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/**
 * Sums DynamoDB's ConsumedCapacity (one object or a list) into the core's shape.
 *
 * @example
 * ```ts
 * sumCapacity([{ CapacityUnits: 1 }, { CapacityUnits: 2.5 }]) // { totalUnits: 3.5 }
 * ```
 */
export function sumCapacity(capacity: unknown): ConsumedCapacity | undefined {
  if (capacity === undefined || capacity === null) return undefined;
  const list = (Array.isArray(capacity) ? capacity : [capacity]) as CapacityLike[];
  const out: ConsumedCapacity = {};
  for (const c of list) {
    if (c.CapacityUnits !== undefined) out.totalUnits = (out.totalUnits ?? 0) + c.CapacityUnits;
    if (c.ReadCapacityUnits !== undefined) out.readUnits = (out.readUnits ?? 0) + c.ReadCapacityUnits;
    if (c.WriteCapacityUnits !== undefined) out.writeUnits = (out.writeUnits ?? 0) + c.WriteCapacityUnits;
  }
  return out;
}

// How long after the retry deadline the executor's timeout fires, should the deadline not end the call.
const timeoutBackstopMs = 50;

// A final throttle tells the caller when to come back; DynamoDB sends no Retry-After, so dbkit
// gives its own hint. Set on the final error only: on the errors the executor retries, the hint
// would floor every backoff delay.
function withRetryHint(err: unknown): never {
  if (err instanceof ThrottledError && err.retryAfterMs === undefined)
    (err as { retryAfterMs: number | undefined }).retryAfterMs = throttleRetryAfterMs;
  throw err;
}

// The client's executor config, with errors refined by what this operation declared.
function configFor(runtime: Runtime, errors: ErrorContext | undefined): ExecutorConfig {
  if (errors === undefined) return runtime.executor;
  return { ...runtime.executor, mapError: (err, spec) => mapDynamoError(err, spec, errors) };
}

/**
 * Runs one declared DynamoDB operation through core's `runOperation`: error refinement by
 * {@link mapDynamoError}, retries, time limit, events with consumed capacity and counts. The retry
 * policy's deadline never outlasts the operation's time limit (the call's `timeoutMs`, else the
 * client's, default 10 s), so a call that keeps being throttled ends with the {@link ThrottledError}
 * (with a `retryAfterMs` hint), not with a timeout for a request never sent.
 *
 * @example
 * ```ts
 * const out = await runDynamo(runtime, dynamoOperations.get, 'app',
 *   (signal) => runtime.document.send(new GetCommand(params), { abortSignal: signal }), options)
 * ```
 */
export function runDynamo<T>(
  runtime: Runtime,
  operation: Operation,
  target: string,
  send: (signal: AbortSignal | undefined, attempt: number) => Promise<T>,
  options: CallOptions = {},
  details: RunDetails<T> = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? runtime.timeoutMs;
  // Built field by field: this runs on every operation, and spreads followed by properties are slow in V8.
  const call: CallOptions = {};
  if (options.signal !== undefined) call.signal = options.signal;
  const policy = options.retry ?? runtime.executor.retry;
  if (policy === false) {
    call.retry = false;
    call.timeoutMs = timeoutMs;
  } else {
    // The retry deadline ends the call at its time limit, so a call cut short reports its last real
    // error (the throttle); the executor's own timeout stays as a backstop just behind it.
    if ((policy.deadlineMs ?? Infinity) > timeoutMs) call.retry = { ...policy, deadlineMs: timeoutMs };
    else if (options.retry !== undefined) call.retry = options.retry;
    call.timeoutMs = timeoutMs + timeoutBackstopMs;
  }
  const count = details.count;
  return runOperation(configFor(runtime, details.errors), operation, target, send, call, {
    describe: (result) => {
      const figures: { consumedCapacity?: ConsumedCapacity; count?: number } = {};
      const capacity = sumCapacity((result as { ConsumedCapacity?: unknown } | undefined)?.ConsumedCapacity);
      if (capacity !== undefined) figures.consumedCapacity = capacity;
      const n = count?.(result);
      if (n !== undefined) figures.count = n;
      return figures;
    },
  }).catch(withRetryHint);
}
