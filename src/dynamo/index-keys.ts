// The GSI key attributes an entity's templates give a stored item, per index: what a backfill writes onto items that predate a GSI.
import type { AnyEntity } from './entity.js';
import { checkKeySizes } from './limits.js';

/**
 * @internal The key attributes of the named GSIs (default: every GSI the entity has templates
 * for) composed from a stored item's own attributes, as `create` / `put` would write them. An index
 * whose template values the item lacks is left out (the item stays out of that sparse index). A
 * value the table's key policy refuses, or a key over DynamoDB's size limit, throws as a write would. Pure.
 *
 * @example
 * ```ts
 * indexKeysFor(User, { pk: 'USER#1', sk: 'PROFILE', id: '1', team: 'core' }, ['gsi2'])
 * // { gsi2pk: 'TEAM#core', gsi2sk: 'USER#1' }
 * ```
 */
export function indexKeysFor(
  entity: AnyEntity,
  item: Readonly<Record<string, unknown>>,
  indexes: readonly string[] = Object.keys(entity.keys).filter((name) => name !== 'primary'),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of indexes) {
    const compiled = name === 'primary' ? undefined : entity.keys[name];
    if (compiled === undefined)
      throw new TypeError(`dbkit: ${entity.name} has no key templates for index "${name}"`);
    const attributes = [...compiled.pk.attributes, ...(compiled.sk?.attributes ?? [])];
    if (attributes.some((a) => item[a] === undefined || item[a] === null)) continue;
    const pk = entity.compose(compiled.pk, item);
    const sk =
      compiled.skName !== undefined && compiled.sk !== undefined
        ? entity.compose(compiled.sk, item)
        : undefined;
    checkKeySizes(pk, sk, { target: entity.table.name });
    out[compiled.pkName] = pk;
    if (compiled.skName !== undefined && sk !== undefined) out[compiled.skName] = sk;
  }
  return out;
}
