// Query operators as unforgeable values: `op.gt(5)`, `or(a, b)`, `trusted(filter)`; JSON input can never produce one.
import type { Document } from 'mongodb';

declare const opType: unique symbol;
declare const logicalType: unique symbol;
declare const trustedType: unique symbol;

/**
 * A comparison or element operator on one field, made by an `op` helper; `V` is the field's type.
 *
 * @example
 * ```ts
 * const recent: Op<Date> = op.gte(since)
 * ```
 */
export interface Op<V> {
  readonly [opType]: V;
}

/**
 * `$and` / `$or` / `$nor` over filters, made by {@link and}, {@link or}, {@link nor}.
 *
 * @example
 * ```ts
 * const either: Logical<{ role: string }> = or({ role: 'admin' }, { role: 'moderator' })
 * ```
 */
export interface Logical<T> {
  readonly [logicalType]: T;
}

/**
 * A filter or pipeline the server built itself, marked with {@link trusted}: it skips the injection guard.
 *
 * @example
 * ```ts
 * const overBudget: Trusted<Document> = trusted({ $expr: { $gt: ['$spent', '$budget'] } })
 * ```
 */
export interface Trusted<T> {
  readonly [trustedType]: T;
}

/** What the guard reads back from an operator node. @internal */
export interface OpNode {
  readonly kind: 'op';
  /** Operator name → operand, e.g. `{ $gt: 5 }`. */
  readonly expr: Readonly<Record<string, unknown>>;
  /** How the guard treats the operand(s). */
  readonly check:
    'value' | 'array' | 'boolean' | 'size' | 'regex' | 'prefix' | 'contains' | 'elemMatch' | 'not' | 'range';
}

/** What the guard reads back from a logical node. @internal */
export interface LogicalNode {
  readonly kind: 'logical';
  readonly operator: '$and' | '$or' | '$nor';
  readonly filters: readonly unknown[];
}

/** What the guard reads back from a text search. @internal */
export interface TextNode {
  readonly kind: 'text';
  readonly search: unknown;
  readonly language: unknown;
}

/** What the guard reads back from a trusted wrapper. @internal */
export interface TrustedNode {
  readonly kind: 'trusted';
  readonly value: unknown;
}

// A module-private registry: only objects made here count, so nothing parsed from JSON (or built
// with Object.create on a borrowed prototype) is mistaken for an operator.
const nodes = new WeakMap<object, OpNode | LogicalNode | TrustedNode | TextNode>();

function register(node: OpNode | LogicalNode | TrustedNode | TextNode): object {
  const handle = Object.freeze(Object.create(null) as object);
  nodes.set(handle, Object.freeze(node));
  return handle;
}

/** @internal Reads an operator, logical or trusted node back, or undefined for any other value. */
export function nodeOf(value: unknown): OpNode | LogicalNode | TrustedNode | TextNode | undefined {
  return typeof value === 'object' && value !== null ? nodes.get(value) : undefined;
}

function makeOp<V>(expr: Record<string, unknown>, check: OpNode['check']): Op<V> {
  return register({ kind: 'op', expr, check }) as Op<V>;
}

/** Elements of an array field, or the field itself. */
type Element<V> = V extends readonly (infer E)[] ? E : V;

/**
 * Operator helpers for filters. Operators are values only these helpers can make, so a request body
 * such as `{ "password": { "$ne": null } }` is always compared as a literal, never run as an operator.
 *
 * @example
 * ```ts
 * await posts.findMany({ authorId, likeCount: op.gte(10), tags: op.in(['db', 'node']) })
 * await users.findMany({ name: op.startsWith(req.query.q) }) // escaped, index-friendly prefix match
 * ```
 */
