// Migrations on DynamoDB: core's deploy, status and resolve over a journal kept in the application table.
import {
  deployWithJournal,
  journalStatus,
  loadMigrationFolder,
  resolveWithJournal,
} from '../core/internal.js';
import type {
  BackfillReport,
  DeployOptions,
  DeployResult,
  Migration,
  MigrationStatus,
  ModuleImporter,
} from '../core/internal.js';
import { backfill } from './backfill.js';
import type { DynamoBackfillOptions } from './backfill.js';
import type { DynamoClient } from './client.js';
import { runtimeOf } from './client-runtime.js';
import { dynamoJournal } from './migration-journal.js';
import { syncTable } from './sync-table.js';
import type { SyncTableOptions, TableSyncReport } from './sync-table.js';
import type { Table } from './table.js';

/**
 * What a DynamoDB migration's `up(ctx, run)` gets: the dbkit client, the table the journal lives in,
 * and the two day-two tools bound to the client.
 *
 * @example
 * ```ts
 * export async function up(ctx: DynamoMigrationContext, run: MigrationRun) {
 *   await ctx.syncTable(ctx.table)
 *   await ctx.backfill({ name: 'gsi2-keys', source: Order, signal: run.signal, transform: (item) => ({ set: Order.indexKeys(item) }) })
 * }
 * ```
 */
export interface DynamoMigrationContext {
  readonly client: DynamoClient;
  /** The table given to `deployMigrations` (where the journal lives). */
  readonly table: Table;
  backfill(options: DynamoBackfillOptions): Promise<BackfillReport>;
  syncTable(table: Table, options?: SyncTableOptions): Promise<TableSyncReport>;
}

/**
 * Where DynamoDB migrations come from and where their journal lives.
 *
 * @example
 * ```ts
 * const options: DynamoMigrationOptions = { table: app, dir: 'migrations/dynamodb' }
 * ```
 */
export interface DynamoMigrationOptions extends DeployOptions {
  /**
   * The table holding the journal: items under partition key `_dbkit#migrations` (needs a sort key),
   * whose entity attribute is `_dbkit`, so entity reads never return them.
   */
  table: Table;
  /** A folder of `<name>.ts|.js` files exporting `up(ctx, run)`, applied in name order. */
  dir?: string | undefined;
  /** Migrations as code, instead of (or besides) `dir`. */
  migrations?: readonly Migration<DynamoMigrationContext>[] | undefined;
  /** How `dir`'s files are imported (the CLI passes a TypeScript-aware one). */
  importer?: ModuleImporter | undefined;
}

async function local(options: DynamoMigrationOptions): Promise<Migration<DynamoMigrationContext>[]> {
  const fromDir =
    options.dir === undefined
      ? []
      : await loadMigrationFolder<DynamoMigrationContext>(options.dir, 'dynamodb', options.importer);
  return [...fromDir, ...(options.migrations ?? [])].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

/**
 * Applies the pending migrations in name order under a lease lock kept in `table`: two deploys
 * started together apply each migration once; an applied migration whose file changed is refused
 * (`migration.checksumMismatch`); a migration that throws is recorded as failed and blocks later
 * deploys (`migration.previouslyFailed`) until {@link resolveMigration}.
 *
 * @example
 * ```ts
 * const result = await deployMigrations(db, { table: app, dir: 'migrations/dynamodb' })
 * console.log(result.applied)
 * ```
 */
export async function deployMigrations(
  client: DynamoClient,
  options: DynamoMigrationOptions,
): Promise<DeployResult> {
  const ctx: DynamoMigrationContext = {
    client,
    table: options.table,
    backfill: (backfillOptions) => backfill(client, backfillOptions),
    syncTable: (table, syncOptions) => syncTable(client, table, syncOptions),
  };
  return deployWithJournal(
    dynamoJournal(runtimeOf(client), options.table),
    await local(options),
    ctx,
    options,
  );
}

/**
 * Each migration's state (applied, pending, failed, changed, missing locally) against the journal
 * in `table`. JSON-serialisable.
 *
 * @example
 * ```ts
 * const status = await migrationStatus(db, { table: app, dir: 'migrations/dynamodb' })
 * if (!status.upToDate) process.exitCode = 1
 * ```
 */
export async function migrationStatus(
  client: DynamoClient,
  options: DynamoMigrationOptions,
): Promise<MigrationStatus> {
  return journalStatus(dynamoJournal(runtimeOf(client), options.table), await local(options));
}

/**
 * Makes a failed migration pending again, once its data was repaired, so the next deploy retries it.
 *
 * @example
 * ```ts
 * await resolveMigration(db, '20261202120000_add_status', { table: app })
 * ```
 */
export async function resolveMigration(
  client: DynamoClient,
  name: string,
  options: Pick<DynamoMigrationOptions, 'table' | 'lockTimeoutMs' | 'leaseMs' | 'signal'>,
): Promise<void> {
  await resolveWithJournal(dynamoJournal(runtimeOf(client), options.table), name, options);
}
