// The types repository methods take and return: typed filters, sorts, selections and per-call options.
import type { Document, ObjectId } from 'mongodb';
import type { StoredDocument, OutputDocument } from './collection.js';
import type { CallOptions } from '../core/internal.js';
import type { Logical, Op, Trusted } from './operators.js';

type Element<V> = V extends readonly (infer E)[] ? E : V;
type IdFilter = ObjectId | string | Op<ObjectId | string>;
type Fields<T> = { [K in Exclude<keyof T, '_id'>]?: T[K] | Element<T[K]> | Op<T[K]> | Op<Element<T[K]>> };

/**
 * A typed filter: each field takes a value (compared with `$eq`) or an `op` operator.
 *
 * @example
 * ```ts
 * const admins: Filter<typeof Users> = { role: 'admin', createdAt: op.gte(since) }
 * ```
 */
export type Filter<C> = Fields<StoredDocument<C>> & { _id?: IdFilter } & (C extends { readonly mapId: true }
    ? { id?: IdFilter }
    : unknown) & {
    [path: `${string}.${string}`]: unknown;
  };
/**
 * What repository methods accept as a filter: typed fields, `or` / `and` / `nor` of filters (nested
 * logicals and `textSearch` included), or a trusted filter.
 *
 * @example
 * ```ts
 * const filter: FilterInput<typeof Posts> = and(textSearch(q), or({ authorId }, { published: true }))
 * ```
 */
export type FilterInput<C> = Filter<C> | Logical<FilterInput<C>> | Trusted<Document>;
/**
 * A sort over the stored fields; `_id` is appended as tiebreaker.
 *
 * @example
 * ```ts
 * const sort: SortSpec<typeof Posts> = { createdAt: -1 }
 * ```
 */
export type SortSpec<C> = { [K in keyof StoredDocument<C> & string]?: 1 | -1 };
type IdKey<C> = Extract<'id' | '_id', keyof OutputDocument<C>>;
/**
 * A result narrowed to the selected fields (plus the id), or the whole document.
 *
 * @example
 * ```ts
 * type Summary = Selected<typeof Users, 'name'> // { id, name } or { _id, name }
 * ```
 */
export type Selected<C, K extends string> = [K] extends [never]
  ? OutputDocument<C>
  : string extends K
    ? OutputDocument<C>
    : Pick<OutputDocument<C>, Extract<K | IdKey<C>, keyof OutputDocument<C>>>;

/**
 * Options for finds.
 *
 * @example
 * ```ts
 * await users.findMany({ role: 'admin' }, { select: ['name'], sort: { name: 1 }, limit: 50 })
 * ```
 */
export interface FindOptions<C, K extends string> extends CallOptions {
  /** Fields to return (the id always comes back). */
  select?: readonly K[] | undefined;
  sort?: SortSpec<C> | undefined;
  /** Maximum documents; default 1000 for `findMany`. */
  limit?: number | undefined;
}

/**
 * Options for `paginate`.
 *
 * @example
 * ```ts
 * await posts.paginate({ published: true }, { sort: { createdAt: -1 }, limit: 20, cursor: req.query.cursor })
 * ```
 */
export interface PageOptions<C, K extends string> extends CallOptions {
  select?: readonly K[] | undefined;
  /** Sort on indexed fields; `_id` is added as tiebreaker. Default `{ _id: 1 }`. */
  sort?: SortSpec<C> | undefined;
  /** Page size, default 25, max 1000; `req.query.limit` parsed to a number may be passed as is. */
  limit?: number | undefined;
  /** The cursor of the previous page; `req.query.cursor` (a string or undefined) may be passed as is. */
  cursor?: string | null | undefined;
}

/**
 * Options for `update` and `delete`.
 *
 * @example
 * ```ts
 * await users.delete(id, { expectedVersion: body.version })
 * ```
 */
export interface WriteOptions extends CallOptions {
  /** The version the caller read; a lost race throws VersionConflictError. */
  expectedVersion?: number | undefined;
}

/**
 * Options for `update`.
 *
 * @example
 * ```ts
 * await users.update(id, { $set: { name } }, { expectedVersion: 3, returnDocument: false })
 * ```
 */
export interface UpdateOptions extends WriteOptions {
  /** Return the updated document (default true); `false` saves the read-back. */
  returnDocument?: boolean | undefined;
}

/**
 * Options for `deleteMany` / `updateMany`.
 *
 * @example
 * ```ts
 * await sessions.deleteMany({}, { allowEmptyFilter: true })
 * ```
 */
export interface ManyOptions extends CallOptions {
  /** Allow an empty filter (every document). Default false. */
  allowEmptyFilter?: boolean | undefined;
}

/**
 * Options for `explain` and `assertIndexed`: the find to explain besides its filter.
 *
 * @example
 * ```ts
 * await posts.assertIndexed({ authorId }, { sort: { createdAt: -1 }, limit: 20 })
 * ```
 */
export interface ExplainOptions<C> extends CallOptions {
  sort?: SortSpec<C> | undefined;
  limit?: number | undefined;
}