export const op = {
  /** Equal to `value` (the default for plain values). */
  eq: <V>(value: V): Op<V> => makeOp<V>({ $eq: value }, 'value'),
  /** Not equal to `value` (also matches documents without the field). */
  ne: <V>(value: V): Op<V> => makeOp<V>({ $ne: value }, 'value'),
  /** Greater than. */
  gt: <V>(value: V): Op<V> => makeOp<V>({ $gt: value }, 'value'),
  /** Greater than or equal. */
  gte: <V>(value: V): Op<V> => makeOp<V>({ $gte: value }, 'value'),
  /** Less than. */
  lt: <V>(value: V): Op<V> => makeOp<V>({ $lt: value }, 'value'),
  /** Less than or equal. */
  lte: <V>(value: V): Op<V> => makeOp<V>({ $lte: value }, 'value'),
  /** A range: any of `gt`, `gte`, `lt`, `lte` together. */
  range: <V>(bounds: { gt?: V; gte?: V; lt?: V; lte?: V }): Op<V> =>
    makeOp<V>(Object.fromEntries(Object.entries(bounds).map(([k, v]) => [`$${k}`, v as unknown])), 'range'),
  /** One of `values`. */
  in: <V>(values: readonly Element<V>[]): Op<V> => makeOp<V>({ $in: values }, 'array'),
  /** None of `values`. */
  nin: <V>(values: readonly Element<V>[]): Op<V> => makeOp<V>({ $nin: values }, 'array'),
  /** An array field containing all of `values`. */
  all: <V>(values: readonly Element<V>[]): Op<V> => makeOp<V>({ $all: values }, 'array'),
  /** An array field of exactly `n` elements. */
  size: <V>(n: number): Op<V> => makeOp<V>({ $size: n }, 'size'),
  /** The field is present (`true`) or absent (`false`). */
  exists: <V>(present = true): Op<V> => makeOp<V>({ $exists: present }, 'boolean'),
  /**
   * A regular expression. On fields the collection declares `searchable` the pattern is used as
   * given (length-capped, catastrophic patterns refused); anywhere else it is escaped to a literal
   * substring match, so input such as `.*` matches only the characters `.*`.
   */
  regex: <V>(pattern: string, flags = ''): Op<V> => makeOp<V>({ $regex: pattern, $options: flags }, 'regex'),
  /** Starts with `prefix`, escaped; uses an index when case-sensitive. */
  startsWith: <V>(prefix: string, options: { caseInsensitive?: boolean } = {}): Op<V> =>
    makeOp<V>({ $regex: prefix, $options: options.caseInsensitive ? 'i' : '' }, 'prefix'),
  /** Contains `text`, escaped. */
  contains: <V>(text: string, options: { caseInsensitive?: boolean } = {}): Op<V> =>
    makeOp<V>({ $regex: text, $options: options.caseInsensitive ? 'i' : '' }, 'contains'),
  /** An array element matching `filter` (a filter over the element's fields). */
  elemMatch: <V>(filter: Document): Op<V> => makeOp<V>({ $elemMatch: filter }, 'elemMatch'),
  /** Negates another operator. */
  not: <V>(inner: Op<V>): Op<V> => makeOp<V>({ $not: inner }, 'not'),
} as const;

/**
 * Escapes every regular-expression metacharacter, for a literal match.
 *
 * @example
 * ```ts
 * escapeRegex('a.b*') // 'a\\.b\\*'
 * ```
 */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function logical<T>(operator: LogicalNode['operator'], filters: readonly unknown[]): Logical<T> {
  return register({ kind: 'logical', operator, filters: [...filters] }) as Logical<T>;
}

/**
 * Matches documents matching any of `filters`.
 *
 * @example
 * ```ts
 * await users.findMany(or({ role: 'admin' }, { role: 'moderator' }))
 * ```
 */
export function or<const T extends readonly object[]>(...filters: T): Logical<T[number]> {
  return logical<T[number]>('$or', filters);
}

/**
 * Matches documents matching all of `filters`.
 *
 * @example
 * ```ts
 * await posts.findMany(and({ published: true }, or({ authorId }, { editorId: authorId })))
 * ```
 */
export function and<const T extends readonly object[]>(...filters: T): Logical<T[number]> {
  return logical<T[number]>('$and', filters);
}

/**
 * Matches documents matching none of `filters`.
 *
 * @example
 * ```ts
 * await users.findMany(nor({ role: 'banned' }, { deletedAt: op.exists() }))
 * ```
 */
export function nor<const T extends readonly object[]>(...filters: T): Logical<T[number]> {
  return logical<T[number]>('$nor', filters);
}

/**
 * A full-text search over the collection's text index (`$text: { $search }`); the search string
 * from input is passed as a string only (at most 512 characters). Combine with {@link and}.
 *
 * @example
 * ```ts
 * await posts.findMany(and(textSearch(req.query.q), { published: true }))
 * ```
 */
export function textSearch<T = never>(search: string, options: { language?: string } = {}): Logical<T> {
  return register({ kind: 'text', search, language: options.language }) as Logical<T>;
}

/**
 * Marks a filter (or an aggregation pipeline) as built by the server, not from input: the injection
 * guard lets its operators through as written. Server-side JavaScript (`$where`, `$function`,
 * `$accumulator`) is still refused. Never wrap anything that contains request data.
 *
 * @example
 * ```ts
 * await users.findMany(trusted({ $expr: { $gt: ['$spent', '$budget'] } }))
 * ```
 */
export function trusted<T extends object>(value: T): Trusted<T> {
  return register({ kind: 'trusted', value }) as Trusted<T>;
}
