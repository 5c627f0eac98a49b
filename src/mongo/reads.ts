// Reads of one collection: find by id, find one, find many, exists and counts, with projections and scan warnings.
import type { Document, ObjectId } from 'mongodb';
import type { CallOptions } from '../core/internal.js';
import type { RepoContext } from './context.js';
import { readOptions, toOutput } from './context.js';
import { resolveId } from './documents.js';
import { watchScan } from './explain.js';
import { guardFilter } from './injection-guard.js';
import { runMongo } from './operations.js';

const DEFAULT_FIND_LIMIT = 1000;

/** @internal What a find takes besides the filter. */
export interface FindShape extends CallOptions {
  select?: readonly string[] | undefined;
  sort?: Readonly<Record<string, 1 | -1 | undefined>> | undefined;
  limit?: number | undefined;
}

/** @internal The projection for `select` (the id always comes back), plus fields the caller needs. */
export function projectionOf(
  ctx: RepoContext,
  select: readonly string[] | undefined,
  alsoNeeded: readonly string[],
): Document | undefined {
  if (select === undefined || select.length === 0) return undefined;
  const fields = [...select.map((f) => (f === 'id' && ctx.definition.mapId ? '_id' : f)), ...alsoNeeded];
  return Object.fromEntries(fields.map((f) => [f, 1]));
}

function findShape(ctx: RepoContext, options: FindShape): { projection?: Document; sort?: Document } {
  const projection = projectionOf(ctx, options.select, []);
  return {
    ...(projection ? { projection } : {}),
    ...(options.sort ? { sort: options.sort } : {}),
  };
}

async function findOneGuarded(
  ctx: RepoContext,
  filter: Document,
  options: FindShape,
  operation: 'findById' | 'findOne',
): Promise<Document | null> {
  const doc = await runMongo(
    ctx,
    operation,
    (signal) =>
      ctx.collection.findOne(filter, { ...readOptions(ctx, signal, options), ...findShape(ctx, options) }),
    options,
  );
  if (operation !== 'findById') watchScan(ctx, filter, options.sort, 1);
  return doc === null ? null : toOutput(ctx, doc);
}

/** @internal The document with this id, or null; a malformed id is a ValidationError. */
export function findById(
  ctx: RepoContext,
  id: ObjectId | string,
  options: FindShape,
): Promise<Document | null> {
  return findOneGuarded(ctx, { _id: resolveId(ctx, id) }, options, 'findById');
}

/** @internal The first document matching `filter` (in `sort` order), or null. */
export function findOne(ctx: RepoContext, filter: unknown, options: FindShape): Promise<Document | null> {
  return findOneGuarded(ctx, guardFilter(filter, ctx.guard), options, 'findOne');
}

/** @internal Documents matching `filter`, at most `limit` (default 1000). */
export async function findMany(ctx: RepoContext, filter: unknown, options: FindShape): Promise<Document[]> {
  const guarded = guardFilter(filter, ctx.guard);
  const limit = options.limit ?? DEFAULT_FIND_LIMIT;
  const docs = await runMongo(
    ctx,
    'findMany',
    (signal) =>
      ctx.collection
        .find(guarded, { ...readOptions(ctx, signal, options), ...findShape(ctx, options), limit })
        .toArray(),
    options,
    (r) => ({ count: r.length }),
  );
  watchScan(ctx, guarded, options.sort, limit);
  return docs.map((d) => toOutput(ctx, d));
}

/** @internal Whether any document matches. */
export async function exists(ctx: RepoContext, filter: unknown, options: CallOptions): Promise<boolean> {
  const guarded = guardFilter(filter, ctx.guard);
  const found = await runMongo(
    ctx,
    'exists',
    (signal) =>
      ctx.collection.findOne(guarded, { ...readOptions(ctx, signal, options), projection: { _id: 1 } }),
    options,
  );
  watchScan(ctx, guarded, undefined, 1);
  return found !== null;
}

/** @internal The exact number of matching documents. */
export function count(ctx: RepoContext, filter: unknown, options: CallOptions): Promise<number> {
  const guarded = guardFilter(filter, ctx.guard);
  return runMongo(
    ctx,
    'count',
    (signal) => ctx.collection.countDocuments(guarded, readOptions(ctx, signal, options)),
    options,
  );
}

/** @internal The collection's document count from metadata. */
export function estimatedCount(ctx: RepoContext, options: CallOptions): Promise<number> {
  return runMongo(
    ctx,
    'estimatedCount',
    () =>
      ctx.collection.estimatedDocumentCount(
        options.timeoutMs === undefined ? {} : { maxTimeMS: options.timeoutMs },
      ),
    options,
  );
}
