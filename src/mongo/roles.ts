// Least-privilege MongoDB roles generated from declared collections and the repository operations a service uses.
import type { CollectionDefinition } from './collection.js';

/** A MongoDB privilege action dbkit may need (https://www.mongodb.com/docs/manual/reference/privilege-actions/). */
export type MongoAction =
  | 'find'
  | 'insert'
  | 'update'
  | 'remove'
  | 'createIndex'
  | 'dropIndex'
  | 'listIndexes'
  | 'collMod'
  | 'createCollection'
  | 'dropCollection'
  | 'killCursors';

/**
 * What each command the driver sends requires, per MongoDB's documented privilege actions
 * (https://www.mongodb.com/docs/manual/reference/privilege-actions/ and each command's "Access
 * Control" section). An empty list: the command needs no privilege on a collection. Commands
 * whose privileges depend on their options say so beside them.
 */
export const COMMAND_ACTIONS: Readonly<Record<string, readonly MongoAction[]>> = {
  // Reads. `find` covers find, getMore, count, distinct and aggregate without $out/$merge.
  find: ['find'],
  getMore: ['find'],
  count: ['find'],
  distinct: ['find'],
  aggregate: ['find'], // $out / $merge also need insert (and remove / update); $lookup needs find on the joined collection.
  // Writes.
  insert: ['insert'],
  update: ['update'], // upserts also need insert.
  delete: ['remove'],
  findAndModify: ['find', 'update'], // upsert: also insert; remove: true needs find and remove.
  // Schema and index management: the migration role's.
  create: ['createCollection'],
  collMod: ['collMod'],
  createIndexes: ['createIndex'],
  dropIndexes: ['dropIndex'],
  listIndexes: ['listIndexes'],
  drop: ['dropCollection'],
  // No collection privilege: handshake, liveness, build info, a user's own cursors and sessions, SASL.
  hello: [],
  isMaster: [],
  ismaster: [],
  ping: [],
  buildInfo: [],
  buildinfo: [],
  killCursors: [], // a user may always kill the cursors they opened
  endSessions: [], // and end their own sessions
  commitTransaction: [], // a transaction's privileges are those of its statements
  abortTransaction: [],
  saslStart: [],
  saslContinue: [],
};

/**
 * A repository operation, as named on `MongoRepository`.
 *
 * @example
 * ```ts
 * const ops: CollectionOperation[] = ['create', 'findById', 'paginate']
 * ```
 */
export type CollectionOperation =
  | 'create'
  | 'findById'
  | 'findOne'
  | 'findMany'
  | 'exists'
  | 'count'
  | 'estimatedCount'
  | 'paginate'
  | 'update'
  | 'updateMany'
  | 'delete'
  | 'deleteMany'
  | 'bulkWrite'
  | 'aggregate'
  | 'explain';

/** The privilege actions each repository operation needs on its own collection. */
export const OPERATION_ACTIONS: Readonly<Record<CollectionOperation, readonly MongoAction[]>> = {
  create: ['insert'],
  findById: ['find'],
  findOne: ['find'],
  findMany: ['find'],
  exists: ['find'],
  count: ['find'], // countDocuments runs an aggregate
  estimatedCount: ['find'], // the count command
  paginate: ['find'],
  // findAndModify (find + update); with `returnDocument: false` an update, then a find to tell a
  // missing document from a lost optimistic lock.
  update: ['find', 'update'],
  updateMany: ['update'],
  // delete, then (on a versioned collection, with expectedVersion) a find to explain a miss.
  delete: ['find', 'remove'],
  deleteMany: ['remove'],
  bulkWrite: ['insert', 'update', 'remove'],
  aggregate: ['find'],
  explain: ['find'],
};

/**
 * What a service does with one collection; build it with {@link collectionAccess}.
 *
 * @example
 * ```ts
 * const access: CollectionAccess = collectionAccess(Posts, ['create', 'paginate'])
 * ```
 */
