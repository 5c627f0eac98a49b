// Keyset pagination: sort fields plus `_id` as tiebreaker, positions sealed in core's signed cursors, never `skip`.
import { BSON } from 'mongodb';
import type { Document } from 'mongodb';
import { ValidationError } from '../core/errors.js';
import type { CursorBinding } from '../core/cursor.js';
import type { CallOptions, Page } from '../core/internal.js';
import { pageSize } from '../core/internal.js';
import type { RepoContext } from './context.js';

/**
 * The Extended JSON implementation positions and bindings are written with: the driver's, or
 * another copy's (Mongoose bundles its own driver, whose BSON values the application's copy refuses).
 */
export type Ejson = Pick<typeof BSON.EJSON, 'serialize' | 'deserialize'>;
import { readOptions, toOutput } from './context.js';
import { watchScan } from './explain.js';
import { guardFilter } from './injection-guard.js';
import { runMongo } from './operations.js';
import { projectionOf, upgradeRead } from './reads.js';

/** One sort key and its direction. */
export type SortEntry = readonly [field: string, direction: 1 | -1];

/**
 * The sort with `_id` appended as tiebreaker (in the direction of the last key), so every
 * position is unique and no document is skipped or repeated between pages.
 *
 * @example
 * ```ts
 * keysetSort({ createdAt: -1 }) // [['createdAt', -1], ['_id', -1]]
 * ```
 */
export function keysetSort(sort: Readonly<Record<string, unknown>> | undefined): SortEntry[] {
  const entries: SortEntry[] = [];
  for (const [field, direction] of Object.entries(sort ?? {})) {
    if (direction !== 1 && direction !== -1) {
      throw new ValidationError(
        [
          {
            path: ['sort', field],
            message: 'sort direction must be 1 or -1',
            code: 'pagination.invalidSort',
          },
        ],
        {
          code: 'pagination.invalidSort',
          engine: 'mongodb',
        },
      );
    }
    if (field === '_id') break;
    entries.push([field, direction]);
  }
  const last = sort?._id === 1 || sort?._id === -1 ? sort._id : (entries.at(-1)?.[1] ?? 1);
  entries.push(['_id', last]);
  return entries;
}

function after(field: string, direction: 1 | -1, value: unknown): Document | undefined {
  if (field === '_id') return { _id: { [direction === 1 ? '$gt' : '$lt']: value } };
  // Comparisons are type-bracketed in MongoDB, and null / missing sort first: handle them apart.
  if (direction === 1) return value === null ? { [field]: { $ne: null } } : { [field]: { $gt: value } };
  if (value === null) return undefined;
  return { $or: [{ [field]: { $lt: value } }, { [field]: { $eq: null } }] };
}

/**
 * The filter selecting documents strictly after `position` in `sort` order:
 * `(a > va) OR (a = va AND b > vb) OR ... OR (a = va AND ... AND _id > vid)`.
 *
 * @example
 * ```ts
 * keysetFilter([['createdAt', -1], ['_id', -1]], [date, id])
 * // { $or: [{ $or: [{ createdAt: { $lt: date } }, { createdAt: { $eq: null } }] }, { createdAt: { $eq: date }, _id: { $lt: id } }] }
 * ```
 */
export function keysetFilter(sort: readonly SortEntry[], position: readonly unknown[]): Document {
  const branches: Document[] = [];
  sort.forEach(([field, direction], i) => {
    const condition = after(field, direction, position[i] ?? null);
    if (condition === undefined) return;
    const ties: Document = {};
    for (let j = 0; j < i; j++) {
      const [tieField] = sort[j] as SortEntry;
      ties[tieField] = { $eq: position[j] ?? null };
    }
    branches.push({ ...ties, ...condition });
  });
  if (branches.length === 0) return { _id: { $exists: false } };
  return branches.length === 1 ? (branches[0] as Document) : { $or: branches };
}

/** Reads a (possibly dotted) path from a document; missing is null, as MongoDB sorts it. */
export function valueAt(doc: Document, path: string): unknown {
  let current: unknown = doc;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null) return null;
    current = (current as Document)[segment];
  }
  return current ?? null;
}

/**
 * Encodes the sort values of the last document of a page as Extended JSON, so ObjectIds, Dates
 * and Decimal128 survive the trip through a cursor.
 *
 * @example
 * ```ts
 * const position = encodePosition(lastDoc, sort)
 * ```
 */
