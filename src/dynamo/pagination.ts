// Cursors of queries and scans: a position (LastEvaluatedKey) sealed by the core codec, opened and checked before use.
import { ValidationError } from '../core/internal.js';
import type { CursorBinding, CursorCodec } from '../core/internal.js';
import type { Runtime } from './runtime.js';

/**
 * Opens a cursor into an ExclusiveStartKey, checking it is a map of string or number key values
 * (the codec has already checked signature, binding and expiry).
 *
 * @example
 * ```ts
 * params.ExclusiveStartKey = decodeKey(runtime, cursor, binding)
 * ```
 */
export function decodeKey(runtime: Runtime, cursor: string, binding: CursorBinding): Record<string, unknown> {
  return openKey(runtime.cursors, cursor, binding);
}

/**
 * {@link decodeKey} on a bare codec, for callers without a dbkit client (a Dynamoose model's
 * cursors): the decoded position must be a non-empty map of string or number key values.
 *
 * @example
 * ```ts
 * const startKey = openKey(createCursorCodec({ secret }), cursor, { source: 'app' })
 * ```
 */
export function openKey(
  cursors: CursorCodec,
  cursor: string,
  binding: CursorBinding,
): Record<string, unknown> {
  const position = cursors.decode(cursor, binding);
  if (position !== null && typeof position === 'object' && !Array.isArray(position)) {
    const entries = Object.entries(position as Record<string, unknown>);
    if (entries.length > 0 && entries.every(([, v]) => typeof v === 'string' || typeof v === 'number'))
      return position as Record<string, unknown>;
  }
  throw new ValidationError(
    [{ path: ['cursor'], message: 'The pagination cursor does not hold a key.', code: 'cursor.malformed' }],
    {
      engine: 'dynamodb',
      code: 'cursor.malformed',
    },
  );
}
