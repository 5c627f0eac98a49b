// Keyset pagination for Mongoose models with dbkit's signed, query-bound cursors: no skip, no gaps, no repeats.
import type { Model } from 'mongoose';
import type { Document } from 'mongodb';
import { ValidationError } from '../core/errors.js';
import { decodePosition, encodePosition, keysetSort, pageBinding, pageQuery } from '../mongo/pagination.js';
import type { Ejson } from '../mongo/pagination.js';
import { guardMongooseFilter } from './filter-guard.js';
import { skipGuard } from './hooks.js';
import { stateOf } from './state.js';

/**
 * Options for {@link paginate}.
 *
 * @example
 * ```ts
 * await paginate(UserModel, { role: 'admin' }, { sort: { createdAt: -1 }, limit: 20, cursor: req.query.cursor })
 * ```
 */
export interface PaginateOptions {
  /** Sort keys; `_id` is appended as the tiebreaker. Default `{ _id: 1 }`. */
  sort?: Readonly<Record<string, 1 | -1>> | undefined;
  /** Page size, 1 to 1000. Default 20. */
  limit?: number | undefined;
  /** The `cursor` of the previous page; absent, undefined or null for the first page (`req.query.cursor` fits). */
  cursor?: string | null | undefined;
}

/**
 * One page: plain documents (lean) and the cursor of the next page, null on the last.
 *
 * @example
 * ```ts
 * const page: MongoosePage<User> = await paginate(UserModel, {}, { limit: 20 })
 * res.json({ items: page.items, next: page.cursor })
 * ```
 */
export interface MongoosePage<T> {
  items: T[];
  cursor: string | null;
}

const MAX_LIMIT = 1000;

/**
 * Reads one page of `model` in keyset order. The filter goes through the injection guard; the
 * cursor is encrypted, signed and bound to the model, filter and sort, so a tampered cursor or one
 * issued for another query is refused with a ValidationError (`cursor.*`).
 *
 * @example
 * ```ts
 * const first = await paginate(UserModel, { role: 'admin' }, { sort: { createdAt: -1 }, limit: 20 })
 * const next = await paginate(UserModel, { role: 'admin' }, { sort: { createdAt: -1 }, limit: 20, cursor: first.cursor })
 * ```
 */
export async function paginate<T>(
  model: Model<T>,
  filter: unknown,
  options: PaginateOptions = {},
): Promise<MongoosePage<T>> {
  const target = model.modelName;
  const state = stateOf(model.schema, target);
  const limit = options.limit ?? 20;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ValidationError(
      [
        {
          path: ['limit'],
          message: `limit must be an integer from 1 to ${MAX_LIMIT}`,
          code: 'pagination.invalidLimit',
        },
      ],
      { code: 'pagination.invalidLimit', engine: 'mongodb', target },
    );
  }
  const guarded = guardMongooseFilter(filter, { schema: model.schema, target, searchable: state.searchable });
  const sort = keysetSort(options.sort);
  // Mongoose's own driver copy writes and reads the BSON values: the application's `mongodb` may be
  // another major version, whose BSON refuses Mongoose's ObjectIds (BSONVersionError).
  const ejson = (model.base as { mongo?: { BSON?: { EJSON?: Ejson } } }).mongo?.BSON?.EJSON;
  const binding = pageBinding(model.collection.collectionName, guarded, sort, ejson);
  const codec = state.cursors();
  const position =
    options.cursor === undefined || options.cursor === null
      ? undefined
      : decodePosition(codec.decode(options.cursor, binding), sort.length, ejson);
  const page = pageQuery(guarded, sort, position, limit);
  const docs = (await skipGuard(
    model.find(page.filter).sort(page.sort).limit(page.limit).lean(),
  )) as Document[];
  const items = docs.slice(0, limit);
  const last = items.at(-1);
  const cursor =
    docs.length > limit && last !== undefined
      ? codec.encode(encodePosition(last, sort, ejson), binding)
      : null;
  return { items: items as T[], cursor };
}
