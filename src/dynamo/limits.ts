// DynamoDB's hard limits, checked before a request is sent; item size counted the way DynamoDB counts it.
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { LimitExceededError } from '../core/internal.js';

/** DynamoDB's documented limits that dbkit checks client-side. */
export const dynamoLimits = {
  itemBytes: 400 * 1024,
  partitionKeyBytes: 2048,
  sortKeyBytes: 1024,
  nestingDepth: 32,
  transactionItems: 100,
  transactionBytes: 4 * 1024 * 1024,
  batchGetKeys: 100,
  batchWriteItems: 25,
  inOperands: 100,
} as const;

const encoder = new TextEncoder();

/**
 * UTF-8 length of a string, without allocating for ASCII.
 *
 * @example
 * ```ts
 * utf8Bytes('é') // 2
 * ```
 */
export function utf8Bytes(text: string): number {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  return ascii ? text.length : encoder.encode(text).length;
}

function numberBytes(text: string): number {
  const digits = text
    .replace(/^-/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function valueBytes(value: unknown, depth: number, path: string): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberBytes(String(value));
  if (value instanceof NumberValue) return numberBytes(value.value);
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (depth > dynamoLimits.nestingDepth) {
    throw new LimitExceededError(
      `Attribute "${path}" is nested deeper than DynamoDB's ${dynamoLimits.nestingDepth} levels`,
      {
        limit: 'nestingDepth',
        max: dynamoLimits.nestingDepth,
        actual: depth,
        engine: 'dynamodb',
      },
    );
  }
  if (value instanceof Set) {
    let total = 0;
    for (const member of value) total += valueBytes(member, depth, path);
    return total;
  }
  if (Array.isArray(value)) {
    let total = 3;
    for (const member of value) total += 1 + valueBytes(member, depth + 1, path);
    return total;
  }
  let total = 3;
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    if (member === undefined) continue;
    total += 1 + utf8Bytes(key) + valueBytes(member, depth + 1, `${path}.${key}`);
  }
  return total;
}

/**
 * The size of an item as DynamoDB counts it: attribute names plus values (UTF-8 strings, numbers
 * at one byte per two significant digits plus one, 3 bytes of overhead per map or list and one per
 * element). Throws a `nestingDepth` limit error past 32 levels.
 *
 * @example
 * ```ts
 * itemSize({ pk: 'USER#1', name: 'Ada' }) // 2 + 6 + 4 + 3 = 15
 * ```
 */
export function itemSize(item: Readonly<Record<string, unknown>>): number {
  let total = 0;
  for (const key in item) {
    const value = item[key];
    if (value === undefined) continue;
    total += utf8Bytes(key) + valueBytes(value, 1, key);
  }
  return total;
}

/** Where a limit check runs, for the error it raises. */
export interface LimitContext {
  target?: string;
  operation?: string;
}

function context(ctx: LimitContext): { engine: 'dynamodb'; target?: string; operation?: string } {
  return {
    engine: 'dynamodb',
    ...(ctx.target === undefined ? {} : { target: ctx.target }),
    ...(ctx.operation === undefined ? {} : { operation: ctx.operation }),
  };
}

/**
 * Throws an `itemSize` limit error when an item is over DynamoDB's 400 KB; returns the size.
 *
 * @example
 * ```ts
 * checkItemSize({ pk: 'A', blob: 'x'.repeat(500_000) }) // throws LimitExceededError (limit: 'itemSize')
 * ```
 */
export function checkItemSize(item: Readonly<Record<string, unknown>>, ctx: LimitContext = {}): number {
  const size = itemSize(item);
  if (size > dynamoLimits.itemBytes) {
    throw new LimitExceededError(
      `The item is ${size} bytes; DynamoDB allows ${dynamoLimits.itemBytes} bytes per item`,
      {
        limit: 'itemSize',
        max: dynamoLimits.itemBytes,
        actual: size,
        ...context(ctx),
      },
    );
  }
  return size;
}

/**
 * Throws a `partitionKeySize` / `sortKeySize` limit error for keys over 2,048 / 1,024 bytes.
 *
 * @example
 * ```ts
 * checkKeySizes('USER#' + 'x'.repeat(3000), undefined) // throws (limit: 'partitionKeySize')
 * ```
 */
export function checkKeySizes(partitionKey: unknown, sortKey: unknown, ctx: LimitContext = {}): void {
  checkKeySize(partitionKey, 'partition', 'partitionKeySize', dynamoLimits.partitionKeyBytes, ctx);
  checkKeySize(sortKey, 'sort', 'sortKeySize', dynamoLimits.sortKeyBytes, ctx);
}

function checkKeySize(key: unknown, which: string, limit: string, max: number, ctx: LimitContext): void {
  if (typeof key !== 'string') return;
  const bytes = utf8Bytes(key);
  if (bytes > max) {
    throw new LimitExceededError(`The ${which} key is ${bytes} bytes; DynamoDB allows ${max}`, {
      limit,
      max,
      actual: bytes,
      ...context(ctx),
    });
  }
}

/**
 * Throws a limit error named `limit` when `actual` is over `max`.
 *
 * @example
 * ```ts
 * checkCount('transactionItems', 101, 100) // throws LimitExceededError
 * ```
 */
export function checkCount(limit: string, actual: number, max: number, ctx: LimitContext = {}): void {
  if (actual > max) {
    throw new LimitExceededError(`${actual} is over DynamoDB's limit of ${max} for ${limit}`, {
      limit,
      max,
      actual,
      ...context(ctx),
    });
  }
}
