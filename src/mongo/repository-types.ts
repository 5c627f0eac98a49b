// The types repository methods take and return: typed filters, sorts, selections and per-call options.
import type { Document, ObjectId } from 'mongodb';
import type { StoredDocument, OutputDocument } from './collection.js';
import type { CallOptions } from '../core/internal.js';
import type { Logical, Op, Trusted } from './operators.js';

type Element<V> = V extends readonly (infer E)[] ? E : V;
type IdFilter = ObjectId | string | Op<ObjectId | string>;
type Fields<T> = { [K in Exclude<keyof T, '_id'>]?: T[K] | Element<T[K]> | Op<T[K]> | Op<Element<T[K]>> };

/** A typed filter: each field takes a value (compared with `$eq`) or an `op` operator. */
export type Filter<C> = Fields<StoredDocument<C>> & { _id?: IdFilter } & (C extends { readonly mapId: true }
    ? { id?: IdFilter }
    : unknown) & {
    [path: `${string}.${string}`]: unknown;
  };
/**
 * What repository methods accept as a filter: typed fields, `or` / `and` / `nor` of filters (nested
 * logicals and `textSearch` included), or a trusted filter.
 */
export type FilterInput<C> = Filter<C> | Logical<FilterInput<C>> | Trusted<Document>;
/** A sort over the stored fields; `_id` is appended as tiebreaker. */
export type SortSpec<C> = { [K in keyof StoredDocument<C> & string]?: 1 | -1 };
type IdKey<C> = Extract<'id' | '_id', keyof OutputDocument<C>>;
/** A result narrowed to the selected fields (plus the id), or the whole document. */
export type Selected<C, K extends string> = [K] extends [never]
  ? OutputDocument<C>
  : string extends K
    ? OutputDocument<C>
    : Pick<OutputDocument<C>, Extract<K | IdKey<C>, keyof OutputDocument<C>>>;

/** Options for finds. */
export interface FindOptions<C, K extends string> extends CallOptions {
  /** Fields to return (the id always comes back). */
  select?: readonly K[] | undefined;
  sort?: SortSpec<C> | undefined;
  /** Maximum documents; default 1000 for `findMany`. */
  limit?: number | undefined;
}

/** Options for `paginate`. */
export interface PageOptions<C, K extends string> extends CallOptions {
  select?: readonly K[] | undefined;
  /** Sort on indexed fields; `_id` is added as tiebreaker. Default `{ _id: 1 }`. */
  sort?: SortSpec<C> | undefined;
  /** Page size, default 25, max 1000; `req.query.limit` parsed to a number may be passed as is. */
  limit?: number | undefined;
  /** The cursor of the previous page; `req.query.cursor` (a string or undefined) may be passed as is. */
  cursor?: string | null | undefined;
}

/** Options for `update` and `delete`. */
export interface WriteOptions extends CallOptions {
  /** The version the caller read; a lost race throws VersionConflictError. */
  expectedVersion?: number | undefined;
}

/** Options for `update`. */
export interface UpdateOptions extends WriteOptions {
  /** Return the updated document (default true); `false` saves the read-back. */
  returnDocument?: boolean | undefined;
}

/** Options for `deleteMany` / `updateMany`. */
export interface ManyOptions extends CallOptions {
  /** Allow an empty filter (every document). Default false. */
  allowEmptyFilter?: boolean | undefined;
}

/** Options for `explain` and `assertIndexed`: the find to explain besides its filter. */
export interface ExplainOptions<C> extends CallOptions {
  sort?: SortSpec<C> | undefined;
  limit?: number | undefined;
}
