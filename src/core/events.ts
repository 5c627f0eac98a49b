// Typed operation events (started / succeeded / failed / retry), the bus that carries them, and the slow-operation log.
import type { DbkitError, EngineName } from './errors.js';
import { silentLogger } from './logger.js';
import type { Logger } from './logger.js';

/** What an operation is: its engine, name, target and whether it reads or writes. */
export interface OperationSpec {
  engine: EngineName;
  /** The operation's name, e.g. `get`, `query`, `batchWrite`, `findMany`. */
  operation: string;
  /** Table, collection or model. */
  target: string;
  kind: 'read' | 'write';
  /** True when running it twice has the same effect as once, so a retry after an unclear failure is safe. */
  idempotent: boolean;
}

interface EventBase extends OperationSpec {
  /** Correlates the events of one operation. */
  id: number;
  /** Epoch ms when the event was emitted. */
  at: number;
}

/** Capacity an engine reported for an operation (DynamoDB's ConsumedCapacity, summed). */
export interface ConsumedCapacity {
  readUnits?: number;
  writeUnits?: number;
  totalUnits?: number;
}

/** An operation was sent. */
export interface OperationStarted extends EventBase {
  type: 'started';
}
/** An operation completed. */
export interface OperationSucceeded extends EventBase {
  type: 'succeeded';
  durationMs: number;
  attempts: number;
  consumedCapacity?: ConsumedCapacity;
  /** Items or documents returned or written, when counted. */
  count?: number;
}
/** An operation failed for good. */
export interface OperationFailed extends EventBase {
  type: 'failed';
  durationMs: number;
  attempts: number;
  error: DbkitError;
}
/** An attempt failed and another follows after `delayMs`. */
export interface OperationRetry extends EventBase {
  type: 'retry';
  attempt: number;
  delayMs: number;
  error: unknown;
}

/** Every event dbkit emits for an operation. */
export type OperationEvent = OperationStarted | OperationSucceeded | OperationFailed | OperationRetry;

/** A listener for operation events. Exceptions thrown by listeners are swallowed and logged. */
export type OperationListener = (event: OperationEvent) => void;

/** Options for {@link createInstrumentation}. */
export interface InstrumentationOptions {
  /** Where warnings (slow operations, listener failures) go. Default: silent. */
  logger?: Logger;
  /** Operations slower than this many ms are logged at warn level. Default: off. */
  slowOperationMs?: number;
  /** Listeners subscribed from the start. */
  listeners?: readonly OperationListener[];
}

/** The event bus an engine client emits to. */
export interface Instrumentation {
  readonly logger: Logger;
  /** False when nothing listens and no slow-operation log is set: emitters may skip building events. */
  readonly active: boolean;
  /** Subscribes a listener; returns a function that unsubscribes it. */
  subscribe(listener: OperationListener): () => void;
  emit(event: OperationEvent): void;
  /** A fresh id for a new operation. */
  nextId(): number;
}

/**
 * Creates the event bus for one engine client, with an optional slow-operation log.
 *
 * @example
 * ```ts
 * const instrumentation = createInstrumentation({ logger: pino(), slowOperationMs: 200 })
 * instrumentation.subscribe((e) => { if (e.type === 'succeeded') metrics.observe(e.operation, e.durationMs) })
 * ```
 */
export function createInstrumentation(options: InstrumentationOptions = {}): Instrumentation {
  const logger = options.logger ?? silentLogger;
  const listeners = new Set<OperationListener>(options.listeners ?? []);
  const slowMs = options.slowOperationMs;
  let counter = 0;
  return {
    logger,
    get active() {
      return listeners.size > 0 || slowMs !== undefined;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      if (slowMs !== undefined && event.type === 'succeeded' && event.durationMs >= slowMs) {
        logger.warn(
          {
            engine: event.engine,
            operation: event.operation,
            target: event.target,
            durationMs: event.durationMs,
            attempts: event.attempts,
          },
          'dbkit: slow operation',
        );
      }
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (err) {
          logger.error({ err }, 'dbkit: an operation listener threw');
        }
      }
    },
    nextId() {
      counter += 1;
      return counter;
    },
  };
}
