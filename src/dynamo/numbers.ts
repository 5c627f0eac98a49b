// DynamoDB numbers to JS: exact values become numbers; anything a double cannot hold is an error naming the attribute, or a bigint / string when the model asks.
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../core/internal.js';

/**
 * How a model wants one attribute's large or very precise numbers: as a `bigint` or as the decimal `string`.
 *
 * @example
 * ```ts
 * defineEntity(app, { name: 'Account', schema, key, numbers: { balance: 'bigint' satisfies NumberMode } })
 * ```
 */
export type NumberMode = 'bigint' | 'string';

const SIMPLE_INT = /^-?\d{1,15}$/;

/** Digits and exponent of a decimal string, with leading and trailing zeros trimmed. */
function canonical(text: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) return text;
  const sign = match[1] ?? '';
  const whole = match[2] ?? '';
  const fraction = match[3] ?? '';
  const exponent = Number(match[4] ?? '0');
  let digits = whole + fraction;
  let point = whole.length + exponent;
  const leading = /^0*/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(leading);
  point -= leading;
  digits = digits.replace(/0+$/, '');
  if (digits === '') return '0';
  return `${sign}${digits}e${point}`;
}

/**
 * True when `Number(text)` is exactly the decimal DynamoDB stored: a safe integer, or a decimal
 * whose shortest double representation reads back as the same digits.
 *
 * @example
 * ```ts
 * isExactNumber('0.1')               // true
 * isExactNumber('9007199254740993')  // false: beyond 2^53
 * isExactNumber('0.12345678901234567890') // false: too many digits
 * ```
 */
export function isExactNumber(text: string): boolean {
  if (SIMPLE_INT.test(text)) return true;
  const n = Number(text);
  if (!Number.isFinite(n)) return false;
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return false;
  return canonical(String(n)) === canonical(text);
}

/**
 * The `wrapNumbers` function dbkit gives the DocumentClient: exact numbers come back as JS numbers,
 * the rest as `NumberValue`s, which {@link convertNumbers} then resolves per attribute.
 *
 * @example
 * ```ts
 * DynamoDBDocumentClient.from(client, { unmarshallOptions: { wrapNumbers: unmarshallNumber } })
 * ```
 */
export function unmarshallNumber(text: string): number | NumberValue {
  return isExactNumber(text) ? Number(text) : new NumberValue(text);
}

/** Context for errors raised while converting numbers. */
export interface NumberContext {
  target?: string;
  operation?: string;
}

function resolve(
  value: unknown,
  path: (string | number)[],
  mode: NumberMode | undefined,
  context: NumberContext,
): unknown {
  if (value instanceof NumberValue) {
    if (mode === 'string') return value.value;
    if (mode === 'bigint') {
      try {
        return BigInt(value.value);
      } catch {
        throw precisionError(value.value, path, context, 'is not an integer and cannot be a bigint');
      }
    }
    throw precisionError(value.value, path, context, 'cannot be held exactly by a JS number');
  }
  if (typeof value === 'number' && mode !== undefined)
    return mode === 'bigint' ? BigInt(value) : String(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = resolve(value[i], [...path, i], mode, context);
    return value;
  }
  if (value instanceof Set) {
    let changed = false;
    const out = new Set<unknown>();
    for (const member of value) {
      const next = resolve(member, path, mode, context);
      if (next !== member) changed = true;
      out.add(next);
    }
    return changed ? out : value;
  }
  if (ArrayBuffer.isView(value)) return value;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = resolve(record[key], [...path, key], mode, context);
  return record;
}

function precisionError(
  text: string,
  path: (string | number)[],
  context: NumberContext,
  why: string,
): ValidationError {
  const where = path.join('.');
  return new ValidationError(
    [{ path, message: `the stored number ${text} ${why}`, code: 'number.precisionLoss' }],
    {
      engine: 'dynamodb',
      code: 'number.precisionLoss',
      message: `Attribute "${where}" holds ${text}, which ${why}; declare it as 'bigint' or 'string' in the entity's \`numbers\` option.`,
      ...(context.target === undefined ? {} : { target: context.target }),
      ...(context.operation === undefined ? {} : { operation: context.operation }),
    },
  );
}

/**
 * Resolves the numbers of an unmarshalled item in place: `NumberValue`s become bigint or string for
 * attributes declared in `modes`, and are an error naming the attribute anywhere else.
 *
 * @example
 * ```ts
 * convertNumbers(item, { balance: 'bigint' }) // item.balance is a bigint; any other unsafe number throws
 * ```
 */
export function convertNumbers(
  item: Record<string, unknown>,
  modes: Readonly<Record<string, NumberMode>> | undefined,
  context: NumberContext = {},
): Record<string, unknown> {
  for (const key of Object.keys(item)) {
    const value = item[key];
    const mode = modes?.[key];
    if (mode === undefined && (value === null || typeof value !== 'object')) continue;
    item[key] = resolve(value, [key], mode, context);
  }
  return item;
}
