// Every operation a Mongo repository runs, declared once, and the one adapter that runs them through core.
import type { CallOptions, RunExtras } from '../core/internal.js';
import { declareOperations, runOperation } from '../core/internal.js';
import type { RepoContext } from './context.js';

const read = { kind: 'read', idempotent: true } as const;
// Never resent after an unclear failure: a second send could duplicate or misreport the first.
const write = { kind: 'write', idempotent: false } as const;

/**
 * @internal The operations of a Mongo repository: read or write, and whether a resend is harmless.
 *
 * @example
 * ```ts
 * mongoOperations.update.idempotent // false
 * ```
 */
export const mongoOperations = declareOperations('mongodb', {
  create: write,
  findById: read,
  findOne: read,
  findMany: read,
  exists: read,
  count: read,
  estimatedCount: read,
  paginate: read,
  aggregate: read,
  explain: read,
  // An update whose result does not depend on how many times it ran (only `$set` of fixed values and the like).
  updateIdempotent: { kind: 'write', idempotent: true, name: 'update' },
  update: write,
  // Resent after it was applied, these would report 0 matched / modified / deleted.
  updateMany: write,
  delete: write,
  deleteMany: write,
  bulkWrite: write,
  // Creating a declared index that exists already is a no-op.
  syncIndexes: { kind: 'write', idempotent: true },
  // withTransaction: the driver, not dbkit, retries the callback on TransientTransactionError.
  transaction: write,
});

/** @internal The key of one declared Mongo operation. */
export type MongoOperation = keyof typeof mongoOperations;

/**
 * @internal Runs one declared operation of a repository through core's executor (error refinement by
 * `mapMongoError`, retries, time limit, events). Refuses a closed connection or an ended
 * transaction view, and never retries a single statement inside a transaction: the driver retries
 * the whole transaction callback instead.
 *
 * @example
 * ```ts
 * await runMongo(ctx, 'count', (signal) => ctx.collection.countDocuments(filter, readOptions(ctx, signal, options)), options)
 * ```
 */
export function runMongo<T>(
  ctx: RepoContext,
  operation: MongoOperation,
  fn: (signal: AbortSignal | undefined) => Promise<T>,
  options: CallOptions = {},
  describe?: RunExtras<T>['describe'],
): Promise<T> {
  const declared = mongoOperations[operation];
  // A holder that closed its connection gets a typed error, even while other holders keep the pool.
  ctx.connection.assertOpen(declared.name);
  ctx.assertUsable();
  const call: CallOptions = ctx.session?.inTransaction() === true ? { ...options, retry: false } : options;
  return runOperation(
    ctx.executor,
    declared,
    ctx.definition.name,
    (signal) => fn(signal),
    call,
    describe === undefined ? undefined : { describe },
  );
}

/**
 * @internal dbkit's own bookkeeping and batch work: the migration journal and lock, backfill
 * checkpoints, and backfill pages. Every write is conditional (on `_id`, the lock's owner, or what
 * the item still needs), so a resend after an unclear failure applies at most once.
 *
 * @example
 * ```ts
 * maintenanceOperations.backfillWrite.idempotent // true
 * ```
 */
export const maintenanceOperations = declareOperations('mongodb', {
  journalRead: { kind: 'read', idempotent: true, name: 'migrationJournal' },
  journalLock: { kind: 'write', idempotent: true, name: 'migrationLock' },
  // Resent after it was applied, the insert of a start record would fail on its own `_id`.
  journalStart: { kind: 'write', idempotent: false, name: 'migrationJournal' },
  journalWrite: { kind: 'write', idempotent: true, name: 'migrationJournal' },
  checkpointWrite: { kind: 'write', idempotent: true, name: 'backfillCheckpoint' },
  backfillRead: { kind: 'read', idempotent: true, name: 'backfillRead' },
  // Each operation's filter includes what the item still needs: applied twice, it matches once.
  backfillWrite: { kind: 'write', idempotent: true, name: 'backfillWrite' },
});

/** @internal The key of one maintenance operation. */
export type MaintenanceOperation = keyof typeof maintenanceOperations;

/**
 * @internal Runs one maintenance operation through core's executor, like {@link runMongo}.
 *
 * @example
 * ```ts
 * await runMaintenance(ctx, 'journalRead', (signal) => ctx.collection.find({}, { signal }).toArray())
 * ```
 */
export function runMaintenance<T>(
  ctx: RepoContext,
  operation: MaintenanceOperation,
  fn: (signal: AbortSignal | undefined) => Promise<T>,
  options: CallOptions = {},
): Promise<T> {
  const declared = maintenanceOperations[operation];
  ctx.connection.assertOpen(declared.name);
  return runOperation(ctx.executor, declared, ctx.definition.name, (signal) => fn(signal), options);
}
