// Reads of one collection: find by id, find one, find many, exists and counts, with projections and scan warnings.
import { ObjectId } from 'mongodb';
import { UnsupportedError } from '../core/errors.js';
import type { Document } from 'mongodb';
import type { CallOptions } from '../core/internal.js';
import type { RepoContext } from './context.js';
import { readOptions, toOutput } from './context.js';
import { resolveId, writeBackUpgrade } from './documents.js';
import { watchScan } from './explain.js';
import { guardFilter } from './injection-guard.js';
import { runMongo } from './operations.js';
import { needsUpgrade, projectDocument, SCHEMA_VERSION_FIELD, upgradeDocument } from './schema-version.js';

const DEFAULT_FIND_LIMIT = 1000;

/** @internal What a find takes besides the filter. */
export interface FindShape extends CallOptions {
  select?: readonly string[] | undefined;
  sort?: Readonly<Record<string, 1 | -1 | undefined>> | undefined;
  limit?: number | undefined;
}

/**
 * @internal The projection for `select` (the id always comes back), plus fields the caller needs, plus
 * `schemaVersion` on a collection that has one (to tell older documents from current ones).
 */
export function projectionOf(
  ctx: RepoContext,
  select: readonly string[] | undefined,
  alsoNeeded: readonly string[],
): Document | undefined {
  if (select === undefined || select.length === 0) return undefined;
  const fields = [...select.map((f) => (f === 'id' && ctx.definition.mapId ? '_id' : f)), ...alsoNeeded];
  if (ctx.definition.schemaVersion !== undefined) fields.push(SCHEMA_VERSION_FIELD);
  return Object.fromEntries(fields.map((f) => [f, 1]));
}

function idKey(id: unknown): string {
  return id instanceof ObjectId ? `o:${id.toHexString()}` : `${typeof id}:${String(id)}`;
}

/**
 * @internal Brings read documents to the current schema version, in the order given. A current
 * document is returned as read and `upgrade` does not run. An older one is upgraded from its FULL
 * stored document (fetched in one query for all of them when the read was projected) and then
 * projected like the read; one deleted in between is left out. With `writeBackUpgrades`, upgraded
 * documents are written back conditionally (a lost race or a failed write-back leaves the read as
 * is). `schemaVersion` is removed from projected results unless selected.
 */
export async function upgradeRead(
  ctx: RepoContext,
  docs: readonly Document[],
  read: { projection: Document | undefined; select: readonly string[] | undefined },
  options: CallOptions,
): Promise<Document[]> {
  const def = ctx.definition;
  if (def.schemaVersion === undefined) return [...docs];
  const { projection } = read;
  const strip =
    projection !== undefined && !(read.select ?? []).includes(SCHEMA_VERSION_FIELD)
      ? (d: Document): Document => {
          const { [SCHEMA_VERSION_FIELD]: _v, ...rest } = d;
          return rest;
        }
      : (d: Document): Document => d;
  const older = docs.filter((d) => needsUpgrade(def, d));
  if (older.length === 0) return docs.map(strip);
  const full = new Map<string, Document>();
  if (projection === undefined) for (const d of older) full.set(idKey(d._id), d);
  else {
    const ids = older.map((d) => d._id as unknown);
    const stored = await runMongo(
      ctx,
      'findMany',
      (signal) =>
        ctx.collection.find({ _id: { $in: ids } } as Document, readOptions(ctx, signal, options)).toArray(),
      options,
      (r) => ({ count: r.length }),
    );
    for (const d of stored) full.set(idKey(d._id), d);
  }
  if (def.writeBackUpgrades) await writeBack(ctx, [...full.values()], options);
  const out: Document[] = [];
  for (const d of docs) {
    if (!needsUpgrade(def, d)) {
      out.push(strip(d));
      continue;
    }
    const stored = full.get(idKey(d._id));
    if (stored === undefined) continue;
    const upgraded = upgradeDocument(def, stored);
    out.push(strip(projection === undefined ? upgraded : projectDocument(upgraded, projection)));
  }
  return out;
}

async function writeBack(ctx: RepoContext, stored: readonly Document[], options: CallOptions): Promise<void> {
  for (const doc of stored) {
    if (!needsUpgrade(ctx.definition, doc)) continue;
    try {
      // False when another write got there first: that write wins, and is current or upgraded on its next read.
      await writeBackUpgrade(ctx, doc, options, 'writeBackUpgrades');
    } catch (err) {
      ctx.connection.logger.warn(
        { target: ctx.definition.name, id: String(doc._id), err },
        'dbkit: writing back a document upgraded on read failed; the read is answered without it',
      );
      // Refused for the deployment (no atomic conditional writes): the same for every other document.
      if (err instanceof UnsupportedError) return;
    }
  }
}

function findShape(ctx: RepoContext, options: FindShape): { projection?: Document; sort?: Document } {
  const projection = projectionOf(ctx, options.select, []);
  return {
    ...(projection ? { projection } : {}),
    ...(options.sort ? { sort: options.sort } : {}),
  };
}

function readShape(
  ctx: RepoContext,
  options: FindShape,
): { projection: Document | undefined; select: readonly string[] | undefined } {
  return { projection: projectionOf(ctx, options.select, []), select: options.select };
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
  if (doc === null) return null;
  const [current] = await upgradeRead(ctx, [doc], readShape(ctx, options), options);
  return current === undefined ? null : toOutput(ctx, current);
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
  const current = await upgradeRead(ctx, docs, readShape(ctx, options), options);
  return current.map((d) => toOutput(ctx, d));
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
