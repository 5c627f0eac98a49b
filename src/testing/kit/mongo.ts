// An isolated MongoDB database per test file: collections and indexes from the user's defineCollection, emptied between tests.
import type { Db } from 'mongodb';
import type { CollectionDefinition, CreateInput } from '../../mongo/collection.js';
import type { ConnectMongoOptions, MongoConnection } from '../../mongo/client-options.js';
import type { IndexSyncReport } from '../../mongo/indexes.js';
import type { MongoRepository } from '../../mongo/repository.js';
import type { IsolatedContext } from './lifecycle.js';
import { isolatedName } from './names.js';
import { engineUrlFor } from './server-url.js';

/**
 * Seed documents per collection, keyed like the `collections` you gave the context, each typed as
 * that collection's `create` input.
 *
 * @example
 * ```ts
 * const data: MongoSeedData<{ users: typeof Users }> = { users: [{ name: 'Ada', email: 'ada@example.com' }] };
 * ```
 */
export type MongoSeedData<C extends Record<string, CollectionDefinition>> = {
  readonly [K in keyof C]?: readonly CreateInput<C[K]>[];
};

/** Options of {@link createMongoContext}. */
export interface MongoContextOptions<C extends Record<string, CollectionDefinition>> {
  /** A MongoDB URI. Default: `MONGODB_URI`, else the built-in `engine`. */
  url?: string | undefined;
  /** The built-in stand-in to use when no URL is given. Default `mongo-java-server` (fastest to start). */
  engine?: 'ferretdb' | 'mongo-java-server';
  /** Your collections: created with their indexes in the isolated database. */
  collections?: C;
  /** More `connectMongo` options (the URI and database name are the kit's). */
  connect?: Omit<ConnectMongoOptions, 'uri' | 'dbName' | 'shared'>;
}

/**
 * A MongoDB context: a database of its own on the server, your collections created with their
 * indexes (what the engine cannot build is in `indexReports`).
 *
 * @example
 * ```ts
 * const ctx: MongoTestContext<{ users: typeof Users }> = await createMongoContext({ collections: { users: Users } });
 * await ctx.repo('users').create({ name: 'Ada', email: 'ada@example.com' });
 * ```
 */
export interface MongoTestContext<C extends Record<string, CollectionDefinition>> extends IsolatedContext {
  /** The isolated database's URI (server URI with the database name as its path). */
  readonly url: string;
  readonly dbName: string;
  /** A dbkit connection on the isolated database, closed by `drop()`. */
  readonly mongo: MongoConnection;
  readonly db: Db;
  readonly collections: C;
  /** Per collection, what `syncIndexes` created and what the engine could not build. */
  readonly indexReports: Readonly<Record<string, IndexSyncReport>>;
  /** A dbkit repository over one of the context's collections. */
  repo<K extends keyof C & string>(name: K): MongoRepository<C[K]>;
  /** Inserts seed documents through the repositories (validated, managed fields set). */
  seed(data: MongoSeedData<C>): Promise<void>;
  /** Empties every collection of the database with `deleteMany`: collections and indexes stay. */
  reset(): Promise<void>;
}

function withDatabase(uri: string, dbName: string): string {
  if (uri.startsWith('mongodb+srv://')) return uri;
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/**
 * Creates a uniquely named database, its collections and their indexes. `reset()` empties every
 * collection (not dropped, so indexes and validators stay); `drop()` drops the database and closes
 * the connection.
 *
 * @example
 * ```ts
 * const ctx = await createMongoContext({ collections: { users: Users } });
 * await ctx.seed({ users: [{ name: 'Ada', email: 'ada@example.com' }] });
 * await ctx.drop();
 * ```
 */
export async function createMongoContext<
  // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- no collections is the empty map
  const C extends Record<string, CollectionDefinition> = Record<never, CollectionDefinition>,
>(options: MongoContextOptions<C> = {}): Promise<MongoTestContext<C>> {
  const server = await engineUrlFor(
    options.engine ?? 'mongo-java-server',
    options.url ?? process.env['MONGODB_URI'],
  );
  const [{ connectMongo }, { mongoRepository }] = await Promise.all([
    import('../../mongo/client.js'),
    import('../../mongo/repository.js'),
  ]);
  const dbName = isolatedName('db');
  const mongo = await connectMongo({ ...options.connect, uri: server, dbName, shared: false });
  const collections = (options.collections ?? {}) as C;
  const repos = new Map<string, MongoRepository<CollectionDefinition>>();
  const repo = <K extends keyof C & string>(name: K): MongoRepository<C[K]> => {
    const definition = collections[name];
    if (definition === undefined) throw new TypeError(`dbkit: no collection "${name}" in this test context`);
    let r = repos.get(name);
    if (r === undefined) {
      r = mongoRepository(mongo, definition);
      repos.set(name, r);
    }
    return r;
  };
  const indexReports: Record<string, IndexSyncReport> = {};
  try {
    for (const [key, definition] of Object.entries(collections)) {
      // created explicitly: a collection with no index and no seed must still exist after a reset
      await mongo.db.createCollection(definition.name).catch((err: unknown) => {
        if ((err as { codeName?: string }).codeName !== 'NamespaceExists') throw err;
      });
      indexReports[key] = await repo(key).syncIndexes({ onUnsupported: 'report' });
    }
  } catch (err) {
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
    throw err;
  }
  let dropped = false;
  return {
    url: withDatabase(server, dbName),
    dbName,
    mongo,
    db: mongo.db,
    collections,
    indexReports,
    repo,
    async seed(data) {
      for (const [name, docs] of Object.entries(data as Record<string, readonly unknown[] | undefined>)) {
        const r = repo(name as keyof C & string) as unknown as MongoRepository<CollectionDefinition>;
        for (const doc of docs ?? []) await r.create(doc as CreateInput<CollectionDefinition>);
      }
    },
    async reset() {
      const existing = await mongo.db.listCollections({}, { nameOnly: true }).toArray();
      await Promise.all(
        existing
          .filter((c) => !c.name.startsWith('system.'))
          .map((c) => mongo.db.collection(c.name).deleteMany({})),
      );
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await mongo.db.dropDatabase();
      } finally {
        await mongo.close();
      }
    },
  };
}
