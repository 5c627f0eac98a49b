// The one place an engine operation runs: error mapping, retry policy, timeout, events and telemetry.
import { DbkitError, InternalError, OutcomeUnknownError, TimeoutError } from './errors.js';
import type { ErrorKind } from './errors.js';
import type { OperationSpec, Instrumentation, ConsumedCapacity } from './events.js';
import { retry } from './retry.js';
import type { RetryPolicy } from './retry.js';
import { tracerTelemetry } from './telemetry.js';
import type { Telemetry, TracerLike } from './telemetry.js';

// Engine modules name the tracer type where they take it; it lives in telemetry.ts.
export type { SpanLike, TracerLike } from './telemetry.js';

/** What an engine client hands the executor once, at construction. */
export interface ExecutorConfig {
  instrumentation: Instrumentation;
  /** Default retry policy for this client; `false` turns dbkit's retries off. */
  retry: RetryPolicy | false;
  /** Maps a driver error into dbkit's taxonomy; must return a DbkitError for anything it recognises. */
  mapError: (err: unknown, spec: OperationSpec) => DbkitError;
  /**
   * Spans and the `db.client.operation.duration` histogram by the OpenTelemetry database semantic
   * conventions (built by `createTelemetry`). Absent: no telemetry work at all.
   */
  telemetry?: Telemetry;
  /** A tracer given directly: spans only, named and attributed as with `telemetry`. */
  tracer?: TracerLike;
  /**
   * Default time limit for one operation including its retries, in ms, when a call sets none.
   * Engines set a safe default so that a silent network ends in a typed error, never a hang.
   */
  timeoutMs?: number;
}

/** Per-call options for one operation. */
export interface ExecuteOptions<T> {
  signal?: AbortSignal;
  /** Time limit for the whole operation including retries, in ms. */
  timeoutMs?: number;
  /** Overrides the client's retry policy for this call. */
  retry?: RetryPolicy | false;
  /** Extracts figures for the succeeded event from the result. */
  describe?: (result: T) => { consumedCapacity?: ConsumedCapacity; count?: number };
  /**
   * Errors that are not the database's (for example thrown by the caller's own transaction
   * callback): returns true to rethrow them exactly as thrown: not mapped, not retried, not wrapped.
   */
  passThrough?: (err: unknown) => boolean;
}

function combineSignals(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

// Failures that may have happened after the engine applied a write.
const uncertainKinds: ReadonlySet<ErrorKind> = new Set(['connection', 'transient', 'timeout']);

function noop(): void {
  // An attempt abandoned at its deadline may still settle; its outcome is already reported.
}

// Settles with the attempt, or rejects as soon as the signal aborts even if the driver ignores the
// signal: a deadline is kept whatever the driver does with a silent network.
function raceAbort<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    pending.catch(noop);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      pending.catch(noop);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // Rejections pass through exactly as the attempt threw them, Error or not.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(err);
      },
    );
  });
}

/**
 * Runs one operation: maps errors, retries what is safe to retry, bounds it in time and emits
 * started / retry / succeeded / failed events, and records its span and duration when telemetry is on.
 *
 * - Retries only what cannot be applied twice: reads, idempotent writes, and any write whose
 *   failure says the engine did nothing (`notApplied`, e.g. throttling).
 * - Settles by the deadline (`timeoutMs`, or the retry policy's `deadlineMs`) even if the driver
 *   never answers.
 * - A non-idempotent write that fails after it may have reached the engine becomes an
 *   {@link OutcomeUnknownError}: never `retryable`, never reported as success.
 *
 * @example
 * ```ts
 * const out = await execute(config, { engine: 'dynamodb', operation: 'get', target: 'app', kind: 'read', idempotent: true },
 *   (signal) => client.send(new GetCommand(params), { abortSignal: signal }))
 * ```
 */
