// Writes to one collection: create, update and delete one document by id (optimistic locking), or many by filter.
import type { Document, ObjectId } from 'mongodb';
import { ConditionFailedError, ConflictError, ValidationError } from '../core/errors.js';
import type { CallOptions } from '../core/internal.js';
import { requireAtomicUpdates } from './atomicity.js';
import type { RepoContext } from './context.js';
import { readOptions, toOutput, writeOptions } from './context.js';
import {
  explainMiss,
  fetchStored,
  prepareInsert,
  refineConflict,
  resolveId,
  versionedFilter,
  writeBackUpgrade,
} from './documents.js';
import { guardFilter } from './injection-guard.js';
import { runMongo } from './operations.js';
import {
  needsUpgrade,
  olderThanCurrentFilter,
  pinToCurrentVersion,
  SCHEMA_VERSION_FIELD,
} from './schema-version.js';
import { assertDocumentSize, buildUpdate } from './update-builder.js';
import type { UpdateContext } from './update-builder.js';

/** @internal How updates on this collection are built: protected fields, version and timestamps. */
export function updateContextOf(ctx: RepoContext): UpdateContext {
  const def = ctx.definition;
  return {
    target: def.name,
    ...(def.versioned ? { versionField: 'version' } : {}),
    timestamps: def.timestamps,
    protectedFields: new Set([
      '_id',
      ...(def.versioned ? ['version'] : []),
      ...(def.timestamps ? ['createdAt', 'updatedAt'] : []),
      ...(def.schemaVersion === undefined ? [] : [SCHEMA_VERSION_FIELD]),
    ]),
    paths: def.paths,
    guard: ctx.guard,
  };
}

/** @internal Options of a write by id. */
export interface ByIdOptions extends CallOptions {
  expectedVersion?: number | undefined;
  returnDocument?: boolean | undefined;
}

/** @internal Options of a write by filter. */
export interface ByFilterOptions extends CallOptions {
  allowEmptyFilter?: boolean | undefined;
}

/** @internal Validates, stamps and inserts one document; a duplicate key is a ConflictError naming the fields. */
export async function createDocument(
  ctx: RepoContext,
  input: unknown,
  options: CallOptions,
): Promise<Document> {
  const doc = await prepareInsert(ctx, input);
  try {
    await runMongo(ctx, 'create', () => ctx.collection.insertOne(doc, writeOptions(ctx)), options);
  } catch (err) {
    throw await refineConflict(ctx, err, doc);
  }
  return toOutput(ctx, doc);
}

// Upgrade-then-update attempts before giving up on a document that keeps changing under the update.
const MAX_UPGRADE_ATTEMPTS = 5;

/**
 * @internal Applies an update to one document by id; NotFoundError or VersionConflictError when nothing
 * matched. On a collection with a `schemaVersion`, the update only matches a current document; when
 * the stored one is older it is upgraded and written back conditionally, then the update runs again
 * (a bounded loop; ConflictError `migration.upgradeContention` if the document keeps changing).
 * A current document costs no extra round trip.
 */
export async function updateDocument(
  ctx: RepoContext,
  updateCtx: UpdateContext,
  id: ObjectId | string,
  update: unknown,
  options: ByIdOptions,
): Promise<Document | undefined> {
  const _id = resolveId(ctx, id);
  const built = buildUpdate(update, updateCtx);
  assertDocumentSize(built.update, ctx.definition.name, 'update');
  if (options.expectedVersion !== undefined) await requireAtomicUpdates(ctx, 'update');
  const pinned = pinToCurrentVersion(
    ctx.definition,
    versionedFilter(ctx, _id, options.expectedVersion),
    built.update,
  );
  const operation = built.idempotent ? 'updateIdempotent' : 'update';
  const attempt = async (): Promise<{ matched: boolean; doc?: Document }> => {
    if (options.returnDocument === false) {
      const result = await runMongo(
        ctx,
        operation,
        () => ctx.collection.updateOne(pinned.filter, pinned.update, writeOptions(ctx)),
        options,
      );
      return { matched: result.matchedCount > 0 };
    }
    const doc = await runMongo(
      ctx,
      operation,
      () =>
        ctx.collection.findOneAndUpdate(pinned.filter, pinned.update, {
          returnDocument: 'after',
          ...writeOptions(ctx),
        }),
      options,
    );
    return doc === null ? { matched: false } : { matched: true, doc };
  };
  for (let round = 0; ; round++) {
    const outcome = await attempt();
    if (outcome.matched) return outcome.doc === undefined ? undefined : toOutput(ctx, outcome.doc);
    if (ctx.definition.schemaVersion === undefined) {
      return explainMiss(ctx, _id, options.expectedVersion, options);
    }
    const stored = await fetchStored(ctx, _id, options);
    const expected = options.expectedVersion;
    if (stored === null || (expected !== undefined && stored.version !== expected)) {
      return explainMiss(ctx, _id, expected, options);
    }
    if (round + 1 >= MAX_UPGRADE_ATTEMPTS) {
      throw new ConflictError(
        `the document ${String(_id)} kept changing while it was upgraded to schemaVersion ${ctx.definition.schemaVersion} for an update; nothing was updated`,
        {
          code: 'migration.upgradeContention',
          engine: 'mongodb',
          operation: 'update',
          target: ctx.definition.name,
        },
      );
    }
    // Already current: it was upgraded by someone else since the update missed; run the update again.
    if (needsUpgrade(ctx.definition, stored)) await writeBackUpgrade(ctx, stored, options);
  }
}

