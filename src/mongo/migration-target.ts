// `mongoTarget`: the MongoDB engine of a `dbkit.config.ts`, so `dbkit migrate` and `dbkit sync` run from CI.
import { defaultImporter, writeMigrationFile } from '../core/internal.js';
import type { CreatedMigration, MigrationTarget, ModuleImporter } from '../core/internal.js';
import { connectMongo } from './client.js';
import type { ConnectMongoInput, MongoConnection } from './client-options.js';
import type { CollectionDefinition } from './collection.js';
import type { MongoCapabilities } from './capabilities.js';
import { indexName, syncIndexes } from './indexes.js';
import type { IndexSpec, IndexSyncReport } from './indexes.js';
import {
  deployMigrations,
  DEFAULT_MONGO_MIGRATIONS_DIR,
  migrationStatus,
  resolveMigration,
} from './migrations.js';
import type { MongoMigrationOptions } from './migrations.js';

/** A collection whose declared indexes `dbkit sync` creates: a `defineCollection` result, or a repository's. */
export type SyncedCollection = Pick<CollectionDefinition, 'name' | 'indexes'>;

/**
 * Options of {@link mongoTarget}.
 *
 * @example
 * ```ts
 * const options: MongoTargetOptions = {
 *   connection: { uri: process.env.MONGODB_URI!, dbName: 'app' },
 *   collections: [Users, Posts],
 * }
 * ```
 */
export interface MongoTargetOptions {
  /** A dbkit connection (not closed by `close`), or the options of one opened on first use. */
  connection: MongoConnection | ConnectMongoInput;
  /** The migrations folder. Default `migrations/mongodb`. */
  dir?: string | undefined;
  /** The journal collection. Default `dbkit_migrations`. */
  collection?: string | undefined;
  /** How migration files are imported. Default: `import()`, and tsx's `tsImport` for `.ts` files. */
  importer?: ModuleImporter | undefined;
  /** The collections whose declared indexes `dbkit sync` (and `migrate deploy`) creates. */
  collections?: readonly SyncedCollection[] | undefined;
}

/**
 * What `dbkit sync` reports for one collection: {@link IndexSyncReport} plus `drift`, what it cannot
 * fix in place: a declared index this deployment cannot build (`unsupported`) or an existing index
 * with the same name or keys but other options (`drifted`; dbkit never drops one). Any drift makes
 * `dbkit sync` exit 3. With `dryRun`, `created` lists what would be created.
 *
 * @example
 * ```ts
 * const report: MongoCollectionSyncReport = { collection: 'users', created: ['email_1'], unchanged: [],
 *   drifted: [], undeclared: [], dropped: [], unsupported: [], drift: [] }
 * ```
 */
export interface MongoCollectionSyncReport extends IndexSyncReport {
  collection: string;
  /** `<index>: <why>` for every difference dbkit will not resolve itself. */
  drift: string[];
}

function isConnection(value: MongoConnection | ConnectMongoInput): value is MongoConnection {
  return typeof (value as MongoConnection).capabilities === 'function';
}

const template = `import type { MigrationRun } from 'dbkit'
import type { MongoMigrationContext } from 'dbkit/mongo'

export async function up(ctx: MongoMigrationContext, run: MigrationRun): Promise<void> {
  // e.g. await ctx.db.collection('users').createIndex({ emailLower: 1 })
  //      await ctx.backfill({ connection: ctx.connection, collection: 'users' }, {
  //        name: run.name, signal: run.signal, transform: (doc) => undefined,
  //      })
}
`;

// A dry run cannot try a build: it predicts from the capabilities which declared indexes would fail.
function predictUnsupported(caps: MongoCapabilities, spec: IndexSpec): string | undefined {
  if (spec.expireAfterSeconds !== undefined && !caps.ttl)
    return `TTL indexes are not supported by this ${caps.flavor} deployment`;
  if (Object.values(spec.key).includes('text') && !caps.textIndexes)
    return `text indexes are not supported by this ${caps.flavor} deployment`;
  return undefined;
}

