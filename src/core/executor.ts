// The one place an engine operation runs: error mapping, retry policy, timeout, events and tracing.
import { DbkitError, TimeoutError } from './errors.js';
import type { OperationSpec, Instrumentation, ConsumedCapacity } from './events.js';
import { retry } from './retry.js';
import type { RetryPolicy } from './retry.js';

/** The subset of an OpenTelemetry span dbkit uses; an `@opentelemetry/api` Span satisfies it. */
export interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error): unknown;
  end(): void;
}

/** The subset of an OpenTelemetry tracer dbkit uses; `trace.getTracer('dbkit')` satisfies it. */
export interface TracerLike {
  startSpan(name: string, options?: { attributes?: Record<string, string | number | boolean> }): SpanLike;
}

/** What an engine client hands the executor once, at construction. */
export interface ExecutorConfig {
  instrumentation: Instrumentation;
  /** Default retry policy for this client; `false` turns dbkit's retries off. */
  retry: RetryPolicy | false;
  /** Maps a driver error into dbkit's taxonomy; must return a DbkitError for anything it recognises. */
  mapError: (err: unknown, spec: OperationSpec) => DbkitError;
  tracer?: TracerLike;
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
}

const SPAN_STATUS_ERROR = 2;

function combineSignals(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

/**
 * Runs one operation: maps errors, retries what is safe to retry, bounds it in time and emits
 * started / retry / succeeded / failed events. A non-idempotent write is retried only on
 * throttling (the engine did nothing); other retryable failures surface to the caller.
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
  const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  const signal = combineSignals(options.signal, timeout, deadline);
  let lastError: DbkitError | undefined;
  const span = config.tracer?.startSpan(`dbkit.${spec.engine}.${spec.operation}`, {
    attributes: {
      'db.system': spec.engine,
      'db.operation.name': spec.operation,
      'db.collection.name': spec.target,
    },
  });
  // Events are built only when someone listens: the hot path stays allocation-light.
  if (instrumentation.active)
    instrumentation.emit(Object.assign({ type: 'started' as const, id, at: Date.now() }, spec));
  let attempts = 0;

  const once = async (attempt: number): Promise<T> => {
    attempts = attempt;
    try {
      return await fn(signal, attempt);
    } catch (err) {
      if (signal?.aborted) {
        throw err instanceof TimeoutError
          ? err
          : new TimeoutError(`${spec.engine} ${spec.operation} on ${spec.target} timed out or was aborted`, {
              engine: spec.engine,
              operation: spec.operation,
              target: spec.target,
              cause: err,
              ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
            });
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
              shouldRetry: (err, n) => shouldRetry(err, spec) && (policy.shouldRetry?.(err, n) ?? true),
            },
            {
              ...(signal ? { signal } : {}),
              onRetry: (e) => {
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
    span?.setAttribute('dbkit.attempts', attempts);
    span?.end();
    return result;
  } catch (err) {
    const cutByDeadline =
      deadline?.aborted === true && timeout?.aborted !== true && options.signal?.aborted !== true;
    const error =
      cutByDeadline && lastError !== undefined
        ? lastError
        : err instanceof DbkitError
          ? err
          : config.mapError(err, spec);
    if (instrumentation.active) {
      const durationMs = performance.now() - startedAt;
      instrumentation.emit(
        Object.assign({ type: 'failed' as const, id, at: Date.now(), durationMs, attempts, error }, spec),
      );
    }
    if (span) {
      span.recordException(error);
      span.setStatus({ code: SPAN_STATUS_ERROR, message: error.code });
      span.end();
    }
    throw error;
  }
}

function shouldRetry(err: unknown, spec: OperationSpec): boolean {
  if (!(err instanceof DbkitError) || !err.retryable) return false;
  return spec.idempotent || spec.kind === 'read' || err.kind === 'throttled';
}
