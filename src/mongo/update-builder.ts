// Builds typed update documents ($set / $unset / $inc / $push / $pull) with timestamps, versions and data checks.
import type { ErrorCode } from '../core/error-codes.js';
import { BSON } from 'mongodb';
import type { Document } from 'mongodb';
import { LimitExceededError, ValidationError } from '../core/errors.js';
import { guardFilter } from './injection-guard.js';
import type { GuardOptions } from './injection-guard.js';
import { nodeOf } from './operators.js';
import type { Op } from './operators.js';

type Element<V> = V extends readonly (infer E)[] ? E : never;
type ArrayKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends readonly unknown[] ? K : never }[keyof T];
type NumericKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends number ? K : never }[keyof T];
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];

declare const eachType: unique symbol;
/**
 * Several elements for `$push`, made by {@link each}.
 *
 * @example
 * ```ts
 * await posts.update(id, { $push: { tags: each(['db', 'node']) } })
 * ```
 */
export interface Each<E> {
  readonly [eachType]: E;
}
const eachValues = new WeakMap<object, readonly unknown[]>();

/**
 * Pushes several elements at once: `$push: { tags: each(['a', 'b']) }`.
 *
 * @example
 * ```ts
 * await posts.update(id, { $push: { tags: each(['db', 'node']) } })
 * ```
 */
export function each<E>(values: readonly E[]): Each<E> {
  const handle = Object.freeze(Object.create(null) as object);
  eachValues.set(handle, [...values]);
  return handle as Each<E>;
}

/**
 * A typed update. Each operator only accepts fields of a fitting type: `$inc` numbers, `$push` and
 * `$pull` arrays, `$unset` optional fields. `undefined` values in `$set` are left out (not stored as null).
 *
 * @example
 * ```ts
 * const update: UpdateSpec<Post> = { $set: { title: 'New' }, $inc: { likeCount: 1 }, $push: { tags: 'db' } }
 * ```
 */
export interface UpdateSpec<T> {
  $set?: { [K in keyof T]?: T[K] | undefined };
  $unset?: { [K in OptionalKeys<T>]?: true };
  $inc?: { [K in NumericKeys<T>]?: number };
  $push?: { [K in ArrayKeys<T>]?: Element<NonNullable<T[K]>> | Each<Element<NonNullable<T[K]>>> };
  $pull?: { [K in ArrayKeys<T>]?: Element<NonNullable<T[K]>> | Op<Element<NonNullable<T[K]>>> };
}

/** What the collection adds to every update. */
export interface UpdateContext {
  target: string;
  /** Field holding the optimistic-lock version, when the collection is versioned. */
  versionField?: string;
  /** Whether to stamp `updatedAt`. */
  timestamps?: boolean;
  /** Fields no update may touch (`_id`, `createdAt`, the version field). */
  protectedFields?: ReadonlySet<string>;
  /** Dotted paths the collection declares; other dotted keys are refused. */
  paths?: ReadonlySet<string>;
  guard?: GuardOptions;
  now?: () => Date;
}

/** A built update and whether running it twice equals running it once. */
export interface BuiltUpdate {
  update: Document;
  /** True when retrying after an unclear failure is safe (no `$inc`, `$push` or version bump). */
  idempotent: boolean;
}

const OPERATORS = new Set(['$set', '$unset', '$inc', '$push', '$pull']);
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const BSON_MARKER = Symbol.for('@@mdb.bson.version');
/** MongoDB's maximum document size. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

function invalid(path: (string | number)[], code: ErrorCode, message: string, target: string): never {
  throw new ValidationError([{ path, message, code }], { code, engine: 'mongodb', target });
}

/**
 * Checks a value that will be stored: no `$`-prefixed, dotted or prototype keys at any depth, no
 * functions or symbols. Stored data can then never be read back as an operator.
 *
 * @example
 * ```ts
 * assertStorable({ profile: { $where: '1' } }, [], 'users') // throws ValidationError (update.operatorInData)
 * ```
 */
export function assertStorable(value: unknown, path: (string | number)[], target: string, depth = 0): void {
  if (depth > 100) invalid(path, 'document.tooDeep', 'the document is nested more than 100 levels', target);
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function' || typeof value === 'symbol')
      invalid(path, 'document.invalidValue', `a ${typeof value} cannot be stored`, target);
    return;
  }
  if (value instanceof Date || ArrayBuffer.isView(value) || BSON_MARKER in value) return;
  if (Array.isArray(value)) {
    value.forEach((v: unknown, i) => {
      assertStorable(v, [...path, i], target, depth + 1);
    });
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key.startsWith('$'))
      invalid(
        [...path, key],
        'document.operatorKey',
        `"${key}": keys starting with $ cannot be stored`,
        target,
      );
    if (key.includes('.'))
      invalid(
        [...path, key],
        'document.dottedKey',
        `"${key}": keys containing dots cannot be stored`,
        target,
      );
    if (FORBIDDEN_KEYS.has(key))
      invalid([...path, key], 'document.prototypeKey', `"${key}" cannot be stored`, target);
    if (key.includes('\0'))
      invalid([...path, key], 'document.nullByte', 'keys containing NUL cannot be stored', target);
    assertStorable(v, [...path, key], target, depth + 1);
  }
}

