// backfill on MongoDB: `_id`-ordered pages of what still needs work, transformed, written back with one conditional bulkWrite per page.
import { MongoBulkWriteError } from 'mongodb';
import type { AnyBulkWriteOperation, Document, WriteError } from 'mongodb';
import { UnsupportedError, ValidationError } from '../core/errors.js';
import type {
  BackfillReport,
  BackfillRunOptions,
  BackfillSource,
  BackfillWriteResult,
} from '../core/internal.js';
import { runBackfill } from '../core/internal.js';
import { DEFAULT_BACKFILLS_COLLECTION, mongoCheckpointStore } from './backfill-checkpoint.js';
import type { MongoConnection } from './client-options.js';
import type { CollectionDefinition, StoredDocument } from './collection.js';
import type { RepoContext } from './context.js';
import { guardFilter } from './injection-guard.js';
import { runMaintenance } from './operations.js';
import type { MongoRepository } from './repository.js';
import type { FilterInput } from './repository-types.js';
import { replacementUpdate, SCHEMA_VERSION_FIELD, unchangedFilter } from './schema-version.js';
import { systemContext } from './system-collection.js';

/**
 * What `transform` returns for one document: an update (`{ $set, $unset, $inc, ... }`, every key
 * an operator) or a full replacement (no operator keys; `_id` is kept), or undefined to leave it.
 *
 * @example
 * ```ts
 * const change: MongoBackfillChange = { $set: { emailLower: 'ada@example.com' }, $unset: { legacyEmail: '' } }
 * ```
 */
export type MongoBackfillChange = Document;

/**
 * Options of a MongoDB {@link backfill}: core's run options, what still needs work, and the transform.
 *
 * @example
 * ```ts
 * const options: MongoBackfillOptions<{ _id: ObjectId; email: string }> = {
 *   name: 'users-email-lower', filter: { emailLower: op.exists(false) }, itemsPerSecond: 1_000,
 *   transform: (u) => ({ $set: { emailLower: u.email.toLowerCase() } }),
 * }
 * ```
 */
export interface MongoBackfillOptions<Doc, F = unknown> extends BackfillRunOptions {
  /**
   * The documents that still need the work (through the injection guard, like any filter: use
   * `op`, `or`, `trusted`). Only these are read, and every write is conditional on it, so a
   * document done meanwhile (by the application or an earlier run) is skipped, never done twice.
   */
  filter?: F | undefined;
  /** The change for one stored document (as stored: `_id`, not a mapped `id`), or undefined. */
  transform: (doc: Doc) => MongoBackfillChange | undefined | Promise<MongoBackfillChange | undefined>;
  /** The checkpoint collection. Default `dbkit_backfills`. */
  checkpoints?: string | undefined;
  /**
   * Acknowledges that no application writes run on the collection during this backfill. Required
   * (except for a dry run) on a deployment without atomic conditional updates (FerretDB v1,
   * `capabilities().atomicUpdates === false`), which applies a conditional write as read-then-write:
   * there a concurrent write could be overwritten, so the backfill refuses with `unsupported.atomicUpdates`
   * unless the writers are stopped. Ignored where updates are atomic.
   */
  writersStopped?: boolean | undefined;
}

/**
 * A collection by name, for a backfill over a collection that has no repository.
 *
 * @example
 * ```ts
 * const target: MongoBackfillTarget = { connection: mongo, collection: 'events' }
 * ```
 */
export interface MongoBackfillTarget {
  connection: MongoConnection;
  collection: string;
}

/** @internal How the write of one page is made conditional, beyond `_id` and the needs-work filter. */
export interface BackfillPlan {
  ctx: RepoContext;
  /** The needs-work filter, guarded. */
  needsWork: Document;
  transform: (doc: Document) => MongoBackfillChange | undefined | Promise<MongoBackfillChange | undefined>;
}

function isUpdate(change: Document, target: string): boolean {
  const keys = Object.keys(change);
  const operators = keys.filter((k) => k.startsWith('$')).length;
  if (operators > 0 && operators < keys.length) {
    throw new ValidationError([{ path: keys, message: 'mixes update operators and plain fields' }], {
      code: 'backfill.invalidChange',
      engine: 'mongodb',
      operation: 'backfill',
      target,
      message: `A backfill transform returned a change that mixes update operators and fields (${keys.join(', ')}); return an update ({ $set: ... }) or a whole document`,
    });
  }
  return operators > 0 && operators === keys.length;
}

