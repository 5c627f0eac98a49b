// The injection guard over Mongoose filters and pipelines: request data is only compared, unless marked trusted.
import mongoose from 'mongoose';
import type { Schema } from 'mongoose';
import type { Document } from 'mongodb';
import { ValidationError } from '../core/errors.js';
import { guardPipeline } from '../mongo/aggregate.js';
import { assertNoJavaScript, guardFilter } from '../mongo/injection-guard.js';
import type { GuardOptions } from '../mongo/injection-guard.js';

// Mongoose marks its own operators (populate's `$in`) and the caller's `mongoose.trusted()` values
// with a private symbol; it is read back from a marked object once.
const MONGOOSE_TRUSTED = Object.getOwnPropertySymbols(mongoose.trusted({}))[0];
const LOGICAL = new Set(['$and', '$or', '$nor']);

/** How the guard treats one model's filters. */
export interface MongooseGuardOptions {
  /** The model's schema: dotted paths it declares are accepted, others refused. */
  schema: Schema;
  /** Model name for error context. */
  target: string;
  /** Fields where `op.regex` patterns run as given. */
  searchable?: ReadonlySet<string>;
}

/**
 * True for an object marked with `mongoose.trusted()` (or by Mongoose itself, as populate does).
 *
 * @example
 * ```ts
 * isMongooseTrusted(mongoose.trusted({ $gt: 5 })) // true
 * ```
 */
export function isMongooseTrusted(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || MONGOOSE_TRUSTED === undefined) return false;
  return (value as Record<symbol, unknown>)[MONGOOSE_TRUSTED] === true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function dottedPaths(filter: Record<string, unknown>, schema: Schema, into: Set<string>): Set<string> {
  for (const [key, value] of Object.entries(filter)) {
    if (LOGICAL.has(key) && Array.isArray(value)) {
      for (const sub of value as unknown[]) if (isPlainObject(sub)) dottedPaths(sub, schema, into);
    } else if (key.includes('.') && schema.pathType(key) !== 'adhocOrUndefined') {
      into.add(key);
    }
  }
  return into;
}

/** A Mongoose document compared by its `_id`, as Mongoose itself casts it. */
function comparable(value: unknown): unknown {
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { $isMongooseDocument?: unknown }).$isMongooseDocument === true
  ) {
    return (value as { _id: unknown })._id;
  }
  return value;
}

/**
 * Checks a Mongoose filter and rewrites it so that request data can only be compared: plain values
 * become `$eq`; operators in values, `$where` / `$expr` / `$function`, prototype keys and dotted paths
 * the schema does not declare are refused with a ValidationError naming the path. Operators pass
 * only when built with dbkit's `op` / `or` / `and` helpers or marked with `mongoose.trusted()`.
 *
 * @example
 * ```ts
 * guardMongooseFilter({ email: 'a@b.c', password: { $gt: '' } }, { schema: userSchema, target: 'User' })
 * // throws ValidationError: password.$gt: operators are not accepted in values (injection.operator)
 * guardMongooseFilter({ createdAt: mongoose.trusted({ $gte: since }) }, { schema, target: 'User' }) // passes
 * ```
 */
export function guardMongooseFilter(filter: unknown, options: MongooseGuardOptions): Document {
  return guardLevel(filter, options, []);
}

function guardLevel(filter: unknown, options: MongooseGuardOptions, path: (string | number)[]): Document {
  if (filter === undefined || filter === null) return {};
  if (isMongooseTrusted(filter)) {
    assertNoJavaScript(filter, path, options.target);
    return filter;
  }
  const guard: GuardOptions = {
    target: options.target,
    idType: 'string', // Mongoose casts ids itself
    ...(options.searchable === undefined ? {} : { searchable: options.searchable }),
  };
  if (!isPlainObject(filter)) return guardFilter(filter, guard, path);
  const paths = dottedPaths(filter, options.schema, new Set());
  const out: Document = {};
  for (const [key, value] of Object.entries(filter)) {
    if (LOGICAL.has(key)) {
      if (!Array.isArray(value) || value.length === 0) {
        throw new ValidationError(
          [
            {
              path: [...path, key],
              message: `${key} needs a non-empty array of filters`,
              code: 'filter.invalid',
            },
          ],
          { code: 'filter.invalid', engine: 'mongodb', operation: 'filter', target: options.target },
        );
      }
      out[key] = (value as unknown[]).map((f, i) => guardLevel(f, options, [...path, key, i]));
      continue;
    }
    if (isMongooseTrusted(value)) {
      assertNoJavaScript(value, [...path, key], options.target);
      out[key] = value;
      continue;
    }
    Object.assign(out, guardFilter({ [key]: comparable(value) }, { ...guard, paths }, path));
  }
  return out;
}

/**
 * Guards an aggregation pipeline in place: `$match` stages (sub-pipelines included) go through the
 * injection guard, and server-side JavaScript is refused anywhere.
 *
 * @example
 * ```ts
 * guardMongoosePipeline(aggregate.pipeline(), { schema, target: 'Post' })
 * ```
 */
export function guardMongoosePipeline(pipeline: Document[], options: MongooseGuardOptions): void {
  const guarded = guardPipeline(pipeline, {
    target: options.target,
    idType: 'string',
    ...(options.searchable === undefined ? {} : { searchable: options.searchable }),
  });
  pipeline.splice(0, pipeline.length, ...guarded);
}
