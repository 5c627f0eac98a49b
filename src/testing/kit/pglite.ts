// A fresh in-process PGlite instance per test file, migrated with the user's Prisma migrations.
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';
import { applyMigrations } from '../../prisma/migrate/apply-migrations.js';
import { sqlSource } from '../../prisma/migrate/sql-session.js';
import { sqlContext } from './sql-context.js';
import type { SqlResetStrategy, SqlTestContext } from './sql-context.js';

/** Options of {@link createPgliteContext}. */
export interface PgliteContextOptions {
  /** A `prisma/migrations` folder to apply. */
  migrations?: string;
  /** See {@link SqlResetStrategy}. Default `delete` (PGlite's TRUNCATE rewrites files in memory). */
  resetStrategy?: SqlResetStrategy;
  /** Options for `new PGlite()` (in memory by default). */
  pglite?: PGliteOptions;
}

/**
 * A PGlite context: a database in this process, nothing to provision; `drop()` closes it.
 *
 * @example
 * ```ts
 * const ctx: PgliteTestContext = await createPgliteContext({ migrations: 'prisma/migrations' });
 * const prisma = new PrismaClient({ adapter: new PrismaPGlite(ctx.pglite) });
 * ```
 */
export interface PgliteTestContext extends SqlTestContext {
  readonly engine: 'pglite';
  readonly pglite: PGlite;
}

/**
 * Starts an in-memory PGlite (about 1–3 s with migrations: create one per file, reset per test).
 *
 * @example
 * ```ts
 * const ctx = await createPgliteContext({ migrations: 'prisma/migrations' });
 * await ctx.reset();
 * await ctx.drop();
 * ```
 */
export async function createPgliteContext(options: PgliteContextOptions = {}): Promise<PgliteTestContext> {
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = new PGlite(options.pglite);
  const source = sqlSource(pglite);
  try {
    if (options.migrations !== undefined) await applyMigrations(source, { dir: options.migrations });
  } catch (err) {
    await pglite.close().catch(() => undefined);
    throw err;
  }
  const base = sqlContext({
    engine: 'pglite',
    schema: 'public',
    source,
    resetStrategy: options.resetStrategy ?? 'delete',
    drop: () => pglite.close(),
  });
  return { ...base, engine: 'pglite', pglite };
}