export interface CollectionAccess {
  readonly collection: CollectionDefinition;
  readonly operations: readonly CollectionOperation[];
}

/**
 * Declares which repository operations a service uses on a collection.
 *
 * @example
 * ```ts
 * const users = collectionAccess(Users, ['create', 'findById', 'paginate', 'update'])
 * ```
 */
export function collectionAccess(
  collection: CollectionDefinition,
  operations: readonly CollectionOperation[],
): CollectionAccess {
  for (const op of operations)
    if (!(op in OPERATION_ACTIONS))
      throw new TypeError(`dbkit: unknown repository operation "${op}" for ${collection.name}`);
  return Object.freeze({ collection, operations: Object.freeze([...operations]) });
}

/** A privilege: actions on one collection of one database. */
export interface MongoPrivilege {
  resource: { db: string; collection: string };
  actions: MongoAction[];
}

/**
 * The `createRole` command document (run it against `db`).
 *
 * @example
 * ```ts
 * const command: CreateRoleCommand = applicationRole({ db: 'blog', access })
 * await admin.db('blog').command(command)
 * ```
 */
export interface CreateRoleCommand {
  createRole: string;
  privileges: MongoPrivilege[];
  roles: { role: string; db: string }[];
}

/**
 * The collection dbkit's capability detection reads (find, aggregate, explain; never written).
 * Detection runs before optimistic-lock writes and transactions; without `find` on it, detection
 * would report features as missing.
 */
export const CAPABILITY_PROBE_COLLECTION = '__dbkit_capability_probe';

/**
 * Input of {@link applicationRole}.
 *
 * @example
 * ```ts
 * const input: ApplicationRoleInput = { db: 'blog', access: [collectionAccess(Posts, ['create', 'paginate'])] }
 * ```
 */
export interface ApplicationRoleInput {
  /** The database the collections live in. */
  db: string;
  access: readonly CollectionAccess[];
  /** Default `dbkitApp`. */
  roleName?: string;
  /** Grant `find` on {@link CAPABILITY_PROBE_COLLECTION}. Default true. */
  capabilityProbe?: boolean;
}

function privilegesOf(db: string, actions: Map<string, Set<MongoAction>>): MongoPrivilege[] {
  return [...actions]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([collection, set]) => ({ resource: { db, collection }, actions: [...set].sort() }));
}

/**
 * The application's role: exactly the actions its repository operations need, on exactly the
 * declared collections. Never dropCollection, index or schema changes, or any database-wide
 * privilege. (Server-side JavaScript is not a privilege: turn it off on the server with
 * `security.javascriptEnabled: false`.)
 *
 * @example
 * ```ts
 * const role = applicationRole({ db: 'blog', access: [collectionAccess(Users, ['create', 'findById', 'update'])] })
 * await client.db('blog').command(role)
 * ```
 */
export function applicationRole(input: ApplicationRoleInput): CreateRoleCommand {
  const actions = new Map<string, Set<MongoAction>>();
  for (const { collection, operations } of input.access) {
    const set = actions.get(collection.name) ?? new Set<MongoAction>();
    for (const op of operations)
      for (const a of OPERATION_ACTIONS[op])
        // Only a versioned delete reads back (to tell a missing document from a lost lock).
        if (!(op === 'delete' && a === 'find' && !collection.versioned)) set.add(a);
    actions.set(collection.name, set);
  }
  if (input.capabilityProbe !== false) actions.set(CAPABILITY_PROBE_COLLECTION, new Set(['find']));
  return { createRole: input.roleName ?? 'dbkitApp', privileges: privilegesOf(input.db, actions), roles: [] };
}

/**
 * Input of {@link migrationRole}.
 *
 * @example
 * ```ts
 * const input: MigrationRoleInput = { db: 'blog', collections: [Posts] }
 * ```
 */
