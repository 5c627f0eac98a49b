// `dbkit.config.ts`: the engines the `dbkit` CLI migrates and syncs, and the named backfills it runs.
import type { BackfillProgress, BackfillReport } from './backfill.js';
import type { EngineName } from './errors.js';
import type { DeployOptions, DeployResult, MigrationStatus } from './migrations.js';

/**
 * What `dbkit migrate create` wrote.
 *
 * @example
 * ```ts
 * const created: CreatedMigration = { created: true, path: 'migrations/dynamodb/20261202120000_add_status.ts' }
 * ```
 */
export interface CreatedMigration {
  created: boolean;
  /** The new file, when one was written. */
  path?: string;
  /** Why nothing was written (for SQL: the schema matches the migrations already). */
  reason?: string;
}

/**
 * One engine the CLI works on, made by `dynamoTarget` (`dbkit/dynamo`), `mongoTarget` (`dbkit/mongo`)
 * or `sqlTarget` (`dbkit/prisma`). Targets connect lazily: loading the config connects to nothing.
 *
 * @example
 * ```ts
 * const status = await target.migrationStatus()
 * if (!status.upToDate) await target.deployMigrations({ lockTimeoutMs: 120_000 })
 * ```
 */
export interface MigrationTarget {
  readonly engine: EngineName;
  migrationStatus(): Promise<MigrationStatus>;
  deployMigrations(options?: DeployOptions): Promise<DeployResult>;
  /** Makes a failed migration pending again, after its data was repaired. */
  resolveMigration(name: string, options?: DeployOptions): Promise<void>;
  createMigration(name: string): Promise<CreatedMigration>;
  /** Brings tables or indexes to their declarations (DynamoDB: `syncTable`, MongoDB: `syncIndexes`). */
  syncSchema?(options: { dryRun: boolean }): Promise<unknown>;
  /** Releases the connections it opened. */
  close(): Promise<void>;
}

/**
 * What a named backfill gets from `dbkit backfill run`: pass these on to the engine's `backfill`.
 *
 * @example
 * ```ts
 * const job: BackfillJob = (run) => backfill(users, { name: 'email-lower', transform, ...run })
 * ```
 */
export interface BackfillJobRun {
  dryRun: boolean;
  restart: boolean;
  itemsPerSecond: number | undefined;
  signal: AbortSignal;
  onProgress: (progress: BackfillProgress) => void;
}

/**
 * A named backfill the CLI can run (resumable by name).
 *
 * @example
 * ```ts
 * const job: BackfillJob = async (run) => backfill(users, { name: 'email-lower', transform, ...run })
 * ```
 */
export type BackfillJob = (run: BackfillJobRun) => Promise<BackfillReport>;

/**
 * The shape of `dbkit.config.ts`.
 *
 * @example
 * ```ts
 * const config: DbkitConfig = { targets: { sql: sqlTarget({ url: process.env.DATABASE_URL }) } }
 * ```
 */
export interface DbkitConfig {
  /** The engines to migrate, by the name `--target` selects. */
  targets: Record<string, MigrationTarget>;
  /** Backfills `dbkit backfill run <name>` runs. */
  backfills?: Record<string, BackfillJob>;
}

/**
 * Types a `dbkit.config.ts` (its default export).
 *
 * @example
 * ```ts
 * // dbkit.config.ts
 * import { defineConfig } from 'dbkit'
 * import { sqlTarget } from 'dbkit/prisma'
 *
 * export default defineConfig({
 *   targets: { sql: sqlTarget({ url: process.env.DATABASE_URL ?? '', dir: 'prisma/migrations' }) },
 * })
 * ```
 */
export function defineConfig<C extends DbkitConfig>(config: C): C {
  return config;
}
