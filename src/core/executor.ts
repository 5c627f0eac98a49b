// The one place an engine operation runs: error mapping, retry policy, timeout, events and telemetry.
import { DbkitError, InternalError, OutcomeUnknownError, TimeoutError } from './errors.js';
import type { ErrorKind } from './errors.js';
import type { OperationSpec, Instrumentation, ConsumedCapacity } from './events.js';
import { retry } from './retry.js';
import type { RetryPolicy } from './retry.js';
import { tracerTelemetry } from './telemetry.js';
import type { Telemetry, TracerLike } from './telemetry.js';

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
  /**
   * False when the engine's operations ignore the AbortSignal they are given (Prisma has no way to
   * cancel a query): the executor then creates none, and only stops waiting at the limit.
   */
  cancellable?: boolean;
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

// Failures that may have happened after the engine applied a write.
const uncertainKinds: ReadonlySet<ErrorKind> = new Set(['connection', 'transient', 'timeout']);

function noop(): void {
  // An attempt abandoned at its deadline may still settle; its outcome is already reported.
}

/** Why an operation stopped waiting: its time limit, its retry deadline, or the caller's signal. */
interface Cut {
  readonly by: 'timeout' | 'deadline' | 'signal';
  readonly limitMs: number | undefined;
  /** An attempt was in flight: whether the engine applied it is not known. */
  readonly inFlight: boolean;
  /** The last real error before the cut, which explains a deadline better than "timed out". */
  readonly lastError: DbkitError | undefined;
}

// What a cut operation rejects with inside the executor; never reaches the caller.
const CUT = new Error('dbkit: the operation was cut at its limit');

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
  // One timer at the nearer of the operation's time limit and its retry deadline. A retry deadline
  // bounds the in-flight attempt too (a driver may retry inside one attempt), and when it cuts one
  // the caller gets the last real error, e.g. the throttle, not a timeout.
  const timeoutMs = options.timeoutMs ?? config.timeoutMs;
  const deadlineMs = policy === false ? undefined : policy.deadlineMs;
  const byDeadline = deadlineMs !== undefined && (timeoutMs === undefined || deadlineMs <= timeoutMs);
  const limitMs = byDeadline ? deadlineMs : timeoutMs;
  const userSignal = options.signal;
  const bounded = limitMs !== undefined || userSignal !== undefined;
  // A plain timer and one race per operation: AbortSignal.timeout / any cost several µs each.
  const controller = bounded && config.cancellable !== false ? new AbortController() : undefined;
  const signal = controller?.signal ?? (config.cancellable === false ? undefined : userSignal);
  const unsafeToRepeat = spec.kind === 'write' && !spec.idempotent;
  let lastError: DbkitError | undefined;
  let inFlight = false;
  let cut: Cut | undefined;
  let foreign: { error: unknown } | undefined;
  // One record per operation, retries included; nothing is created when telemetry is off.
  const telemetry =
    config.telemetry ?? (config.tracer === undefined ? undefined : tracerTelemetry(config.tracer));
  const record = telemetry?.start(spec);
  // Events are built only when someone listens: the hot path stays allocation-light.
  if (instrumentation.active)
    instrumentation.emit(Object.assign({ type: 'started' as const, id, at: Date.now() }, spec));
  let attempts = 0;
  // Aborted before it started: nothing is sent, and the caller is told so (never "outcome unknown").
  if (userSignal?.aborted === true) cut = { by: 'signal', limitMs: undefined, inFlight: false, lastError };
  // A function, not a comparison: the timer sets `cut` while an attempt awaits.
  const isCut = (): boolean => cut !== undefined;

  const once = async (attempt: number): Promise<T> => {
    // Cut already (the retry loop was waiting): send nothing more; the caller has its answer.
    if (isCut()) throw CUT;
    attempts = attempt;
    inFlight = true;
    try {
      return await fn(signal, attempt);
    } catch (err) {
      if (isCut()) throw CUT;
      if (options.passThrough?.(err) === true) {
        foreign = { error: err };
        throw err;
      }
      lastError = err instanceof DbkitError ? err : config.mapError(err, spec);
      throw lastError;
    } finally {
      inFlight = false;
    }
  };

  // Settles with the work, or rejects with CUT at the limit or the caller's abort, even if the
  // driver ignores every signal: a silent network cannot hold the caller past its limit.
  const race = (work: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = (by: Cut['by']): void => {
        if (cut !== undefined) return;
        cut = { by, limitMs: by === 'signal' ? undefined : limitMs, inFlight, lastError };
        work.catch(noop);
        cleanup();
        controller?.abort(CUT);
        reject(CUT);
      };
      const onAbort = (): void => {
        stop('signal');
      };
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        userSignal?.removeEventListener('abort', onAbort);
      };
      if (limitMs !== undefined) timer = setTimeout(stop, limitMs, byDeadline ? 'deadline' : 'timeout');
      if (userSignal !== undefined) {
        if (userSignal.aborted) stop('signal');
        else userSignal.addEventListener('abort', onAbort, { once: true });
      }
      work.then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (err: unknown) => {
          cleanup();
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrown exactly as the work threw it
          reject(err);
        },
      );
    });

  try {
    const work =
      policy === false
        ? once(1)
        : retry(
            once,
            {
              ...policy,
              shouldRetry: (err, n) =>
                foreign === undefined && shouldRetry(err, spec) && (policy.shouldRetry?.(err, n) ?? true),
            },
            {
              ...(controller === undefined ? {} : { signal: controller.signal }),
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
    const result = bounded ? await race(work) : await work;
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
    let error = isForeign
      ? new InternalError(`the callback of ${spec.engine} ${spec.operation} threw its own error`, {
          code: 'internal.callback',
          engine: spec.engine,
          operation: spec.operation,
          target: spec.target,
          cause: err,
        })
      : cut !== undefined
        ? cutError(cut, spec, unsafeToRepeat)
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

// The last real error explains a deadline better than "timed out", unless the attempt that was cut
// may have applied a write that must not be repeated. An attempt cut in flight may have been
// applied; a cut between attempts sent nothing more.
function cutError(cut: Cut, spec: OperationSpec, unsafeToRepeat: boolean): DbkitError {
  if (cut.by === 'deadline' && cut.lastError !== undefined && !(cut.inFlight && unsafeToRepeat))
    return cut.lastError;
  const what = `${spec.engine} ${spec.operation} on ${spec.target}`;
  return new TimeoutError(
    cut.limitMs === undefined ? `${what} was aborted` : `${what} did not finish within ${cut.limitMs} ms`,
    {
      engine: spec.engine,
      operation: spec.operation,
      target: spec.target,
      notApplied: !cut.inFlight,
      ...(cut.limitMs === undefined ? {} : { timeoutMs: cut.limitMs }),
      ...(cut.by === 'signal' ? { code: 'timeout.aborted' } : {}),
    },
  );
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
