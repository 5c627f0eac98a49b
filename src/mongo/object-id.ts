// Strict ObjectId parsing: a string that is not 24 hex characters is a validation error, never a driver exception.
import { ObjectId } from 'mongodb';
import { ValidationError } from '../core/errors.js';

const HEX24 = /^[0-9a-fA-F]{24}$/;

/**
 * True when `value` is an ObjectId or a 24-character hex string. Stricter than the driver's
 * `ObjectId.isValid`, which also accepts any 12-character string.
 *
 * @example
 * ```ts
 * isObjectIdString('65f1c2a9e4b0a1b2c3d4e5f6') // true
 * isObjectIdString('hello-world!')             // false (ObjectId.isValid says true)
 * ```
 */
export function isObjectIdString(value: unknown): value is string {
  return typeof value === 'string' && HEX24.test(value);
}

/**
 * Parses an id from a request into an ObjectId, or throws a ValidationError naming `path`.
 *
 * @example
 * ```ts
 * const _id = parseObjectId(req.params.id)          // ObjectId
 * parseObjectId('nope', ['params', 'id'])             // throws ValidationError (code objectId.invalid)
 * ```
 */
export function parseObjectId(
  value: unknown,
  path: readonly (string | number)[] = ['id'],
  target?: string,
): ObjectId {
  if (value instanceof ObjectId) return value;
  if (isObjectIdString(value)) return ObjectId.createFromHexString(value);
  throw new ValidationError(
    [{ path, message: 'must be a 24-character hexadecimal ObjectId', code: 'objectId.invalid' }],
    { code: 'objectId.invalid', engine: 'mongodb', ...(target === undefined ? {} : { target }) },
  );
}

/**
 * The driver's ObjectId class, re-exported so ids can be typed and built without a second import.
 *
 * @example
 * ```ts
 * const user = await users.findById(new ObjectId())
 * ```
 */
export { ObjectId };