async function syncCollection(
  mongo: MongoConnection,
  synced: SyncedCollection,
  dryRun: boolean,
): Promise<MongoCollectionSyncReport> {
  const collection = mongo.db.collection(synced.name);
  const report = await syncIndexes(collection, synced.indexes, { onUnsupported: 'report', dryRun });
  if (dryRun) {
    const caps = await mongo.capabilities();
    for (const spec of synced.indexes) {
      const name = indexName(spec);
      const reason = report.created.includes(name) ? predictUnsupported(caps, spec) : undefined;
      if (reason === undefined) continue;
      report.created = report.created.filter((n) => n !== name);
      report.unsupported.push({ name, reason });
    }
  }
  return {
    collection: synced.name,
    ...report,
    drift: [
      ...report.unsupported.map((u) => `${u.name}: ${u.reason}`),
      ...report.drifted.map((d) => `${d.name}: ${d.differences.join('; ')}`),
    ],
  };
}

/**
 * The MongoDB engine of a `dbkit.config.ts`: `dbkit migrate status | deploy | create | resolve` on a
 * folder of `<timestamp>_<name>.ts` files exporting `up(ctx, run)` (a {@link MongoMigrationContext}),
 * journaled in `dbkit_migrations`, and `dbkit sync` creating the declared indexes of `collections`
 * (never dropping one; a drifted or unbuildable index is reported as `drift`, and `dbkit sync` exits 3).
 * Connects on first use; `close` closes only a connection it opened.
 *
 * @example
 * ```ts
 * // dbkit.config.ts
 * import { defineConfig } from 'dbkit'
 * import { mongoTarget } from 'dbkit/mongo'
 * import { Posts, Users } from './src/db/collections.js'
 *
 * export default defineConfig({
 *   targets: {
 *     mongo: mongoTarget({
 *       connection: { uri: process.env.MONGODB_URI ?? '', dbName: 'app' },
 *       collections: [Users, Posts],
 *     }),
 *   },
 * })
 * ```
 */
export function mongoTarget(options: MongoTargetOptions): MigrationTarget {
  const dir = options.dir ?? DEFAULT_MONGO_MIGRATIONS_DIR;
  const importer = options.importer ?? defaultImporter;
  const given = options.connection;
  let owned: Promise<MongoConnection> | undefined;
  const connection = (): Promise<MongoConnection> => {
    if (isConnection(given)) return Promise.resolve(given);
    if (owned === undefined) {
      const opening = connectMongo(given);
      owned = opening;
      // A failed connect is forgotten, so the next call tries again.
      opening.catch(() => {
        if (owned === opening) owned = undefined;
      });
    }
    return owned;
  };
  const where: MongoMigrationOptions = {
    dir,
    importer,
    ...(options.collection === undefined ? {} : { collection: options.collection }),
  };
  return {
    engine: 'mongodb',
    migrationStatus: async () => migrationStatus(await connection(), where),
    deployMigrations: async (deploy = {}) => deployMigrations(await connection(), { ...deploy, ...where }),
    resolveMigration: async (name, deploy = {}) =>
      resolveMigration(await connection(), name, { ...deploy, ...where }),
    async createMigration(name): Promise<CreatedMigration> {
      const path = await writeMigrationFile(dir, name, template);
      return { created: true, path };
    },
    async syncSchema({ dryRun }): Promise<MongoCollectionSyncReport[]> {
      const mongo = await connection();
      const reports: MongoCollectionSyncReport[] = [];
      for (const synced of options.collections ?? [])
        reports.push(await syncCollection(mongo, synced, dryRun));
      return reports;
    },
    async close() {
      const opened = owned;
      owned = undefined;
      if (opened !== undefined) await (await opened.catch(() => undefined))?.close();
    },
  };
}
