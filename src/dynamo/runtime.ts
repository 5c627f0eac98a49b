// What every operation needs from the client: the DocumentClient, the executor config, cursors and defaults; plus `run`, which sends through core's `execute`.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { execute, ThrottledError, ValidationError } from '../core/internal.js';
import type {
  ConsumedCapacity,
  CursorBinding,
  CursorCodec,
  ExecuteOptions,
  ExecutorConfig,
  OperationSpec,
  RetryPolicy,
} from '../core/internal.js';
import { throttleRetryAfterMs } from './errors.js';

/** Per-call options every operation accepts. */
export interface CallOptions {
  /** Cancels the operation (and its retries). */
  signal?: AbortSignal;
  /** Time limit for the operation including retries, in ms. Overrides the client default (10 s). */
  timeoutMs?: number;
  /** Overrides the client's retry policy for this call; `false` turns dbkit's retries off. */
  retry?: RetryPolicy | false;
}

/** The client internals operations run on. */
export interface Runtime {
  readonly document: DynamoDBDocumentClient;
  readonly client: DynamoDBClient;
  readonly executor: ExecutorConfig;
  readonly cursors: CursorCodec;
  /** Time limit of one operation including retries, in ms (default {@link defaultTimeoutMs}). */
  readonly timeoutMs: number;
  /** Ask DynamoDB for consumed capacity and report it in events. */
  readonly consumedCapacity: boolean;
  /** Parallel requests for batch operations. */
  readonly batchConcurrency: number;
  /** Retry policy for unprocessed batch items and retryable transaction cancellations. */
  readonly retry: RetryPolicy | false;
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

/** Adds `ReturnConsumedCapacity: 'TOTAL'` when the client asks for capacity. */
export function withCapacity<P extends object>(runtime: Runtime, params: P): P {
  return runtime.consumedCapacity ? Object.assign({}, params, { ReturnConsumedCapacity: 'TOTAL' }) : params;
}

/** Default time limit of one operation including its retries, when neither the client nor the call sets one. */
export const defaultTimeoutMs = 10_000;

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

/**
 * Runs one DynamoDB request through core's executor: error mapping, retries, timeout, events. The
 * retry policy's deadline never outlasts the operation's time limit (the call's `timeoutMs`, else
 * the client's, default 10 s), so a call that keeps being throttled ends with the
 * {@link ThrottledError} (with a `retryAfterMs` hint), not with a timeout for a request never sent.
 *
 * @example
 * ```ts
 * const out = await run(runtime, spec, (signal) => runtime.document.send(new GetCommand(params), { abortSignal: signal }), options)
 * ```
 */
export function run<T>(
  runtime: Runtime,
  spec: OperationSpec,
  send: (signal: AbortSignal | undefined, attempt: number) => Promise<T>,
  options: CallOptions = {},
  count?: (result: T) => number | undefined,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? runtime.timeoutMs;
  // Built field by field: this runs on every operation, and spreads followed by properties are slow in V8.
  const executeOptions: ExecuteOptions<T> = {
    describe: (result) => {
      const figures: { consumedCapacity?: ConsumedCapacity; count?: number } = {};
      const capacity = sumCapacity((result as { ConsumedCapacity?: unknown } | undefined)?.ConsumedCapacity);
      if (capacity !== undefined) figures.consumedCapacity = capacity;
      const n = count?.(result);
      if (n !== undefined) figures.count = n;
      return figures;
    },
  };
  if (options.signal !== undefined) executeOptions.signal = options.signal;
  const policy = options.retry ?? runtime.executor.retry;
  if (policy === false) {
    executeOptions.timeoutMs = timeoutMs;
  } else {
    // The retry deadline ends the call at its time limit, so a call cut short reports its last real
    // error (the throttle); the executor's own timeout stays as a backstop just behind it.
    if ((policy.deadlineMs ?? Infinity) > timeoutMs)
      executeOptions.retry = { ...policy, deadlineMs: timeoutMs };
    else if (options.retry !== undefined) executeOptions.retry = options.retry;
    executeOptions.timeoutMs = timeoutMs + timeoutBackstopMs;
  }
  return execute(runtime.executor, spec, send, executeOptions).catch(withRetryHint);
}

/** The operation spec for a DynamoDB operation. */
export function spec(
  operation: string,
  target: string,
  kind: 'read' | 'write',
  idempotent: boolean,
): OperationSpec {
  return { engine: 'dynamodb', operation, target, kind, idempotent };
}

/**
 * Opens a cursor into an ExclusiveStartKey, checking it is a map of string or number key values
 * (the codec has already checked signature, binding and expiry).
 *
 * @example
 * ```ts
 * params.ExclusiveStartKey = decodeKey(runtime, cursor, binding)
 * ```
 */
export function decodeKey(runtime: Runtime, cursor: string, binding: CursorBinding): Record<string, unknown> {
  return openKey(runtime.cursors, cursor, binding);
}

/**
 * {@link decodeKey} on a bare codec, for callers without a dbkit client (a Dynamoose model's
 * cursors): the decoded position must be a non-empty map of string or number key values.
 *
 * @example
 * ```ts
 * const startKey = openKey(createCursorCodec({ secret }), cursor, { source: 'app' })
 * ```
 */
export function openKey(
  cursors: CursorCodec,
  cursor: string,
  binding: CursorBinding,
): Record<string, unknown> {
  const position = cursors.decode(cursor, binding);
  if (position !== null && typeof position === 'object' && !Array.isArray(position)) {
    const entries = Object.entries(position as Record<string, unknown>);
    if (entries.length > 0 && entries.every(([, v]) => typeof v === 'string' || typeof v === 'number'))
      return position as Record<string, unknown>;
  }
  throw new ValidationError(
    [{ path: ['cursor'], message: 'The pagination cursor does not hold a key.', code: 'cursor.malformed' }],
    {
      engine: 'dynamodb',
      code: 'cursor.malformed',
    },
  );
}