// The write applies only if the document still needs the work and did not change since it was read:
// same `version` on versioned collections, same schemaVersion, and for a replacement the same fields.
function conditionOf(plan: BackfillPlan, doc: Document, replacement: boolean): Document {
  const def = plan.ctx.definition;
  let condition: Document;
  if (replacement) condition = unchangedFilter(def, doc);
  else {
    condition = { _id: doc._id as unknown };
    if (def.versioned && typeof doc.version === 'number') condition.version = doc.version;
    if (def.schemaVersion !== undefined) {
      const stored: unknown = doc[SCHEMA_VERSION_FIELD];
      condition[SCHEMA_VERSION_FIELD] = typeof stored === 'number' ? stored : { $exists: false };
    }
  }
  // `_id` stays a top-level equality so every engine finds the document by its key (FerretDB v1
  // scans the collection for an `_id` nested in `$and`).
  return Object.keys(plan.needsWork).length === 0 ? condition : { ...condition, $and: [plan.needsWork] };
}

function operationOf(plan: BackfillPlan, doc: Document, change: Document): AnyBulkWriteOperation {
  const replacement = !isUpdate(change, plan.ctx.definition.name);
  const update = replacement ? replacementUpdate(doc, change) : change;
  return { updateOne: { filter: conditionOf(plan, doc, replacement), update } };
}

function keyOf(doc: Document): string {
  return String(doc._id);
}

// FerretDB v1 stops answering an `update` command of about 100 conditional updates (observed on
// the v1 server of the test suite): its pages are written in commands of at most 50 operations.
const FERRETDB_BULK_LIMIT = 50;

async function bulkLimit(ctx: RepoContext): Promise<number> {
  const caps = await ctx.connection.capabilities();
  return caps.flavor === 'ferretdb' ? FERRETDB_BULK_LIMIT : Number.MAX_SAFE_INTEGER;
}

async function writeChunk(
  ctx: RepoContext,
  ops: AnyBulkWriteOperation[],
): Promise<{ matched: number; errors: { index: number; errmsg?: string | undefined }[] }> {
  return runMaintenance(ctx, 'backfillWrite', async () => {
    try {
      const result = await ctx.collection.bulkWrite(ops, { ordered: false });
      return { matched: result.matchedCount, errors: [] };
    } catch (err) {
      // Some operations failed on their own (a validator, a unique index): report them, keep the rest.
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const raw = err.writeErrors as WriteError[] | WriteError;
      const list = Array.isArray(raw) ? raw : [raw];
      return {
        matched: err.result.matchedCount,
        errors: list.map((e) => ({ index: e.index, errmsg: e.errmsg })),
      };
    }
  });
}

/** @internal The backfill source over one collection: pages in `_id` order, one bulkWrite per page. */
export function mongoBackfillSource(plan: BackfillPlan): BackfillSource<Document, Document> {
  const { ctx, needsWork } = plan;
  const col = ctx.collection;
  return {
    engine: 'mongodb',
    target: ctx.definition.name,
    lanes: 1,
    // With a needs-work filter, the count is of what is left: the runner adds what earlier runs scanned.
    estimates: Object.keys(needsWork).length === 0 ? 'all' : 'remaining',
    async read(_lane, after, limit) {
      const keyset: Document | undefined = after === undefined ? undefined : { _id: { $gt: after } };
      const filter: Document =
        keyset === undefined
          ? needsWork
          : Object.keys(needsWork).length === 0
            ? keyset
            : { ...keyset, $and: [needsWork] };
      const items = await runMaintenance(ctx, 'backfillRead', (signal) =>
        col.find(filter, { sort: { _id: 1 }, limit, ...(signal ? { signal } : {}) }).toArray(),
      );
      const last = items.at(-1);
      return { items, next: items.length < limit || last === undefined ? undefined : last._id };
    },
    async write(changes): Promise<BackfillWriteResult> {
      const ops = changes.map(({ item, change }) => operationOf(plan, item, change));
      const size = await bulkLimit(ctx);
      let matched = 0;
      const failures: { key: string; reason: string }[] = [];
      for (let start = 0; start < ops.length; start += size) {
        const outcome = await writeChunk(ctx, ops.slice(start, start + size));
        matched += outcome.matched;
        for (const e of outcome.errors) {
          failures.push({
            key: keyOf(changes[start + e.index]?.item ?? {}),
            reason: e.errmsg ?? 'write error',
          });
        }
      }
      return { changed: matched, skipped: changes.length - matched - failures.length, failures };
    },
    // With a filter: the exact count of what needs work (a query); without: the collection's metadata count.
    async estimate() {
      return runMaintenance(ctx, 'backfillRead', () =>
        Object.keys(needsWork).length === 0 ? col.estimatedDocumentCount() : col.countDocuments(needsWork),
      );
    },
  };
}