export async function execute<T>(
  config: ExecutorConfig,
  spec: OperationSpec,
  fn: (signal: AbortSignal | undefined, attempt: number) => Promise<T>,
  options: ExecuteOptions<T> = {},
): Promise<T> {
  const { instrumentation } = config;
  const id = instrumentation.nextId();
  const startedAt = performance.now();
  const policy = options.retry ?? config.retry;
  // A retry deadline bounds the in-flight attempt too (a driver may retry inside one attempt), and
  // when it cuts an attempt short the caller gets the last real error, e.g. the throttle, not a timeout.
  const deadline =
    policy !== false && policy.deadlineMs !== undefined ? AbortSignal.timeout(policy.deadlineMs) : undefined;
  const timeoutMs = options.timeoutMs ?? config.timeoutMs;
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  const signal = combineSignals(options.signal, timeout, deadline);
  const unsafeToRepeat = spec.kind === 'write' && !spec.idempotent;
  let lastError: DbkitError | undefined;
  // Set inside the attempt callback; an object so the compiler does not narrow it to its initial value.
  const flight = { cut: false };
  let foreign: { error: unknown } | undefined;
  // One record per operation, retries included; nothing is created when telemetry is off.
  const telemetry =
    config.telemetry ?? (config.tracer === undefined ? undefined : tracerTelemetry(config.tracer));
  const record = telemetry?.start(spec);
  // Events are built only when someone listens: the hot path stays allocation-light.
  if (instrumentation.active)
    instrumentation.emit(Object.assign({ type: 'started' as const, id, at: Date.now() }, spec));
  let attempts = 0;

  const once = async (attempt: number): Promise<T> => {
    attempts = attempt;
    try {
      const pending = fn(signal, attempt);
      return await (signal === undefined ? pending : raceAbort(pending, signal));
    } catch (err) {
      if (signal?.aborted) {
        // Cut while the request was in flight: whether the engine applied it is not known.
        flight.cut = true;
        const limit =
          timeout?.aborted === true
            ? timeoutMs
            : deadline?.aborted === true && policy !== false
              ? policy.deadlineMs
              : undefined;
        throw err instanceof TimeoutError
          ? err
          : new TimeoutError(
              `${spec.engine} ${spec.operation} on ${spec.target} ${limit === undefined ? 'was aborted' : `did not finish within ${limit} ms`}`,
              {
                engine: spec.engine,
                operation: spec.operation,
                target: spec.target,
                cause: err,
                ...(limit === undefined ? {} : { timeoutMs: limit }),
              },
            );
      }
      if (options.passThrough?.(err) === true) {
        foreign = { error: err };
        throw err;
      }
      lastError = err instanceof DbkitError ? err : config.mapError(err, spec);
      throw lastError;
    }
  };
  try {
    const result =
      policy === false
        ? await once(1)
        : await retry(
            once,
            {
              ...policy,
              shouldRetry: (err, n) =>
                foreign === undefined && shouldRetry(err, spec) && (policy.shouldRetry?.(err, n) ?? true),
            },
            {
              ...(signal ? { signal } : {}),
              onRetry: (e) => {
                record?.retry(e.attempt, e.delayMs, e.error);
                if (!instrumentation.active) return;
                instrumentation.emit(
                  Object.assign(
                    {
                      type: 'retry' as const,
                      id,
                      at: Date.now(),
                      attempt: e.attempt,
                      delayMs: e.delayMs,
                      error: e.error,
                    },
                    spec,
                  ),
                );
              },
            },
          );
    if (instrumentation.active) {
      const durationMs = performance.now() - startedAt;
      instrumentation.emit(
        Object.assign(
          { type: 'succeeded' as const, id, at: Date.now(), durationMs, attempts },
          spec,
          options.describe?.(result),
        ),
      );
    }
    record?.succeeded(attempts, performance.now() - startedAt);
    return result;
  } catch (err) {
    // The caller's own error is reported to listeners as such and rethrown exactly as thrown.
    const isForeign = foreign !== undefined && foreign.error === err;
    const cutByDeadline =
      deadline?.aborted === true && timeout?.aborted !== true && options.signal?.aborted !== true;
    // The last real error explains a deadline better than "timed out", unless the attempt that was
    // cut may have applied a write that must not be repeated.
    let error = isForeign
      ? new InternalError(`the callback of ${spec.engine} ${spec.operation} threw its own error`, {
          code: 'internal.callback',
          engine: spec.engine,
          operation: spec.operation,
          target: spec.target,
          cause: err,
        })
      : cutByDeadline && lastError !== undefined && !(flight.cut && unsafeToRepeat)
        ? lastError
        : err instanceof DbkitError
          ? err
          : config.mapError(err, spec);
    if (!isForeign && unsafeToRepeat && !error.notApplied && uncertainKinds.has(error.kind))
      error = outcomeUnknown(error, spec);
    if (instrumentation.active) {
      const durationMs = performance.now() - startedAt;
      instrumentation.emit(
        Object.assign({ type: 'failed' as const, id, at: Date.now(), durationMs, attempts, error }, spec),
      );
    }
    record?.failed(error, attempts, performance.now() - startedAt);
    throw isForeign ? err : error;
  }
}

function shouldRetry(err: unknown, spec: OperationSpec): boolean {
  if (!(err instanceof DbkitError) || !err.retryable) return false;
  return spec.kind === 'read' || spec.idempotent || err.notApplied;
}

function outcomeUnknown(error: DbkitError, spec: OperationSpec): OutcomeUnknownError {
  return new OutcomeUnknownError(
    `${spec.engine} ${spec.operation} on ${spec.target} may or may not have been applied (${error.kind}): ${error.message}`,
    {
      code: `outcome_unknown.${error.kind}`,
      engine: spec.engine,
      operation: spec.operation,
      target: spec.target,
      cause: error,
    },
  );
}
