// An isolated PostgreSQL database (or schema) per test file, migrated with the user's Prisma migrations.
import type { Pool, PoolConfig } from 'pg';
import { applyMigrations } from '../../prisma/migrate/apply-migrations.js';
import { sqlSource } from '../../prisma/migrate/sql-session.js';
import { isolatedName, quoteIdent } from './names.js';
import { engineUrlFor } from './server-url.js';
import { sqlContext } from './sql-context.js';
import type { SqlResetStrategy, SqlTestContext } from './sql-context.js';

/** Options of {@link createPostgresContext}. */
export interface PostgresContextOptions {
  /** The server (any database on it). Default: `DATABASE_URL`, else the built-in PostgreSQL. */
  url?: string | undefined;
  /** A fresh database per file (`database`, the default) or a fresh schema in the URL's database. */
  isolation?: 'database' | 'schema';
  /** A `prisma/migrations` folder to apply (Prisma Migrate's layout and bookkeeping). */
  migrations?: string;
  /** Readable part of the generated name. Default `db`. */
  name?: string;
  /** See {@link SqlResetStrategy}. Default `truncate`. */
  resetStrategy?: SqlResetStrategy;
  /** Extra `pg.Pool` options for the context's own pool (`max` defaults to 4). */
  pool?: Omit<PoolConfig, 'connectionString'>;
}

/**
 * A PostgreSQL context: its own database or schema, reachable at `url` (the schema is set as
 * `search_path` in the URL's `options`), with a `pg` pool the kit closes on `drop()`.
 *
 * @example
 * ```ts
 * const ctx: PostgresTestContext = await createPostgresContext({ migrations: 'prisma/migrations' });
 * const adapter = new PrismaPg({ connectionString: ctx.url }, { schema: ctx.schema });
 * ```
 */
export interface PostgresTestContext extends SqlTestContext {
  readonly engine: 'postgres';
  /** The isolated database's URL, for your own pool or Prisma adapter. */
  readonly url: string;
  readonly database: string;
  /** The kit's pool on the isolated database (ended by `drop()`). */
  readonly pool: Pool;
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates a uniquely named database (or schema) on the server, applies `migrations` if given, and
 * returns a context whose `reset()` truncates every table but `_prisma_migrations` and whose `drop()`
 * removes the database (with `FORCE`, so a client you forgot to close cannot keep it alive).
 *
 * @example
 * ```ts
 * const ctx = await createPostgresContext({ migrations: 'prisma/migrations' });
 * try {
 *   await ctx.query('SELECT 1');
 * } finally {
 *   await ctx.drop();
 * }
 * ```
 */
export async function createPostgresContext(
  options: PostgresContextOptions = {},
): Promise<PostgresTestContext> {
  const serverUrl = await engineUrlFor('postgres', options.url);
  const { default: pg } = await import('pg');
  const name = isolatedName(options.name ?? 'db');
  const bySchema = options.isolation === 'schema';
  const url = new URL(serverUrl);
  if (bySchema) {
    await adminQuery(serverUrl, `CREATE SCHEMA ${quoteIdent(name)}`);
    url.searchParams.set('options', `-c search_path=${name}`);
  } else {
    await adminQuery(serverUrl, `CREATE DATABASE ${quoteIdent(name)}`);
    url.pathname = `/${name}`;
  }
  const dropIsolated = (): Promise<void> =>
    adminQuery(
      serverUrl,
      bySchema
        ? `DROP SCHEMA IF EXISTS ${quoteIdent(name)} CASCADE`
        : `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`,
    );
  const pool = new pg.Pool({ max: 4, ...options.pool, connectionString: url.toString() });
  // an idle client cut by DROP DATABASE ... WITH (FORCE) reports here instead of crashing the run
  pool.on('error', () => undefined);
  const schema = bySchema ? name : 'public';
  const source = sqlSource(pool);
  try {
    if (options.migrations !== undefined) await applyMigrations(source, { dir: options.migrations, schema });
  } catch (err) {
    await pool.end().catch(() => undefined);
    await dropIsolated().catch(() => undefined);
    throw err;
  }
  const base = sqlContext({
    engine: 'postgres',
    schema,
    source,
    resetStrategy: options.resetStrategy ?? 'truncate',
    drop: async () => {
      await pool.end().catch(() => undefined);
      await dropIsolated();
    },
  });
  return {
    ...base,
    engine: 'postgres',
    url: url.toString(),
    database: bySchema ? url.pathname.slice(1) : name,
    pool,
  };
}
