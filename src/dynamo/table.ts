// Table definitions for single-table design: key attribute names, global secondary indexes, TTL and key-value policy.
import type { KeyValuePolicy } from './key-template.js';

/**
 * Which attributes a GSI copies: all, keys only, or keys plus the listed attributes.
 *
 * @example
 * ```ts
 * const projection: IndexProjection = { include: ['email', 'name'] }
 * ```
 */
export type IndexProjection = 'ALL' | 'KEYS_ONLY' | { include: readonly string[] };

/**
 * A global secondary index: its key attribute names and projection (default `ALL`).
 *
 * @example
 * ```ts
 * const byEmail: IndexDefinition = { partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'KEYS_ONLY' }
 * ```
 */
export interface IndexDefinition {
  partitionKey: string;
  sortKey?: string;
  projection?: IndexProjection;
}

/**
 * What {@link defineTable} takes.
 *
 * @example
 * ```ts
 * const definition: TableDefinition<{ gsi1: IndexDefinition }> = {
 *   name: 'app', partitionKey: 'pk', sortKey: 'sk', indexes: { gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } },
 * }
 * ```
 */
export interface TableDefinition<IX extends Record<string, IndexDefinition>> {
  /** The DynamoDB table name. */
  name: string;
  /** Partition key attribute name, e.g. `pk`. */
  partitionKey: string;
  /** Sort key attribute name, e.g. `sk`. */
  sortKey?: string;
  /** Global secondary indexes by index name. */
  indexes?: IX;
  /** Attribute holding an epoch-seconds expiry; TTL is enabled on it by `createTable`. */
  ttlAttribute?: string;
  /** Attribute that stores each item's entity name. Default `_entity`. */
  entityAttribute?: string;
  /** What to do with a key value containing a delimiter: `reject` (default) or `escape`. */
  keyValues?: KeyValuePolicy;
  /** Characters that separate key segments in templates. Default `#`. */
  keyDelimiters?: string;
}

/**
 * A defined table.
 *
 * @example
 * ```ts
 * const app: Table = defineTable({ name: 'app', partitionKey: 'pk', sortKey: 'sk' })
 * ```
 */
export interface Table<IX extends Record<string, IndexDefinition> = Record<string, IndexDefinition>> {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string | undefined;
  readonly indexes: Readonly<IX>;
  readonly ttlAttribute: string | undefined;
  readonly entityAttribute: string;
  readonly keyValues: KeyValuePolicy;
  readonly keyDelimiters: string;
}

/**
 * Defines a table for single-table design. Pure: nothing is sent; pass it to `createTable` /
 * `ensureTable` and to `defineEntity`.
 *
 * @example
 * ```ts
 * const app = defineTable({
 *   name: 'app',
 *   partitionKey: 'pk',
 *   sortKey: 'sk',
 *   indexes: { gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } },
 *   ttlAttribute: 'expiresAt',
 * })
 * ```
 */
export function defineTable<
  // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- a table without GSIs has the empty map
  const IX extends Record<string, IndexDefinition> = Record<never, IndexDefinition>,
>(definition: TableDefinition<IX>): Table<IX> {
  if (definition.name.length < 3)
    throw new TypeError(`dbkit: table name "${definition.name}" must be at least 3 characters`);
  const indexes = (definition.indexes ?? {}) as IX;
  const keyNames = new Set([definition.partitionKey, definition.sortKey]);
  for (const [name, index] of Object.entries(indexes)) {
    if (index.partitionKey === definition.partitionKey && index.sortKey === definition.sortKey) {
      throw new TypeError(`dbkit: index "${name}" repeats the table's primary key`);
    }
  }
  const entityAttribute = definition.entityAttribute ?? '_entity';
  if (keyNames.has(entityAttribute))
    throw new TypeError('dbkit: the entity attribute cannot be a key attribute');
  return Object.freeze({
    name: definition.name,
    partitionKey: definition.partitionKey,
    sortKey: definition.sortKey,
    indexes: Object.freeze({ ...indexes }),
    ttlAttribute: definition.ttlAttribute,
    entityAttribute,
    keyValues: definition.keyValues ?? 'reject',
    keyDelimiters: definition.keyDelimiters ?? '#',
  });
}

/** Every key attribute of the table and its indexes. */
export function keyAttributesOf(table: Table): Set<string> {
  const out = new Set<string>([table.partitionKey]);
  if (table.sortKey !== undefined) out.add(table.sortKey);
  for (const index of Object.values(table.indexes)) {
    out.add(index.partitionKey);
    if (index.sortKey !== undefined) out.add(index.sortKey);
  }
  return out;
}
