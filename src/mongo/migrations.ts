// Versioned migrations on MongoDB: deploy, status and resolve over a folder of migration files and the journal collection.
import type { Db } from 'mongodb';
import type {
  DeployOptions,
  DeployResult,
  Migration,
  MigrationStatus,
  ModuleImporter,
} from '../core/internal.js';
import {
  deployWithJournal,
  journalStatus,
  loadMigrationFolder,
  resolveWithJournal,
} from '../core/internal.js';
import { backfill } from './backfill.js';
import type { MongoConnection } from './client-options.js';
import { DEFAULT_MIGRATIONS_COLLECTION, mongoMigrationJournal } from './migration-journal.js';

/**
 * What a MongoDB migration's `up(ctx, run)` gets: the connection (for repositories), its database
 * (for `createIndex`, `createCollection`, commands) and {@link backfill}.
 *
 * @example
 * ```ts
 * // migrations/mongodb/20261202120000_users_email_lower.ts
 * import { backfill, mongoRepository, type MongoMigrationContext } from 'dbkit/mongo'
 * import type { MigrationRun } from 'dbkit'
 * export async function up(ctx: MongoMigrationContext, run: MigrationRun) {
 *   await ctx.db.collection('users').createIndex({ emailLower: 1 })
 *   await ctx.backfill(mongoRepository(ctx.connection, Users), {
 *     name: run.name, filter: { emailLower: op.exists(false) }, signal: run.signal,
 *     transform: (u) => ({ $set: { emailLower: u.email.toLowerCase() } }),
 *   })
 * }
 * ```
 */
export interface MongoMigrationContext {
  readonly connection: MongoConnection;
  readonly db: Db;
  readonly backfill: typeof backfill;
}

/**
 * Where MongoDB migrations come from and where the journal lives, plus {@link DeployOptions}.
 *
 * @example
 * ```ts
 * const options: MongoMigrationOptions = { dir: 'migrations/mongodb', lockTimeoutMs: 120_000 }
 * ```
 */
export interface MongoMigrationOptions extends DeployOptions {
  /** Folder of `<name>.ts|.mts|.js|.mjs` files, applied in name order. Default `migrations/mongodb`. */
  dir?: string | undefined;
  /** The migrations as code, instead of `dir`. */
  migrations?: readonly Migration<MongoMigrationContext>[] | undefined;
  /** How `.ts` files are imported (the CLI passes tsx's). Default: Node's `import()`. */
  importer?: ModuleImporter | undefined;
  /** The journal collection. Default `dbkit_migrations`. */
  collection?: string | undefined;
}

/** The default folder of MongoDB migrations, relative to the working directory. */
export const DEFAULT_MONGO_MIGRATIONS_DIR = 'migrations/mongodb';

async function localMigrations(
  options: MongoMigrationOptions,
): Promise<readonly Migration<MongoMigrationContext>[]> {
  if (options.migrations !== undefined) return options.migrations;
  return loadMigrationFolder<MongoMigrationContext>(
    options.dir ?? DEFAULT_MONGO_MIGRATIONS_DIR,
    'mongodb',
    options.importer,
  );
}

/**
 * Applies the pending migrations in name order, each recorded in the journal collection, under a
 * lease lock so that concurrent deploys (several pods starting) apply each migration once. Refuses
 * to run (before applying anything) when an applied migration's file changed
 * (`migration.checksumMismatch`) or one failed earlier (`migration.previouslyFailed`, until
 * {@link resolveMigration}); a migration that throws is recorded failed (`migration.failed`).
 * MongoDB has no transactional DDL: a failed migration may have done part of its work, so write
 * each one to be safe to run again.
 *
 * @example
 * ```ts
 * const result = await deployMigrations(mongo, { dir: 'migrations/mongodb' })
 * console.log(`applied: ${result.applied.join(', ') || 'none'}`)
 * ```
 */
export async function deployMigrations(
  connection: MongoConnection,
  options: MongoMigrationOptions = {},
): Promise<DeployResult> {
  const migrations = await localMigrations(options);
  const journal = mongoMigrationJournal(connection, options.collection ?? DEFAULT_MIGRATIONS_COLLECTION);
  const ctx: MongoMigrationContext = { connection, db: connection.db, backfill };
  return deployWithJournal(journal, migrations, ctx, options);
}

/**
 * Every migration of the folder (or `migrations`) against the journal: applied, pending, failed,
 * changed or missing locally, and whether the database is up to date. Reads only.
 *
 * @example
 * ```ts
 * const status = await migrationStatus(mongo, { dir: 'migrations/mongodb' })
 * if (!status.upToDate) process.exitCode = 1
 * ```
 */
export async function migrationStatus(
  connection: MongoConnection,
  options: MongoMigrationOptions = {},
): Promise<MigrationStatus> {
  const migrations = await localMigrations(options);
  const journal = mongoMigrationJournal(connection, options.collection ?? DEFAULT_MIGRATIONS_COLLECTION);
  return journalStatus(journal, migrations);
}

/**
 * Marks a failed migration as pending again (after its data was repaired), so the next deploy runs
 * it. Only a failed (or interrupted) migration can be resolved (`migration.failed` otherwise).
 *
 * @example
 * ```ts
 * await resolveMigration(mongo, '20261202120000_users_email_lower')
 * ```
 */
export async function resolveMigration(
  connection: MongoConnection,
  name: string,
  options: Pick<MongoMigrationOptions, 'collection' | 'lockTimeoutMs' | 'leaseMs' | 'signal'> = {},
): Promise<void> {
  const journal = mongoMigrationJournal(connection, options.collection ?? DEFAULT_MIGRATIONS_COLLECTION);
  await resolveWithJournal(journal, name, options);
}