// Without atomic conditional updates the guarantee "never overwrites a concurrent write" does not
// hold: refuse unless the caller says no application writes run meanwhile (a dry run writes nothing).
async function requireSafeWrites(
  ctx: RepoContext,
  options: { dryRun?: boolean | undefined; writersStopped?: boolean | undefined },
): Promise<void> {
  if (options.dryRun === true || options.writersStopped === true) return;
  const caps = await ctx.connection.capabilities();
  if (caps.atomicUpdates) return;
  throw new UnsupportedError(
    `a backfill writes on condition that the document did not change since it was read, but ${caps.flavor} ${caps.version} applies conditional updates as read-then-write, so a concurrent application write could be overwritten; stop the writers and pass writersStopped: true, or run it on MongoDB`,
    {
      feature: 'atomicUpdates',
      engine: 'mongodb',
      operation: 'backfill',
      target: ctx.definition.name,
      code: 'unsupported.atomicUpdates',
    },
  );
}

/** @internal Runs `plan` with core's runner and the checkpoint store of `connection`. */
export async function runMongoBackfill(
  plan: BackfillPlan,
  options: BackfillRunOptions & {
    checkpoints?: string | undefined;
    writersStopped?: boolean | undefined;
  },
): Promise<BackfillReport> {
  await requireSafeWrites(plan.ctx, options);
  const store = mongoCheckpointStore(
    plan.ctx.connection,
    options.checkpoints ?? DEFAULT_BACKFILLS_COLLECTION,
  );
  return runBackfill(mongoBackfillSource(plan), store, plan.transform, options);
}

function isRepository(target: unknown): target is MongoRepository<CollectionDefinition> {
  return typeof target === 'object' && target !== null && 'ctx' in target;
}

/**
 * Transforms every document that still needs work, in `_id` order, in pages of `batchSize` with
 * one unordered `bulkWrite` per page, at most `itemsPerSecond`. Each write applies only if the
 * document still matches `filter` and did not change since it was read (same `version` on a
 * versioned collection, same `schemaVersion`; a whole-document replacement also needs every field
 * it read unchanged, and is written as `$set` of its fields and `$unset` of those it dropped, so a
 * field added meanwhile is kept): a concurrent application write wins and the document is counted
 * as skipped. Progress
 * is checkpointed in `dbkit_backfills` after every page, so a run that is stopped or killed
 * resumes after the last saved page (`name` identifies it); one with `dryRun` writes nothing.
 * Transient and network errors are repeated (safe: every write is conditional). A backfill does
 * not bump `version` or `updatedAt`: it adds derived data, and writers who read before it still succeed.
 * Where conditional updates are not atomic (FerretDB v1) it throws an UnsupportedError
 * (`unsupported.atomicUpdates`) unless `writersStopped: true` says no application writes run meanwhile.
 *
 * @example
 * ```ts
 * const report = await backfill(mongoRepository(mongo, Users), {
 *   name: 'users-email-lower',
 *   filter: { emailLower: op.exists(false) },
 *   transform: (u) => ({ $set: { emailLower: u.email.toLowerCase() } }),
 *   itemsPerSecond: 2_000,
 * })
 * console.log(`${report.changed} changed, ${report.skipped} skipped`)
 * ```
 */
export function backfill<C extends CollectionDefinition>(
  target: MongoRepository<C>,
  options: MongoBackfillOptions<StoredDocument<C>, FilterInput<C>>,
): Promise<BackfillReport>;
export function backfill(
  target: MongoBackfillTarget,
  options: MongoBackfillOptions<Document>,
): Promise<BackfillReport>;
export async function backfill(
  target: MongoRepository<CollectionDefinition> | MongoBackfillTarget,
  options: MongoBackfillOptions<never>,
): Promise<BackfillReport> {
  const ctx = isRepository(target) ? target.ctx : systemContext(target.connection, target.collection);
  const guard = isRepository(target) ? ctx.guard : { target: ctx.definition.name };
  const needsWork = options.filter === undefined ? {} : guardFilter(options.filter, guard);
  const transform = options.transform as BackfillPlan['transform'];
  return runMongoBackfill({ ctx, needsWork, transform }, options);
}