/**
 * @internal Applies an update to every document matching a non-empty filter. On a collection with a
 * `schemaVersion` it only touches current documents, and refuses (ConditionFailedError
 * `migration.pending`, nothing updated) when the filter matches stored documents at an older version:
 * the filter is written for the current shape, so run the batch migration first.
 */
export async function updateDocuments(
  ctx: RepoContext,
  updateCtx: UpdateContext,
  filter: unknown,
  update: unknown,
  options: ByFilterOptions,
): Promise<{ matchedCount: number; modifiedCount: number }> {
  const guarded = guardMany(ctx, filter, options, 'updateMany');
  const built = buildUpdate(update, updateCtx);
  if (ctx.definition.schemaVersion !== undefined) await refuseOlder(ctx, guarded, options, 'updateMany');
  const pinned = pinToCurrentVersion(ctx.definition, guarded, built.update);
  const result = await runMongo(
    ctx,
    'updateMany',
    () => ctx.collection.updateMany(pinned.filter, pinned.update, writeOptions(ctx)),
    options,
    (r) => ({ count: r.modifiedCount }),
  );
  return { matchedCount: result.matchedCount, modifiedCount: result.modifiedCount };
}

/**
 * @internal Throws ConditionFailedError `migration.pending` when `filter` matches a stored document
 * older than the collection's schema version.
 */
export async function refuseOlder(
  ctx: RepoContext,
  filter: Document,
  options: CallOptions,
  operation: string,
): Promise<void> {
  const older = await runMongo(
    ctx,
    'exists',
    (signal) =>
      ctx.collection.findOne(
        { $and: [filter, olderThanCurrentFilter(ctx.definition)] },
        { ...readOptions(ctx, signal, options), projection: { _id: 1 } },
      ),
    options,
  );
  if (older === null) return;
  throw new ConditionFailedError(
    `${operation} matches documents stored at a schemaVersion older than ${ctx.definition.schemaVersion} (e.g. ${String(older._id)}); run the batch migration first, or update them by id`,
    { code: 'migration.pending', engine: 'mongodb', operation, target: ctx.definition.name },
  );
}

/** @internal Deletes one document by id; NotFoundError or VersionConflictError when nothing matched. */
export async function deleteDocument(
  ctx: RepoContext,
  id: ObjectId | string,
  options: ByIdOptions,
): Promise<void> {
  const _id = resolveId(ctx, id);
  if (options.expectedVersion !== undefined) await requireAtomicUpdates(ctx, 'delete');
  const filter = versionedFilter(ctx, _id, options.expectedVersion);
  // Resent after the first send deleted the document, it would answer NotFoundError for a delete
  // that succeeded: declared not idempotent, so a lost answer is OutcomeUnknownError.
  const result = await runMongo(
    ctx,
    'delete',
    () => ctx.collection.deleteOne(filter, writeOptions(ctx)),
    options,
  );
  if (result.deletedCount === 0) await explainMiss(ctx, _id, options.expectedVersion, options);
}

/** @internal Deletes every document matching a non-empty filter and returns how many. */
export async function deleteDocuments(
  ctx: RepoContext,
  filter: unknown,
  options: ByFilterOptions,
): Promise<number> {
  const guarded = guardMany(ctx, filter, options, 'deleteMany');
  const result = await runMongo(
    ctx,
    'deleteMany',
    () => ctx.collection.deleteMany(guarded, writeOptions(ctx)),
    options,
    (r) => ({ count: r.deletedCount }),
  );
  return result.deletedCount;
}

function guardMany(ctx: RepoContext, filter: unknown, options: ByFilterOptions, operation: string): Document {
  const guarded = guardFilter(filter, ctx.guard);
  if (Object.keys(guarded).length === 0 && options.allowEmptyFilter !== true) {
    throw new ValidationError(
      [
        {
          path: ['filter'],
          message: `${operation} with an empty filter would touch every document; pass allowEmptyFilter: true`,
          code: 'filter.empty',
        },
      ],
      { code: 'filter.empty', engine: 'mongodb', operation, target: ctx.definition.name },
    );
  }
  return guarded;
}
