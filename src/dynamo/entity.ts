// Entity definitions: a Standard Schema plus key templates for the primary key and each GSI, with inferred item, input and key types.
import { validateSync, ValidationError } from '../core/internal.js';
import type { SchemaInput, SchemaOutput, StandardSchemaV1 } from '../core/internal.js';
import { composeKey, parseTemplate } from './key-template.js';
import type { CheckTemplate, KeyTemplate, TemplateVars } from './key-template.js';
import { checkItemSize, checkKeySizes } from './limits.js';
import { convertNumbers } from './numbers.js';
import type { NumberMode } from './numbers.js';
import { keyAttributesOf } from './table.js';
import type { IndexDefinition, Table } from './table.js';

/** Key templates for one key: partition and (when the table or index has one) sort. */
export interface KeyTemplates {
  pk: string;
  sk?: string;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ObjectSchema = StandardSchemaV1<Record<string, unknown>, Record<string, unknown>>;
type SkOf<K> = K extends { sk: infer S extends string } ? S : never;
type CheckKey<K extends KeyTemplates, A> = { pk: CheckTemplate<K['pk'], A> } & (K extends {
  sk: infer S extends string;
}
  ? { sk: CheckTemplate<S, A> }
  : unknown);
type CheckIndexes<X, A> = { [I in keyof X]: X[I] extends KeyTemplates ? CheckKey<X[I], A> : X[I] };

/** The attributes of an entity's items that a template refers to. */
type VarsOf<A, S extends string> = Simplify<Pick<A, TemplateVars<S> & keyof A>>;

/** Fields dbkit maintains: `version` with optimistic locking, `createdAt` / `updatedAt` with timestamps. */
export type ManagedFields<V extends boolean, TS extends boolean> = (V extends true
  ? { version: number }
  : unknown) &
  (TS extends true ? { createdAt: string; updatedAt: string } : unknown);

/**
 * Everything the types of one entity are made of.
 *
 * @example
 * ```ts
 * type UserTypes = (typeof User)['~types'] // extends EntityTypes
 * ```
 */
export interface EntityTypes {
  /** An item as read back: schema output plus managed fields. */
  item: Record<string, unknown>;
  /** What `create` / `put` take: schema input; managed fields optional. */
  input: Record<string, unknown>;
  /** The attributes the primary key templates refer to. */
  key: Record<string, unknown>;
  /** Attributes the primary sort key refers to (for sort conditions). */
  sort: Record<string, unknown>;
  /** For each GSI the entity uses: its partition and sort attributes. */
  indexes: Record<string, { partition: Record<string, unknown>; sort: Record<string, unknown> }>;
  /** The primary partition key's attributes. */
  partition: Record<string, unknown>;
}

/**
 * The item type of an entity: `EntityItem<typeof User>`.
 *
 * @example
 * ```ts
 * type User = EntityItem<typeof User> // schema output plus version / timestamps
 * ```
 */
export type EntityItem<E extends AnyEntity> = E['~types']['item'];
/**
 * The input type of an entity's `create` / `put`.
 *
 * @example
 * ```ts
 * const input: EntityInput<typeof User> = { id: '1', email: 'ada@example.com', name: 'Ada' }
 * ```
 */
export type EntityInput<E extends AnyEntity> = E['~types']['input'];
/**
 * The key type of an entity: the attributes its primary key templates refer to.
 *
 * @example
 * ```ts
 * const key: EntityKey<typeof User> = { id: '1' }
 * ```
 */
export type EntityKey<E extends AnyEntity> = E['~types']['key'];

/**
 * Options of {@link defineEntity}.
 *
 * @example
 * ```ts
 * defineEntity(app, { name: 'User', schema: UserSchema, key: { pk: 'USER#{id}', sk: 'PROFILE' }, versioned: true })
 * ```
 */
export interface EntityConfig<
  S extends ObjectSchema,
  K extends KeyTemplates,
  X,
  V extends boolean,
  TS extends boolean,
> {
  /** Stored on every item, so mixed partitions parse each item with its own schema. */
  name: string;
  /** A Standard Schema (zod 4, valibot, arktype) for the item's own attributes. */
  schema: S;
  /** Primary key templates such as `{ pk: 'USER#{id}', sk: 'PROFILE' }`. */
  key: K & NoInfer<CheckKey<K, SchemaOutput<S>>>;
  /** Templates for each GSI the entity is in, by index name. */
  indexes?: X & NoInfer<CheckIndexes<X, SchemaOutput<S>>>;
  /** Optimistic locking: a `version` number starting at 1, checked and incremented on writes. */
  version?: V;
  /** `createdAt` / `updatedAt` ISO strings maintained by dbkit. */
  timestamps?: TS;
  /** Attributes whose numbers may exceed a double's precision, read back as bigint or string. */
  numbers?: { [A in keyof SchemaOutput<S>]?: NumberMode };
  /** Validate items with the schema when reading them. Default true. */
  validateOnRead?: boolean;
  /**
   * Attributes being renamed, new name to old name, for the transition: an item stored before the
   * rename is read with the old attribute's value under the new name, and every put or create also
   * writes the old name, as does an update's `set` or `remove` of the new name, so code still
   * deployed reads it (other update actions apply to the new name only). Remove the entry once a backfill has moved
   * every item (and a second one removed the old attribute).
   *
   * @example
   * ```ts
   * defineEntity(app, { name: 'User', schema, key, renamedFrom: { displayName: 'fullName' } })
   * ```
   */
  renamedFrom?: { [A in keyof SchemaOutput<S>]?: string };
}

type TypesOf<S extends ObjectSchema, K extends KeyTemplates, X, V extends boolean, TS extends boolean> = {
  item: Simplify<SchemaOutput<S> & ManagedFields<V, TS>>;
  input: Simplify<SchemaInput<S> & Partial<ManagedFields<V, TS>>>;
  key: VarsOf<SchemaOutput<S>, K['pk'] | SkOf<K>>;
  partition: VarsOf<SchemaOutput<S>, K['pk']>;
  sort: VarsOf<SchemaOutput<S>, SkOf<K>>;
  indexes: {
    [I in keyof X & string]: X[I] extends KeyTemplates
      ? { partition: VarsOf<SchemaOutput<S>, X[I]['pk']>; sort: VarsOf<SchemaOutput<S>, SkOf<X[I]>> }
      : never;
  };
};

/** Compiled templates of one key. */
export interface CompiledKey {
  pkName: string;
  skName: string | undefined;
  pk: KeyTemplate;
  sk: KeyTemplate | undefined;
}

/**
 * A defined entity: pure key and item conversions; bind it to a client with `db.entity(...)`.
 *
 * @example
 * ```ts
 * const User: Entity<(typeof userEntity)['~types']> = userEntity
 * ```
 */
export interface Entity<T extends EntityTypes = EntityTypes> {
  readonly name: string;
  readonly table: Table;
  readonly schema: ObjectSchema;
  readonly versioned: boolean;
  readonly timestamps: boolean;
  readonly validateOnRead: boolean;
  /** Type carrier only; undefined at runtime. */
  readonly '~types': T;
  /** The primary key attributes for a key input: `{ pk: 'USER#42', sk: 'PROFILE' }`. */
  key(input: T['key']): Record<string, string>;
  /** Key templates by index (`primary` for the table's key). */
  readonly keys: Readonly<Record<string, CompiledKey>>;
  /** Attributes a template refers to (all indexes), for update checks. */
  readonly templateAttributes: ReadonlySet<string>;
  /** Composes a key value for a template, with the table's delimiter policy. */
  compose(template: KeyTemplate, values: Readonly<Record<string, unknown>>, prefix?: boolean): string;
  /** Validates an input and returns the full stored item (keys, entity name, managed fields). */
  toItem(
    input: T['input'],
    options?: { now?: string; version?: number; operation?: string },
  ): Record<string, unknown>;
  /** The GSI key attributes an item's attributes give, leaving out indexes it lacks values for (sparse). */
  indexKeys(attributes: Readonly<Record<string, unknown>>): Record<string, string>;
  /** Parses a stored item: numbers resolved, key attributes stripped, schema-validated. */
  parse(raw: Record<string, unknown>, operation?: string): T['item'];
  /** True when a stored item belongs to this entity. */
  owns(raw: Readonly<Record<string, unknown>>): boolean;
  /** Attributes being renamed, new name to old name (`renamedFrom`): writes set both. */
  readonly renamedFrom: Readonly<Record<string, string>>;
}

/**
 * Any entity, whatever its types.
 *
 * @example
 * ```ts
 * const entities: AnyEntity[] = [User, Post]
 * ```
 */
export type AnyEntity = Entity;

const MANAGED = ['version', 'createdAt', 'updatedAt'] as const;

/**
 * Defines an entity in a table. Item, input and key types are inferred from the schema and the
 * templates; a template naming an attribute the schema lacks is a type error.
 *
 * @example
 * ```ts
 * const User = defineEntity(app, {
 *   name: 'User',
 *   schema: z.object({ id: z.string(), email: z.string(), name: z.string() }),
 *   key: { pk: 'USER#{id}', sk: 'PROFILE' },
 *   indexes: { gsi1: { pk: 'EMAIL#{email}', sk: 'USER' } },
 *   version: true,
 *   timestamps: true,
 * })
 * User.key({ id: '42' }) // { pk: 'USER#42', sk: 'PROFILE' }
 * ```
 */
export function defineEntity<
  IX extends Record<string, IndexDefinition>,
  S extends ObjectSchema,
  const K extends KeyTemplates,
  // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- no index templates is the empty map
  const X extends { [I in keyof IX]?: KeyTemplates } = Record<never, KeyTemplates>,
  V extends boolean = false,
  TS extends boolean = false,
>(table: Table<IX>, config: EntityConfig<S, K, X, V, TS>): Entity<TypesOf<S, K, X, V, TS>> {
  return buildEntity(table, config) as unknown as Entity<TypesOf<S, K, X, V, TS>>;
}

function compileKey(
  table: Table,
  entity: string,
  where: string,
  pkName: string,
  skName: string | undefined,
  templates: KeyTemplates,
): CompiledKey {
  if (skName !== undefined && templates.sk === undefined)
    throw new TypeError(`dbkit: ${entity} needs a sort key template for ${where}`);
  if (skName === undefined && templates.sk !== undefined)
    throw new TypeError(`dbkit: ${where} of ${table.name} has no sort key`);
  return {
    pkName,
    skName,
    pk: parseTemplate(templates.pk),
    sk: templates.sk === undefined ? undefined : parseTemplate(templates.sk),
  };
}

function buildEntity(
  table: Table,
  config: EntityConfig<
    ObjectSchema,
    KeyTemplates,
    Record<string, KeyTemplates | undefined>,
    boolean,
    boolean
  >,
): AnyEntity {
  const name = config.name;
  const keys: Record<string, CompiledKey> = {
    primary: compileKey(table, name, 'the primary key', table.partitionKey, table.sortKey, config.key),
  };
  for (const [indexName, templates] of Object.entries(config.indexes ?? {})) {
    const index = table.indexes[indexName];
    if (index === undefined)
      throw new TypeError(
        `dbkit: ${name} refers to index "${indexName}", which ${table.name} does not define`,
      );
    if (templates === undefined) continue;
    keys[indexName] = compileKey(
      table,
      name,
      `index ${indexName}`,
      index.partitionKey,
      index.sortKey,
      templates,
    );
  }
  const templateAttributes = new Set<string>();
  for (const k of Object.values(keys))
    for (const a of [...k.pk.attributes, ...(k.sk?.attributes ?? [])]) templateAttributes.add(a);
  const stripped = keyAttributesOf(table);
  stripped.add(table.entityAttribute);
  const versioned = config.version === true;
  const timestamps = config.timestamps === true;
  const validateOnRead = config.validateOnRead ?? true;
  const numberModes = config.numbers as Readonly<Record<string, NumberMode>> | undefined;
  const primary = keys.primary as CompiledKey;
  const entityAttr = table.entityAttribute;
  const renames = Object.entries((config.renamedFrom ?? {}) as Record<string, string | undefined>).filter(
    (e): e is [string, string] => e[1] !== undefined,
  );
  for (const [, old] of renames)
    if (stripped.has(old))
      throw new TypeError(`dbkit: ${name} cannot rename from the key attribute "${old}"`);
  const oldNames = new Set(renames.map(([, old]) => old));

  const compose = (
    template: KeyTemplate,
    values: Readonly<Record<string, unknown>>,
    prefix = false,
  ): string =>
    composeKey(template, values, {
      delimiters: table.keyDelimiters,
      policy: table.keyValues,
      prefix,
      entity: name,
    });

  const keyOf = (
    compiled: CompiledKey,
    values: Readonly<Record<string, unknown>>,
  ): Record<string, string> => {
    const out: Record<string, string> = { [compiled.pkName]: compose(compiled.pk, values) };
    if (compiled.skName !== undefined && compiled.sk !== undefined)
      out[compiled.skName] = compose(compiled.sk, values);
    checkKeySizes(out[compiled.pkName], compiled.skName === undefined ? undefined : out[compiled.skName], {
      target: table.name,
    });
    return out;
  };

  const hasAll = (compiled: CompiledKey, values: Readonly<Record<string, unknown>>): boolean =>
    [...compiled.pk.attributes, ...(compiled.sk?.attributes ?? [])].every(
      (a) => values[a] !== undefined && values[a] !== null,
    );

  const entity: AnyEntity = {
    name,
    table,
    schema: config.schema,
    versioned,
    timestamps,
    validateOnRead,
    '~types': undefined as never,
    renamedFrom: Object.fromEntries(renames),
    keys,
    templateAttributes,
    compose,
    key: (input) => keyOf(primary, input),
    indexKeys(attributes) {
      const out: Record<string, string> = {};
      for (const [indexName, compiled] of Object.entries(keys)) {
        if (indexName === 'primary' || !hasAll(compiled, attributes)) continue;
        Object.assign(out, keyOf(compiled, attributes));
      }
      return out;
    },
    toItem(input, options = {}) {
      const context = {
        engine: 'dynamodb' as const,
        target: table.name,
        operation: options.operation ?? 'put',
      };
      const attrs = validateSync(config.schema, input, context);
      for (const attr of Object.keys(attrs)) {
        if (stripped.has(attr)) {
          throw new ValidationError(
            [
              {
                path: [attr],
                message: `"${attr}" is a key attribute of ${table.name}; it is derived from the key templates`,
                code: 'item.keyAttribute',
              },
            ],
            {
              ...context,
              code: 'item.keyAttribute',
            },
          );
        }
      }
      // Object.assign, not `{ ...a, ...b, x }`: V8 takes a slow path for spreads followed by properties.
      const item: Record<string, unknown> = Object.assign(
        {},
        attrs,
        keyOf(primary, attrs),
        entity.indexKeys(attrs),
      );
      item[entityAttr] = name;
      for (const [renamed, old] of renames) if (item[renamed] !== undefined) item[old] = item[renamed];
      if (versioned) item.version = options.version ?? 1;
      if (timestamps) {
        const now = options.now ?? new Date().toISOString();
        const given = input;
        item.createdAt = typeof given.createdAt === 'string' ? given.createdAt : now;
        item.updatedAt = now;
      }
      checkItemSize(item, { target: table.name, operation: context.operation });
      return item;
    },
    parse(raw, operation = 'get') {
      const context = { target: table.name, operation };
      convertNumbers(raw, numberModes, context);
      const attrs: Record<string, unknown> = {};
      for (const key in raw) if (!stripped.has(key) && !oldNames.has(key)) attrs[key] = raw[key];
      for (const [renamed, old] of renames)
        if (attrs[renamed] === undefined && raw[old] !== undefined) attrs[renamed] = raw[old];
      if (!validateOnRead) return attrs;
      const parsed = validateSync(config.schema, attrs, { engine: 'dynamodb', ...context });
      if (!versioned && !timestamps) return parsed;
      const out: Record<string, unknown> = { ...parsed };
      for (const field of MANAGED)
        if (
          raw[field] !== undefined &&
          ((field === 'version' && versioned) || (field !== 'version' && timestamps))
        )
          out[field] = raw[field];
      return out;
    },
    owns(raw) {
      return raw[entityAttr] === name;
    },
  };
  return Object.freeze(entity);
}
