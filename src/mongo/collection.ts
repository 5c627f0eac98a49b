// defineCollection: a collection's name, schema, indexes and system fields, and the types derived from them.
import type { Document, ObjectId } from 'mongodb';
import type { SchemaInput, SchemaOutput, StandardSchemaV1 } from '../core/validation.js';
import { indexName } from './indexes.js';
import type { IndexSpec } from './indexes.js';
import type { UniqueIndexInfo } from './errors.js';

/**
 * Options for {@link defineCollection}.
 *
 * @example
 * ```ts
 * const Users = defineCollection({ name: 'users', schema: User, indexes: [{ key: { email: 1 }, unique: true }], version: true })
 * ```
 */
export interface CollectionOptions<
  S extends StandardSchemaV1,
  V extends boolean,
  TS extends boolean,
  M extends boolean,
> {
  /** The collection's name on the server. */
  name: string;
  /** A Standard Schema (zod, valibot, arktype) for documents as the application writes them. */
  schema: S;
  /** Indexes {@link syncIndexes} creates; unique ones also name the fields of duplicate-key errors. */
  indexes?: readonly IndexSpec[];
  /** Optimistic locking: a `version` field set to 1 on create and bumped by every update. */
  version?: V;
  /** `createdAt` / `updatedAt` Dates kept by dbkit. */
  timestamps?: TS;
  /**
   * The current shape's version. Every write of a whole document (create, bulk `insertOne`, an
   * upsert's insert) stores it as `schemaVersion`, and every update by id leaves the document at
   * it: a document still at an older version is first upgraded and written back (conditionally,
   * never over a concurrent write), then updated, so no stored document mixes versions and no
   * update is lost. Reads return older documents through `upgrade`; a read with `select` upgrades
   * from the full stored document, never from the projected part. `updateMany` and bulk updates
   * refuse (`ConditionFailedError`, code `migration.pending`) to run over documents at an older
   * version: migrate them in batch first.
   */
  schemaVersion?: number;
  /**
   * Turns a document stored at an older `schemaVersion` (or none) into the current shape. It gets
   * the full stored document, with `_id` (not the mapped `id`), and must not change `_id`; dbkit
   * stamps the current `schemaVersion` after it. It never runs for current documents. Keep it pure
   * and able to start from every older version.
   */
  upgrade?: (doc: Document) => Document;
  /**
   * Writes a document upgraded on read back to the server, with a replace that only applies if the
   * stored document did not change since it was read (a lost race is ignored: the other write wins).
   * Default false: reads stay reads and older documents are upgraded again on each read until written.
   */
  writeBackUpgrades?: boolean;
  /** Results carry `id` (the ObjectId as a string) instead of `_id`, ready for API output. */
  mapId?: M;
  /** `objectId` (default): `_id` is an ObjectId and string ids are parsed strictly. */
  idType?: 'objectId' | 'string';
  /** Fields where `op.regex` patterns from input are used as patterns; elsewhere they match literally. */
  searchable?: readonly string[];
  /** Dotted paths accepted in filters and updates (index keys are added automatically). */
  paths?: readonly string[];
}

/**
 * A defined collection: its settings and, as phantom types, the shapes its repository works with.
 *
 * @example
 * ```ts
 * function repositoryFor<C extends CollectionDefinition>(definition: C) { return mongoRepository(mongo, definition) }
 * ```
 */
export interface CollectionDefinition<
  S extends StandardSchemaV1 = StandardSchemaV1,
  V extends boolean = boolean,
  TS extends boolean = boolean,
  M extends boolean = boolean,
> {
  readonly name: string;
  readonly schema: S;
  readonly indexes: readonly IndexSpec[];
  readonly versioned: V;
  readonly timestamps: TS;
  readonly mapId: M;
  readonly schemaVersion: number | undefined;
  readonly upgrade: ((doc: Document) => Document) | undefined;
  readonly writeBackUpgrades: boolean;
  readonly idType: 'objectId' | 'string';
  readonly searchable: ReadonlySet<string>;
  readonly paths: ReadonlySet<string>;
  readonly uniqueIndexes: readonly UniqueIndexInfo[];
}

type WithMongoId<T> = '_id' extends keyof T ? T : T & { _id: ObjectId };
type Versioned<V> = V extends true ? { version: number } : unknown;
type Stamped<TS> = TS extends true ? { createdAt: Date; updatedAt: Date } : unknown;
type Flatten<T> = { [K in keyof T]: T[K] } & {};

/**
 * A document as stored: the schema's output plus `_id` and the system fields the collection keeps.
 *
 * @example
 * ```ts
 * type StoredUser = StoredDocument<typeof Users> // schema output + _id (+ version, createdAt, updatedAt)
 * ```
 */
export type StoredDocument<C> =
  C extends CollectionDefinition<infer S, infer V, infer TS>
    ? Flatten<WithMongoId<SchemaOutput<S>> & Versioned<V> & Stamped<TS>>
    : never;

/**
 * A document as a repository returns it: stored, with `_id` turned into `id: string` when `mapId` is set.
 *
 * @example
 * ```ts
 * type UserDto = OutputDocument<typeof Users> // what users.findById returns
 * ```
 */
export type OutputDocument<C> =
  C extends CollectionDefinition<StandardSchemaV1, boolean, boolean, infer M>
    ? M extends true
      ? Flatten<Omit<StoredDocument<C>, '_id'> & { id: string }>
      : StoredDocument<C>
    : never;

/**
 * What `create` accepts: the schema's input, optionally with a chosen `_id`.
 *
 * @example
 * ```ts
 * const input: CreateInput<typeof Users> = { email: 'ada@example.com', name: 'Ada' }
 * ```
 */
export type CreateInput<C> =
  C extends CollectionDefinition<infer S> ? SchemaInput<S> & { _id?: ObjectId | string } : never;

/**
 * Declares a collection: its schema, indexes and system fields. Pure: nothing touches the server
 * until a repository uses it.
 *
 * @example
 * ```ts
 * const Users = defineCollection({
 *   name: 'users',
 *   schema: z.object({ email: z.email(), name: z.string(), role: z.enum(['user', 'admin']).default('user') }),
 *   indexes: [{ key: { email: 1 }, unique: true }, { key: { createdAt: -1 } }],
 *   timestamps: true,
 *   version: true,
 *   mapId: true,
 * })
 * ```
 */
export function defineCollection<
  S extends StandardSchemaV1,
  V extends boolean = false,
  TS extends boolean = false,
  M extends boolean = false,
>(options: CollectionOptions<S, V, TS, M>): CollectionDefinition<S, V, TS, M> {
  const indexes = [...(options.indexes ?? [])];
  const paths = new Set(options.paths ?? []);
  for (const index of indexes) {
    for (const field of Object.keys(index.key)) if (field.includes('.')) paths.add(field);
  }
  const uniqueIndexes: UniqueIndexInfo[] = indexes
    .filter((i) => i.unique === true)
    .map((i) => ({ name: indexName(i), fields: Object.keys(i.key) }));
  return Object.freeze({
    name: options.name,
    schema: options.schema,
    indexes,
    versioned: (options.version ?? false) as V,
    timestamps: (options.timestamps ?? false) as TS,
    mapId: (options.mapId ?? false) as M,
    schemaVersion: options.schemaVersion,
    upgrade: options.upgrade,
    writeBackUpgrades: options.writeBackUpgrades ?? false,
    idType: options.idType ?? 'objectId',
    searchable: new Set(options.searchable ?? []),
    paths,
    uniqueIndexes,
  });
}
