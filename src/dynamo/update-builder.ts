// Typed update actions (set, remove, increment, add, append, prepend, delete) compiled into one UpdateExpression with placeholders only.
import { ValidationError } from '../core/internal.js';
import type { ExpressionContext } from './expressions.js';

type NumericKeys<T> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends number | bigint ? K : never;
}[keyof T & string];
type ListKeys<T> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends readonly unknown[] ? K : never;
}[keyof T & string];
type SetKeys<T> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends ReadonlySet<unknown> ? K : never;
}[keyof T & string];
type OptionalKeys<T> = {
  [K in keyof T & string]-?: undefined extends T[K] ? K : object extends Pick<T, K> ? K : never;
}[keyof T & string];

/**
 * What an update does, by attribute. Each attribute may appear in one action only.
 *
 * @example
 * ```ts
 * const actions: UpdateActions<Post> = {
 *   set: { title: 'New title', status: 'published' },  // reserved words are fine
 *   increment: { likeCount: 1 },                        // SET #n = if_not_exists(#n, 0) + :v
 *   append: { history: ['published'] },
 *   remove: ['draftNote'],
 * }
 * ```
 */
export interface UpdateActions<T> {
  /** Replaces attribute values. `undefined` values are skipped. */
  set?: { [K in keyof T]?: T[K] };
  /** Sets attributes only where they do not exist yet. */
  setIfNotExists?: { [K in keyof T]?: T[K] };
  /** Removes optional attributes. */
  remove?: readonly OptionalKeys<T>[];
  /** Atomic counter: adds to the number, starting from 0 if absent (negative to subtract). */
  increment?: { [K in NumericKeys<T>]?: number | bigint };
  /** DynamoDB's ADD: adds to a number or adds members to a set. */
  add?: { [K in NumericKeys<T> | SetKeys<T>]?: K extends SetKeys<T> ? T[K] : number | bigint };
  /** Appends to a list, starting from an empty list if absent. */
  append?: { [K in ListKeys<T>]?: T[K] };
  /** Prepends to a list, starting from an empty list if absent. */
  prepend?: { [K in ListKeys<T>]?: T[K] };
  /** Removes members from a set. */
  deleteFromSet?: { [K in SetKeys<T>]?: T[K] };
}

/** Compiled update clauses. */
export interface CompiledUpdate {
  expression: string;
  /** Every attribute the update touches, for key and conflict checks. */
  touched: Set<string>;
}

function invalid(message: string, attr: string): ValidationError {
  return new ValidationError([{ path: [attr], message, code: 'update.invalid' }], {
    engine: 'dynamodb',
    code: 'update.invalid',
  });
}

function entries(record: object | undefined): [string, unknown][] {
  if (record === undefined) return [];
  return Object.entries(record).filter(([, v]) => v !== undefined);
}

/**
 * Compiles update actions, plus any extra SET clauses the caller adds (version, timestamps, index
 * keys), into one `UpdateExpression`. Throws a ValidationError when an attribute appears in two
 * actions or the update is empty.
 *
 * @example
 * ```ts
 * const ctx = new ExpressionContext()
 * buildUpdate({ set: { name: 'Ada' }, increment: { logins: 1 } }, ctx).expression
 * // 'SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1) + :v2'
 * ```
 */
export function buildUpdate(
  actions: UpdateActions<Record<string, unknown>>,
  ctx: ExpressionContext,
  extraSet: readonly [string, unknown][] = [],
  extraClauses: readonly string[] = [],
): CompiledUpdate {
  const set: string[] = [];
  const remove: string[] = [];
  const add: string[] = [];
  const del: string[] = [];
  const touched = new Set<string>();
  const touch = (attr: string): void => {
    if (touched.has(attr)) throw invalid(`"${attr}" appears in more than one update action`, attr);
    touched.add(attr);
  };

  for (const [attr, value] of entries(actions.set)) {
    touch(attr);
    set.push(`${ctx.name(attr)} = ${ctx.value(value)}`);
  }
  for (const [attr, value] of entries(actions.setIfNotExists)) {
    touch(attr);
    const n = ctx.name(attr);
    set.push(`${n} = if_not_exists(${n}, ${ctx.value(value)})`);
  }
  for (const [attr, value] of entries(actions.increment)) {
    touch(attr);
    if (typeof value !== 'number' && typeof value !== 'bigint')
      throw invalid(`increment of "${attr}" must be a number`, attr);
    const n = ctx.name(attr);
    set.push(`${n} = if_not_exists(${n}, ${ctx.value(0)}) + ${ctx.value(value)}`);
  }
  for (const [attr, value] of entries(actions.append)) {
    touch(attr);
    if (!Array.isArray(value)) throw invalid(`append to "${attr}" needs a list`, attr);
    const n = ctx.name(attr);
    set.push(`${n} = list_append(if_not_exists(${n}, ${ctx.value([])}), ${ctx.value(value)})`);
  }
  for (const [attr, value] of entries(actions.prepend)) {
    touch(attr);
    if (!Array.isArray(value)) throw invalid(`prepend to "${attr}" needs a list`, attr);
    const n = ctx.name(attr);
    set.push(`${n} = list_append(${ctx.value(value)}, if_not_exists(${n}, ${ctx.value([])}))`);
  }
  for (const attr of actions.remove ?? []) {
    touch(attr);
    remove.push(ctx.name(attr));
  }
  for (const [attr, value] of entries(actions.add)) {
    touch(attr);
    add.push(`${ctx.name(attr)} ${ctx.value(value)}`);
  }
  for (const [attr, value] of entries(actions.deleteFromSet)) {
    touch(attr);
    del.push(`${ctx.name(attr)} ${ctx.value(value)}`);
  }
  if (touched.size === 0 && extraSet.length === 0 && extraClauses.length === 0) {
    throw new ValidationError(
      [{ path: [], message: 'an update needs at least one action', code: 'update.empty' }],
      {
        engine: 'dynamodb',
        code: 'update.empty',
      },
    );
  }
  for (const [attr, value] of extraSet) {
    touch(attr);
    set.push(`${ctx.name(attr)} = ${ctx.value(value)}`);
  }
  set.push(...extraClauses);
  const clauses: string[] = [];
  if (set.length > 0) clauses.push(`SET ${set.join(', ')}`);
  if (remove.length > 0) clauses.push(`REMOVE ${remove.join(', ')}`);
  if (add.length > 0) clauses.push(`ADD ${add.join(', ')}`);
  if (del.length > 0) clauses.push(`DELETE ${del.join(', ')}`);
  return { expression: clauses.join(' '), touched };
}
