// Writes to one collection: create, update and delete one document by id (optimistic locking), or many by filter.
import type { Document, ObjectId } from 'mongodb';
import { ValidationError } from '../core/errors.js';
import type { CallOptions } from '../core/internal.js';
import { requireAtomicUpdates } from './atomicity.js';
import type { RepoContext } from './context.js';
import { toOutput, writeOptions } from './context.js';
import { explainMiss, prepareInsert, refineConflict, resolveId, versionedFilter } from './documents.js';
import { guardFilter } from './injection-guard.js';
import { runMongo } from './operations.js';
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

/** @internal Applies an update to one document by id; NotFoundError or VersionConflictError when nothing matched. */
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
  const filter = versionedFilter(ctx, _id, options.expectedVersion);
  const operation = built.idempotent ? 'updateIdempotent' : 'update';
  if (options.returnDocument === false) {
    const result = await runMongo(
      ctx,
      operation,
      () => ctx.collection.updateOne(filter, built.update, writeOptions(ctx)),
      options,
    );
    if (result.matchedCount === 0) return explainMiss(ctx, _id, options.expectedVersion, options);
    return undefined;
  }
  const doc = await runMongo(
    ctx,
    operation,
    () =>
      ctx.collection.findOneAndUpdate(filter, built.update, {
        returnDocument: 'after',
        ...writeOptions(ctx),
      }),
    options,
  );
  if (doc === null) return explainMiss(ctx, _id, options.expectedVersion, options);
  return toOutput(ctx, doc);
}

/** @internal Applies an update to every document matching a non-empty filter. */
export async function updateDocuments(
  ctx: RepoContext,
  updateCtx: UpdateContext,
  filter: unknown,
  update: unknown,
  options: ByFilterOptions,
): Promise<{ matchedCount: number; modifiedCount: number }> {
  const guarded = guardMany(ctx, filter, options, 'updateMany');
  const built = buildUpdate(update, updateCtx);
  const result = await runMongo(
    ctx,
    'updateMany',
    () => ctx.collection.updateMany(guarded, built.update, writeOptions(ctx)),
    options,
    (r) => ({ count: r.modifiedCount }),
  );
  return { matchedCount: result.matchedCount, modifiedCount: result.modifiedCount };
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
