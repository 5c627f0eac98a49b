// `sqlTarget`: the SQL engine of a `dbkit.config.ts`, so `dbkit migrate` deploys Prisma-layout migrations from CI.
import { DbkitError } from '../core/internal.js';
import type { CreatedMigration, MigrationTarget } from '../core/internal.js';
import { applyMigrations } from './migrate/apply-migrations.js';
import { createMigration } from './migrate/create-migration.js';
import { migrationStatus } from './migrate/migration-status.js';
import { sqlSource } from './migrate/sql-session.js';
import type { PgliteLike, PgPoolLike, PgQueryable, SqlSessionSource } from './migrate/sql-session.js';

type SqlDatabase = PgPoolLike | PgQueryable | PgliteLike;

/**
 * Options of {@link sqlTarget}.
 *
 * @example
 * ```ts
 * const options: SqlTargetOptions = { database: process.env['DATABASE_URL'] ?? '', dir: 'prisma/migrations' }
 * ```
 */
export interface SqlTargetOptions {
  /**
   * A PostgreSQL connection string (a `pg.Pool` of one connection is opened on first use and ended
   * by `close`), or a function returning your own pool, client or PGlite instance (not closed).
   */
  database: string | (() => SqlDatabase | Promise<SqlDatabase>);
  /** The `prisma/migrations` folder. Default `prisma/migrations`. */
  dir?: string | undefined;
  /** The Prisma schema `migrate create` diffs against. Default `prisma/schema.prisma`. */
  schema?: string | undefined;
  /** A PostgreSQL schema to migrate instead of the connection's current one. */
  pgSchema?: string | undefined;
}

interface PgModule {
  default: {
    Pool: new (config: { connectionString: string; max: number }) => PgPoolLike & { end(): Promise<void> };
  };
}

/**
 * The SQL engine of a `dbkit.config.ts`: `dbkit migrate status | deploy | create | resolve` on a
 * Prisma migrations folder, recorded in `_prisma_migrations` exactly as `prisma migrate deploy` does.
 * Connects on first use.
 *
 * @example
 * ```ts
 * // dbkit.config.ts
 * import { defineConfig } from 'dbkit'
 * import { sqlTarget } from 'dbkit/prisma'
 *
 * export default defineConfig({
 *   targets: { sql: sqlTarget({ database: process.env['DATABASE_URL'] ?? '' }) },
 * })
 * ```
 */
export function sqlTarget(options: SqlTargetOptions): MigrationTarget {
  const dir = options.dir ?? 'prisma/migrations';
  let opened: Promise<{ source: SqlSessionSource; close: () => Promise<void> }> | undefined;

  const open = (): Promise<{ source: SqlSessionSource; close: () => Promise<void> }> => {
    opened ??= (async () => {
      if (typeof options.database === 'function') {
        return { source: sqlSource(await options.database()), close: () => Promise.resolve() };
      }
      if (options.database === '') {
        throw new DbkitError(
          'validation',
          'sqlTarget: the connection string is empty (is DATABASE_URL set?)',
          {
            code: 'migration.config',
            engine: 'postgres',
            operation: 'migrate',
          },
        );
      }
      const pg = (await import('pg')) as PgModule;
      const pool = new pg.default.Pool({ connectionString: options.database, max: 1 });
      return { source: sqlSource(pool), close: () => pool.end() };
    })();
    return opened;
  };
  const schemaOption = options.pgSchema === undefined ? {} : { schema: options.pgSchema };

  return {
    engine: 'postgres',
    async migrationStatus() {
      const { source } = await open();
      return migrationStatus(source, { dir, ...schemaOption });
    },
    async deployMigrations(deploy = {}) {
      const { source } = await open();
      deploy.signal?.throwIfAborted();
      return applyMigrations(source, {
        dir,
        ...schemaOption,
        ...(deploy.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: deploy.lockTimeoutMs }),
        ...(deploy.onProgress === undefined ? {} : { onProgress: deploy.onProgress }),
      });
    },
    async resolveMigration(name) {
      const { source } = await open();
      const table =
        options.pgSchema === undefined
          ? '"_prisma_migrations"'
          : `"${options.pgSchema.replaceAll('"', '""')}"."_prisma_migrations"`;
      // As `prisma migrate resolve --rolled-back`: the failed row is kept, marked rolled back.
      const rows = await source.withSession((session) =>
        session.query(
          `UPDATE ${table} SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL RETURNING 1`,
          [name],
        ),
      );
      if (rows.length === 0) {
        throw new DbkitError(
          'condition_failed',
          `Migration ${name} is not recorded as failed; only a failed migration can be resolved`,
          { code: 'migration.failed', engine: 'postgres', operation: 'migrate', target: name },
        );
      }
    },
    async createMigration(name): Promise<CreatedMigration> {
      const result = await createMigration({ schema: options.schema ?? 'prisma/schema.prisma', dir, name });
      return result.created
        ? { created: true, path: result.path }
        : { created: false, reason: 'the schema matches the migrations already' };
    },
    async close() {
      const current = opened;
      opened = undefined;
      if (current !== undefined) await (await current.catch(() => undefined))?.close();
    },
  };
}
