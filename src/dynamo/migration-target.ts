// `dynamoTarget`: the DynamoDB engine of a `dbkit.config.ts`, so `dbkit migrate` and `dbkit sync` run from CI.
import { defaultImporter, writeMigrationFile } from '../core/internal.js';
import type { CreatedMigration, MigrationTarget, ModuleImporter } from '../core/internal.js';
import { createDynamoClient } from './client.js';
import type { DynamoClient, DynamoClientOptions } from './client.js';
import { deployMigrations, migrationStatus, resolveMigration } from './migrations.js';
import { syncTable } from './sync-table.js';
import type { Table } from './table.js';

/**
 * Options of {@link dynamoTarget}.
 *
 * @example
 * ```ts
 * const options: DynamoTargetOptions = { table: app, client: { region: 'eu-west-1' } }
 * ```
 */
export interface DynamoTargetOptions {
  /** The table holding the migration journal (it needs a sort key); synced by `dbkit sync` too. */
  table: Table;
  /** More tables `dbkit sync` brings to their declarations. */
  tables?: readonly Table[] | undefined;
  /** A dbkit client (not destroyed by `close`), or the options of one created on first use. Default `{}`. */
  client?: DynamoClient | DynamoClientOptions | undefined;
  /** The migrations folder. Default `migrations/dynamodb`. */
  dir?: string | undefined;
  /** How migration files are imported. Default: `import()`, and tsx's `tsImport` for `.ts` files. */
  importer?: ModuleImporter | undefined;
}

function isClient(value: DynamoClient | DynamoClientOptions): value is DynamoClient {
  return typeof (value as DynamoClient).entity === 'function';
}

const template = `import type { MigrationRun } from 'dbkit'
import type { DynamoMigrationContext } from 'dbkit/dynamo'

export async function up(ctx: DynamoMigrationContext, run: MigrationRun): Promise<void> {
  // e.g. await ctx.syncTable(ctx.table)
  //      await ctx.backfill({ name: run.name, source: ctx.table, signal: run.signal, transform: (item) => undefined })
}
`;

/**
 * The DynamoDB engine of a `dbkit.config.ts`: `dbkit migrate status | deploy | create | resolve` on a
 * folder of `<timestamp>_<name>.ts` files exporting `up(ctx, run)`, journaled in `table`, and
 * `dbkit sync` running `syncTable` on `table` and `tables`. Creates its client on first use.
 *
 * @example
 * ```ts
 * // dbkit.config.ts
 * import { defineConfig } from 'dbkit'
 * import { dynamoTarget } from 'dbkit/dynamo'
 * import { app } from './src/db/tables.js'
 *
 * export default defineConfig({ targets: { dynamodb: dynamoTarget({ table: app }) } })
 * ```
 */
export function dynamoTarget(options: DynamoTargetOptions): MigrationTarget {
  const dir = options.dir ?? 'migrations/dynamodb';
  const importer = options.importer ?? defaultImporter;
  const given = options.client ?? {};
  let owned: DynamoClient | undefined;
  const client = (): DynamoClient => {
    if (isClient(given)) return given;
    owned ??= createDynamoClient(given);
    return owned;
  };
  const where = { table: options.table, dir, importer };
  return {
    engine: 'dynamodb',
    migrationStatus: () => migrationStatus(client(), where),
    deployMigrations: (deploy = {}) => deployMigrations(client(), { ...deploy, ...where }),
    resolveMigration: (name, deploy = {}) =>
      resolveMigration(client(), name, { ...deploy, table: options.table }),
    async createMigration(name): Promise<CreatedMigration> {
      const path = await writeMigrationFile(dir, name, template);
      return { created: true, path };
    },
    async syncSchema({ dryRun }) {
      const reports = [];
      for (const table of [options.table, ...(options.tables ?? [])])
        reports.push(await syncTable(client(), table, { dryRun }));
      return reports;
    },
    close() {
      owned?.destroy();
      owned = undefined;
      return Promise.resolve();
    },
  };
}
