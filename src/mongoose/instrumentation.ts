// Timing of Mongoose queries, saves and aggregates into dbkit's operation events and slow-operation log.
import type { Aggregate, Schema } from 'mongoose';
import type { Instrumentation } from '../core/events.js';
import { mapMongoError } from '../mongo/errors.js';
import { GUARDED_QUERIES, hooksOf } from './hooks.js';
import type { AnyQuery } from './hooks.js';
import type { PluginState } from './state.js';

const READS = new Set([
  'countDocuments',
  'distinct',
  'find',
  'findOne',
  'estimatedDocumentCount',
  'aggregate',
]);
interface Timing {
  id: number;
  begun: number;
  operation: string;
  target: string;
  kind: 'read' | 'write';
}

const timings = new WeakMap<object, Timing>();

function started(instrumentation: Instrumentation, key: object, operation: string, target: string): void {
  const kind = READS.has(operation) ? 'read' : 'write';
  const timing: Timing = { id: instrumentation.nextId(), begun: performance.now(), operation, target, kind };
  timings.set(key, timing);
  instrumentation.emit({
    engine: 'mongodb',
    operation,
    target,
    kind,
    idempotent: kind === 'read',
    type: 'started',
    id: timing.id,
    at: Date.now(),
  });
}

function ended(instrumentation: Instrumentation, key: object, err: unknown, count?: number): void {
  const timing = timings.get(key);
  if (timing === undefined) return;
  timings.delete(key);
  const base = {
    engine: 'mongodb' as const,
    operation: timing.operation,
    target: timing.target,
    kind: timing.kind,
    idempotent: timing.kind === 'read',
    id: timing.id,
    at: Date.now(),
    durationMs: performance.now() - timing.begun,
    // Mongoose sends once; dbkit does not re-send Mongoose's queries.
    attempts: 1,
  };
  if (err === undefined) {
    instrumentation.emit({ ...base, type: 'succeeded', ...(count === undefined ? {} : { count }) });
  } else {
    instrumentation.emit({
      ...base,
      type: 'failed',
      error: mapMongoError(err, { operation: timing.operation, target: timing.target }),
    });
  }
}

function countOf(result: unknown): number | undefined {
  if (Array.isArray(result)) return result.length;
  return undefined;
}

/**
 * @internal Times every query, save and aggregate into core operation events (started / succeeded /
 * failed) and so into the slow-operation log. Registered after the other hooks so that a failure
 * carries the mapped DbkitError.
 */
export function installInstrumentation(schema: Schema, state: PluginState): void {
  const { instrumentation } = state;
  const queries = [...GUARDED_QUERIES, 'estimatedDocumentCount'] as const;
  hooksOf(schema).pre(queries, { document: false, query: true }, function (this: AnyQuery) {
    started(instrumentation, this, this.op ?? 'query', this.model.modelName);
  });
  hooksOf(schema).post(queries, { document: false, query: true }, function (this: AnyQuery, result: unknown) {
    ended(instrumentation, this, undefined, countOf(result));
  });
  hooksOf(schema).post(
    queries,
    { document: false, query: true, errorHandler: true },
    function (this: AnyQuery, err: unknown) {
      ended(instrumentation, this, err);
      throw err;
    },
  );
  hooksOf(schema).pre('save', {}, function (this: object & { constructor: { modelName?: string } }) {
    started(instrumentation, this, 'save', this.constructor.modelName ?? 'document');
  });
  hooksOf(schema).post('save', {}, function (this: object) {
    ended(instrumentation, this, undefined, 1);
  });
  hooksOf(schema).post('save', { errorHandler: true }, function (this: object, err: unknown) {
    ended(instrumentation, this, err);
    throw err;
  });
  hooksOf(schema).pre('aggregate', {}, function (this: Aggregate<unknown>) {
    started(instrumentation, this, 'aggregate', this.model().modelName);
  });
  hooksOf(schema).post('aggregate', {}, function (this: Aggregate<unknown>, result: unknown) {
    ended(instrumentation, this, undefined, countOf(result));
  });
  hooksOf(schema).post(
    'aggregate',
    { errorHandler: true },
    function (this: Aggregate<unknown>, err: unknown) {
      ended(instrumentation, this, err);
      throw err;
    },
  );
}
