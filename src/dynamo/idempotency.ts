// Which single-item writes may be sent twice: the executor re-sends only these after a lost answer.
import type { AnyEntity, EntityTypes } from './entity.js';
import type { DeleteOptions, PutOptions, UpdateOptions } from './item-params.js';
import type { UpdateActions } from './update-builder.js';

// Actions whose second application changes the item again (counters, lists, number ADD).
const accumulating = ['increment', 'add', 'append', 'prepend'] as const;

/**
 * True when sending this put twice leaves the same item and the same answer: an unconditional
 * replace. A condition or an expected version could fail on the second send because of the first,
 * reporting a failure for a write that happened.
 *
 * @example
 * ```ts
 * putIsIdempotent({}) // true
 * putIsIdempotent({ expectedVersion: 3 }) // false
 * ```
 */
export function putIsIdempotent<T extends EntityTypes>(options: PutOptions<T>): boolean {
  return options.condition === undefined && options.expectedVersion === undefined;
}

/**
 * True when sending this update twice leaves the same item and the same answer: only `set`,
 * `setIfNotExists`, `remove` and `deleteFromSet` of fixed values, no condition of the caller's (its
 * own success could break it), no expected version, and an entity without a version counter (every
 * update of a versioned entity bumps it). The implicit "item exists" check survives its own success.
 *
 * @example
 * ```ts
 * updateIsIdempotent(Post, { set: { title: 'x' } }, {}) // true
 * updateIsIdempotent(Post, { increment: { likes: 1 } }, {}) // false
 * ```
 */
export function updateIsIdempotent<T extends EntityTypes>(
  entity: AnyEntity,
  actions: UpdateActions<T['item']>,
  options: UpdateOptions<T>,
): boolean {
  if (entity.versioned || options.condition !== undefined || options.expectedVersion !== undefined)
    return false;
  const groups = actions as Record<string, unknown>;
  return accumulating.every((name) => {
    const group = groups[name] as Record<string, unknown> | undefined;
    return group === undefined || Object.values(group).every((v) => v === undefined);
  });
}

/**
 * True when sending this delete twice gives the same answer: `mustExist: false` with no condition
 * and no expected version. Otherwise the second send would report NotFound (or a failed condition)
 * for the delete that happened.
 *
 * @example
 * ```ts
 * deleteIsIdempotent({ mustExist: false }) // true
 * deleteIsIdempotent({}) // false: the item must exist
 * ```
 */
export function deleteIsIdempotent<T extends EntityTypes>(options: DeleteOptions<T>): boolean {
  return (
    options.mustExist === false && options.condition === undefined && options.expectedVersion === undefined
  );
}