export function encodePosition(
  doc: Document,
  sort: readonly SortEntry[],
  ejson: Ejson = BSON.EJSON,
): unknown {
  return ejson.serialize({ p: sort.map(([field]) => valueAt(doc, field)) }, { relaxed: false });
}

/**
 * Decodes a position made by {@link encodePosition}; anything else is a ValidationError.
 *
 * @example
 * ```ts
 * const values = decodePosition(codec.decode(token, binding), sort.length)
 * ```
 */
export function decodePosition(position: unknown, length: number, ejson: Ejson = BSON.EJSON): unknown[] {
  try {
    const decoded = ejson.deserialize(position as Document, { relaxed: false }) as { p?: unknown };
    if (Array.isArray(decoded.p) && decoded.p.length === length) return decoded.p as unknown[];
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError(
    [{ path: ['cursor'], message: 'The pagination cursor is malformed.', code: 'cursor.malformed' }],
    {
      code: 'cursor.malformed',
      engine: 'mongodb',
    },
  );
}

/**
 * What a cursor is bound to: the collection, the guarded filter and the sort, so a cursor cannot
 * be replayed on another query.
 *
 * @example
 * ```ts
 * codec.encode(position, pageBinding('posts', filter, sort))
 * ```
 */
export function pageBinding(
  source: string,
  filter: Document,
  sort: readonly SortEntry[],
  ejson: Ejson = BSON.EJSON,
): CursorBinding {
  return {
    source,
    filter: ejson.serialize(filter, { relaxed: false }),
    sort: sort.map(([f, d]) => `${f}:${d}`),
  };
}

/**
 * The find for one page: the caller's filter AND the keyset condition, the full sort, and one
 * extra document to tell whether another page follows.
 *
 * @example
 * ```ts
 * const { filter, sort, limit } = pageQuery({ authorId }, keysetSort({ createdAt: -1 }), position, 20)
 * ```
 */
export function pageQuery(
  filter: Document,
  sort: readonly SortEntry[],
  position: readonly unknown[] | undefined,
  pageSize: number,
): { filter: Document; sort: Document; limit: number } {
  const keyset = position === undefined ? undefined : keysetFilter(sort, position);
  let combined = filter;
  if (keyset !== undefined) combined = Object.keys(filter).length === 0 ? keyset : { $and: [filter, keyset] };
  return { filter: combined, sort: Object.fromEntries(sort), limit: pageSize + 1 };
}

/** @internal What one page read takes besides the filter. */
export interface PageRequest extends CallOptions {
  select?: readonly string[] | undefined;
  sort?: Readonly<Record<string, unknown>> | undefined;
  limit?: number | undefined;
  cursor?: string | null | undefined;
}

/**
 * @internal One page in keyset order with a signed cursor for the next, run as the repository's
 * `paginate` operation: one more document than the page is read to know whether a next page exists.
 *
 * @example
 * ```ts
 * const page = await paginateDocuments(ctx, { status: 'open' }, { sort: { createdAt: -1 }, limit: 20 })
 * ```
 */
export async function paginateDocuments(
  ctx: RepoContext,
  filter: unknown,
  options: PageRequest,
): Promise<Page<Document>> {
  const guarded = guardFilter(filter, ctx.guard);
  const sort = keysetSort(options.sort);
  const binding = pageBinding(ctx.definition.name, guarded, sort);
  const codec = ctx.connection.cursors();
  const position = options.cursor
    ? decodePosition(codec.decode(options.cursor, binding), sort.length)
    : undefined;
  const size = pageSize(options.limit);
  const query = pageQuery(guarded, sort, position, size);
  const projection = projectionOf(
    ctx,
    options.select,
    sort.map(([f]) => f),
  );
  const docs = await runMongo(
    ctx,
    'paginate',
    (signal) =>
      ctx.collection
        .find(query.filter, {
          ...readOptions(ctx, signal, options),
          sort: query.sort,
          limit: query.limit,
          ...(projection ? { projection } : {}),
        })
        .toArray(),
    options,
    (r) => ({ count: Math.min(r.length, size) }),
  );
  const items = docs.slice(0, size);
  const last = items.at(-1);
  watchScan(ctx, guarded, query.sort, query.limit);
  // The cursor is the last document as stored: the server sorted on its stored values.
  const current = await upgradeRead(ctx, items, { projection, select: options.select }, options);
  return {
    items: current.map((d) => toOutput(ctx, d)),
    cursor:
      docs.length > size && last !== undefined ? codec.encode(encodePosition(last, sort), binding) : null,
  };
}