/**
 * Throws a LimitExceededError, before anything is sent, when a document is over MongoDB's 16 MB.
 *
 * @example
 * ```ts
 * assertDocumentSize({ blob: 'x'.repeat(17_000_000) }, 'files') // throws LimitExceededError (limit.documentSize)
 * ```
 */
export function assertDocumentSize(doc: Document, target: string, operation = 'write'): void {
  const size = BSON.calculateObjectSize(doc);
  if (size > MAX_DOCUMENT_BYTES) {
    throw new LimitExceededError(`the document is ${size} bytes; MongoDB allows ${MAX_DOCUMENT_BYTES}`, {
      engine: 'mongodb',
      target,
      operation,
      limit: 'documentSize',
      max: MAX_DOCUMENT_BYTES,
      actual: size,
    });
  }
}

function checkField(field: string, op: string, ctx: UpdateContext): void {
  const at = [op, field];
  if (field.length === 0 || field.startsWith('$') || FORBIDDEN_KEYS.has(field) || field.includes('\0')) {
    invalid(at, 'update.invalidField', `"${field}" is not a field name`, ctx.target);
  }
  if (field.includes('.') && !ctx.paths?.has(field)) {
    invalid(
      at,
      'update.invalidField',
      `dotted path "${field}" is not declared on the collection`,
      ctx.target,
    );
  }
  const root = field.split('.')[0] ?? field;
  if (ctx.protectedFields?.has(root)) {
    invalid(at, 'update.protectedField', `"${root}" is managed by dbkit and cannot be updated`, ctx.target);
  }
}

/**
 * Builds the update document for a typed {@link UpdateSpec}: checks every field and value, refuses
 * two operators on one path, stamps `updatedAt` and bumps the version when the collection has them.
 *
 * @example
 * ```ts
 * buildUpdate({ $set: { title: 'x' }, $inc: { likes: 1 } }, { target: 'posts', timestamps: true })
 * // { update: { $set: { title: 'x', updatedAt: <now> }, $inc: { likes: 1 } }, idempotent: false }
 * ```
 */
export function buildUpdate(spec: unknown, ctx: UpdateContext): BuiltUpdate {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    invalid(
      [],
      'update.invalid',
      'an update must be an object of $set / $unset / $inc / $push / $pull',
      ctx.target,
    );
  }
  const update: Record<string, Record<string, unknown>> = {};
  const touched = new Map<string, string>();
  let idempotent = true;
  const claim = (field: string, op: string): void => {
    for (const [other, otherOp] of touched) {
      if (other === field || other.startsWith(`${field}.`) || field.startsWith(`${other}.`)) {
        invalid(
          [op, field],
          'update.conflict',
          `"${field}" is updated by both ${otherOp} and ${op}`,
          ctx.target,
        );
      }
    }
    touched.set(field, op);
  };
  for (const [op, fields] of Object.entries(spec)) {
    if (!OPERATORS.has(op))
      invalid([op], 'update.unknownOperator', `"${op}" is not a supported update operator`, ctx.target);
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      invalid([op], 'update.invalid', `${op} needs an object of fields`, ctx.target);
    }
    const out: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(fields as Record<string, unknown>)) {
      if (value === undefined) continue;
      checkField(field, op, ctx);
      claim(field, op);
      out[field] = operand(op, field, value, ctx);
    }
    if (op === '$inc' || op === '$push') idempotent = idempotent && Object.keys(out).length === 0;
    if (Object.keys(out).length > 0) update[op] = out;
  }
  if (Object.keys(update).length === 0) invalid([], 'update.empty', 'the update changes nothing', ctx.target);
  if (ctx.timestamps) {
    claim('updatedAt', '$set');
    update.$set = { ...update.$set, updatedAt: (ctx.now ?? (() => new Date()))() };
  }
  if (ctx.versionField !== undefined) {
    update.$inc = { ...update.$inc, [ctx.versionField]: 1 };
    idempotent = false;
  }
  return { update, idempotent };
}

function operand(op: string, field: string, value: unknown, ctx: UpdateContext): unknown {
  const at = [op, field];
  switch (op) {
    case '$set':
      assertStorable(value, at, ctx.target);
      return value;
    case '$unset':
      if (value !== true && value !== '' && value !== 1)
        invalid(at, 'update.invalid', '$unset takes true', ctx.target);
      return '';
    case '$inc':
      if (typeof value !== 'number' || !Number.isFinite(value))
        invalid(at, 'update.invalid', '$inc needs a finite number', ctx.target);
      return value;
    case '$push': {
      const many = typeof value === 'object' && value !== null ? eachValues.get(value) : undefined;
      if (many !== undefined) {
        assertStorable(many, at, ctx.target);
        return { $each: many };
      }
      assertStorable(value, at, ctx.target);
      return value;
    }
    default: {
      // $pull: an operator, a literal element, or (for arrays of documents) a filter on the element.
      const node = nodeOf(value);
      const guarded = guardFilter({ [field]: value }, { ...ctx.guard, paths: new Set([field]) }, [op]);
      const condition = guarded[field] as Document;
      if (node?.kind === 'op') return condition;
      if (
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        !(value instanceof Date) &&
        !(BSON_MARKER in value)
      ) {
        return guardFilter(value, ctx.guard ?? {}, at);
      }
      return condition.$eq;
    }
  }
}