export interface MigrationRoleInput {
  db: string;
  collections: readonly CollectionDefinition[];
  /** Default `dbkitMigration`. */
  roleName?: string;
  /**
   * dbkit's own collections the role keeps: the migration journal and backfill checkpoints.
   * Default `['dbkit_migrations', 'dbkit_backfills']` (pass the names you configured, or `[]`).
   */
  systemCollections?: readonly string[];
}

/** What the migration role adds to reads and writes: collections, their options and their indexes. */
export const MIGRATION_ACTIONS: readonly MongoAction[] = [
  'createCollection',
  'collMod',
  'createIndex',
  'dropIndex',
  'listIndexes',
];

/**
 * The migration / backfill role: reads and writes on the declared collections plus creating them,
 * changing their options and syncing their indexes. Never dropCollection.
 *
 * @example
 * ```ts
 * await client.db('blog').command(migrationRole({ db: 'blog', collections: [Users, Posts] }))
 * ```
 */
export function migrationRole(input: MigrationRoleInput): CreateRoleCommand {
  const actions = new Map<string, Set<MongoAction>>();
  for (const c of input.collections)
    actions.set(c.name, new Set<MongoAction>(['find', 'insert', 'update', 'remove', ...MIGRATION_ACTIONS]));
  // `dbkit migrate` records and locks in its journal; backfills checkpoint beside it.
  for (const name of input.systemCollections ?? ['dbkit_migrations', 'dbkit_backfills'])
    actions.set(
      name,
      new Set<MongoAction>([
        'find',
        'insert',
        'update',
        'remove',
        'createCollection',
        'createIndex',
        'listIndexes',
      ]),
    );
  return {
    createRole: input.roleName ?? 'dbkitMigration',
    privileges: privilegesOf(input.db, actions),
    roles: [],
  };
}

/**
 * The `createUser` command document.
 *
 * @example
 * ```ts
 * const command: CreateUserCommand = createUserCommand('blog-api', password, app, 'blog')
 * ```
 */
export interface CreateUserCommand {
  createUser: string;
  pwd: string;
  roles: { role: string; db: string }[];
  mechanisms: ['SCRAM-SHA-256'];
}

/**
 * A `createUser` command granting one role (SCRAM-SHA-256 only). Take the password from a secret
 * store at run time; never commit it.
 *
 * @example
 * ```ts
 * await client.db('blog').command(createUserCommand('blog-api', process.env.BLOG_DB_PASSWORD!, role, 'blog'))
 * ```
 */
export function createUserCommand(
  user: string,
  password: string,
  role: CreateRoleCommand,
  db: string,
): CreateUserCommand {
  return {
    createUser: user,
    pwd: password,
    roles: [{ role: role.createRole, db }],
    mechanisms: ['SCRAM-SHA-256'],
  };
}

/**
 * A MongoDB Atlas custom database role, as the Atlas Admin API (`customDBRoles/roles`) takes it.
 *
 * @example
 * ```ts
 * const role: AtlasCustomRole = atlasCustomRole(applicationRole({ db: 'blog', access }))
 * ```
 */
export interface AtlasCustomRole {
  roleName: string;
  actions: { action: string; resources: { db: string; collection: string }[] }[];
  inheritedRoles: never[];
}

/**
 * The same role for MongoDB Atlas, whose API spells actions in upper snake case (`CREATE_INDEX`).
 *
 * @example
 * ```ts
 * const body = atlasCustomRole(applicationRole({ db: 'blog', access }))
 * // POST /api/atlas/v2/groups/{groupId}/customDBRoles/roles
 * ```
 */
export function atlasCustomRole(role: CreateRoleCommand): AtlasCustomRole {
  const byAction = new Map<string, { db: string; collection: string }[]>();
  for (const p of role.privileges)
    for (const a of p.actions) {
      const name = a.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
      byAction.set(name, [...(byAction.get(name) ?? []), { ...p.resource }]);
    }
  return {
    roleName: role.createRole,
    actions: [...byAction]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([action, resources]) => ({ action, resources })),
    inheritedRoles: [],
  };
}
