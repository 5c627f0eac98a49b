// Operations declared once per engine (name, read or write, idempotent or not), the per-call options every engine takes, and the one way they run.
import type { EngineName } from './errors.js';
import type { OperationSpec } from './events.js';
import { execute } from './executor.js';
import type { ExecuteOptions, ExecutorConfig } from './executor.js';
import type { RetryPolicy } from './retry.js';

/**
 * Per-call options every dbkit operation accepts, on every engine.
 *
 * @example
 * ```ts
 * await users.get({ id }, { timeoutMs: 2_000, signal: request.signal })
 * ```
 */
export interface CallOptions {
  /** Cancels the operation and its retries. */
  signal?: AbortSignal | undefined;
  /** Time limit of the operation including its retries, in ms; overrides the client's default (10 s). */
  timeoutMs?: number | undefined;
  /** Overrides the client's retry policy for this call; `false` turns dbkit's retries off. */
  retry?: RetryPolicy | false | undefined;
}

/**
 * How an engine declares one operation: whether it reads or writes, and whether sending it twice
 * has the effect of sending it once (only then may a retry follow an unclear failure).
 */
export interface OperationDeclaration {
  readonly kind: 'read' | 'write';
  readonly idempotent: boolean;
  /** The name events, spans and errors report, when it differs from the declaration's key. */
  readonly name?: string;
}

/** A declared operation: its engine, reported name, kind and idempotency. */
export interface Operation {
  readonly engine: EngineName;
  readonly name: string;
  readonly kind: 'read' | 'write';
  readonly idempotent: boolean;
}

/**
 * Declares an engine's operations once, in one table; everything that runs one refers to it by key.
 *
 * @example
 * ```ts
 * const ops = declareOperations('dynamodb', {
 *   get: { kind: 'read', idempotent: true },
 *   create: { kind: 'write', idempotent: false },
 *   putGuarded: { kind: 'write', idempotent: false, name: 'put' },
 * })
 * ops.putGuarded.name // 'put'
 * ```
 */
export function declareOperations<const T extends Record<string, OperationDeclaration>>(
  engine: EngineName,
  table: T,
): { readonly [K in keyof T]: Operation } {
  const out = {} as Record<string, Operation>;
  for (const [key, declared] of Object.entries(table))
    out[key] = Object.freeze({
      engine,
      name: declared.name ?? key,
      kind: declared.kind,
      idempotent: declared.idempotent,
    });
  return Object.freeze(out) as { readonly [K in keyof T]: Operation };
}

/**
 * The spec of `operation` on one table, collection or model.
 *
 * @example
 * ```ts
 * operationSpec(ops.get, 'app') // { engine: 'dynamodb', operation: 'get', target: 'app', kind: 'read', idempotent: true }
 * ```
 */
export function operationSpec(operation: Operation, target: string): OperationSpec {
  return {
    engine: operation.engine,
    operation: operation.name,
    target,
    kind: operation.kind,
    idempotent: operation.idempotent,
  };
}

/** What an engine adds to a call beyond the caller's {@link CallOptions}. */
export type RunExtras<T> = Omit<ExecuteOptions<T>, 'signal' | 'timeoutMs' | 'retry'>;

/**
 * Runs one declared operation through the executor with the caller's options: the single path every
 * engine's operations take (error refinement by the engine's `mapError`, retries, time limit, events).
 *
 * @example
 * ```ts
 * const item = await runOperation(config, ops.get, 'app', (signal) => send(params, signal), callOptions)
 * ```
 */
export function runOperation<T>(
  config: ExecutorConfig,
  operation: Operation,
  target: string,
  fn: (signal: AbortSignal | undefined, attempt: number) => Promise<T>,
  call: CallOptions = {},
  extras?: RunExtras<T>,
): Promise<T> {
  const spec = operationSpec(operation, target);
  // Built field by field: this runs on every operation, and object spreads are slow in V8.
  const options: ExecuteOptions<T> = extras === undefined ? {} : { ...extras };
  if (call.signal !== undefined) options.signal = call.signal;
  if (call.timeoutMs !== undefined) options.timeoutMs = call.timeoutMs;
  if (call.retry !== undefined) options.retry = call.retry;
  return execute(config, spec, fn, options);
}
