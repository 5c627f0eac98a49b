// Typed conditions (for ConditionExpression and FilterExpression) compiled with placeholders only.
import { ValidationError } from '../core/internal.js';
import type { ExpressionContext } from './expressions.js';
import { checkCount, dynamoLimits } from './limits.js';

/** DynamoDB attribute type names, for `attribute_type`. */
export type AttributeTypeName = 'S' | 'SS' | 'N' | 'NS' | 'B' | 'BS' | 'BOOL' | 'NULL' | 'L' | 'M';

/** Comparisons on one attribute; several in one object are ANDed. */
export interface Comparators<V> {
  eq?: V;
  ne?: V;
  lt?: V;
  lte?: V;
  gt?: V;
  gte?: V;
  between?: readonly [V, V];
  /** At most 100 operands, DynamoDB's limit. */
  in?: readonly V[];
  beginsWith?: string;
  /** A substring of a string, or a member of a set or list. */
  contains?: unknown;
  notContains?: unknown;
  /** `true`: attribute_exists; `false`: attribute_not_exists. */
  exists?: boolean;
  type?: AttributeTypeName;
  /** Compares the attribute's size (string length, bytes, members). */
  size?: Comparators<number>;
}

type Scalar = string | number | bigint | boolean | null;

/**
 * A typed condition on an item: each attribute either equals a scalar or matches comparators, all
 * ANDed; `$and`, `$or` and `$not` combine conditions. Attribute names are taken whole (a dot in a
 * name is part of the name, not a path).
 *
 * @example
 * ```ts
 * const cond: Condition<Account> = { balance: { gte: 10 }, status: 'open', $or: [{ frozen: { exists: false } }, { frozen: false }] }
 * ```
 */
export type Condition<T> = {
  [K in keyof T & string]?: NonNullable<T[K]> extends Scalar ? T[K] | Comparators<T[K]> : Comparators<T[K]>;
} & {
  $and?: readonly Condition<T>[];
  $or?: readonly Condition<T>[];
  $not?: Condition<T>;
};

const comparatorKeys = new Set([
  'eq',
  'ne',
  'lt',
  'lte',
  'gt',
  'gte',
  'between',
  'in',
  'beginsWith',
  'contains',
  'notContains',
  'exists',
  'type',
  'size',
]);

function invalid(message: string, path: string[]): ValidationError {
  return new ValidationError([{ path, message, code: 'condition.invalid' }], {
    engine: 'dynamodb',
    code: 'condition.invalid',
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const operators = { eq: '=', ne: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

function compileComparators(
  operand: string,
  comparators: Record<string, unknown>,
  ctx: ExpressionContext,
  attr: string,
): string[] {
  const parts: string[] = [];
  for (const [op, value] of Object.entries(comparators)) {
    if (value === undefined) continue;
    if (!comparatorKeys.has(op)) throw invalid(`unknown comparator "${op}" on "${attr}"`, [attr]);
    switch (op) {
      case 'eq':
      case 'ne':
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        parts.push(`${operand} ${operators[op]} ${ctx.value(value)}`);
        break;
      case 'between': {
        if (!Array.isArray(value) || value.length !== 2)
          throw invalid(`"between" on "${attr}" needs [low, high]`, [attr]);
        parts.push(`${operand} BETWEEN ${ctx.value(value[0])} AND ${ctx.value(value[1])}`);
        break;
      }
      case 'in': {
        if (!Array.isArray(value) || value.length === 0)
          throw invalid(`"in" on "${attr}" needs a non-empty list`, [attr]);
        checkCount('inOperands', value.length, dynamoLimits.inOperands, { operation: 'condition' });
        parts.push(`${operand} IN (${value.map((v) => ctx.value(v)).join(', ')})`);
        break;
      }
      case 'beginsWith':
        parts.push(`begins_with(${operand}, ${ctx.value(value)})`);
        break;
      case 'contains':
        parts.push(`contains(${operand}, ${ctx.value(value)})`);
        break;
      case 'notContains':
        parts.push(`NOT contains(${operand}, ${ctx.value(value)})`);
        break;
      case 'exists':
        parts.push(value === true ? `attribute_exists(${operand})` : `attribute_not_exists(${operand})`);
        break;
      case 'type':
        parts.push(`attribute_type(${operand}, ${ctx.value(value)})`);
        break;
      case 'size':
        if (!isPlainObject(value)) throw invalid(`"size" on "${attr}" needs comparators`, [attr]);
        parts.push(...compileComparators(`size(${operand})`, value, ctx, attr));
        break;
    }
  }
  return parts;
}

/**
 * Compiles a condition into expression text, registering names and values in `ctx`. Returns
 * `undefined` for an empty condition.
 *
 * @example
 * ```ts
 * const ctx = new ExpressionContext()
 * buildCondition({ status: 'open', balance: { gte: 10 } }, ctx) // '#n0 = :v0 AND #n1 >= :v1'
 * ```
 */
export function buildCondition(condition: object | undefined, ctx: ExpressionContext): string | undefined {
  if (condition === undefined) return undefined;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(condition)) {
    if (value === undefined) continue;
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0)
        throw invalid(`${key} needs a non-empty list of conditions`, [key]);
      const inner = (value as object[])
        .map((c) => buildCondition(c, ctx))
        .filter((c): c is string => c !== undefined);
      if (inner.length > 0) parts.push(`(${inner.join(key === '$and' ? ' AND ' : ' OR ')})`);
      continue;
    }
    if (key === '$not') {
      const inner = buildCondition(value as object, ctx);
      if (inner !== undefined) parts.push(`(NOT (${inner}))`);
      continue;
    }
    const operand = ctx.name(key);
    if (isPlainObject(value)) parts.push(...compileComparators(operand, value, ctx, key));
    else parts.push(`${operand} = ${ctx.value(value)}`);
  }
  if (parts.length === 0) return undefined;
  return parts.join(' AND ');
}

/**
 * ANDs expression fragments, skipping empty ones.
 *
 * @example
 * ```ts
 * andAll(['attribute_exists(#n0)', undefined, '#n1 = :v0']) // '(attribute_exists(#n0)) AND (#n1 = :v0)'
 * ```
 */
export function andAll(parts: readonly (string | undefined)[]): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined && p !== '');
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return present.map((p) => `(${p})`).join(' AND ');
}
