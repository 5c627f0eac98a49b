// Applies Prisma-layout migrations without the Prisma CLI, recording them exactly as `prisma migrate deploy` does.
import { randomUUID } from 'node:crypto';
import { DbkitError, TimeoutError } from '../../core/internal.js';
import { sleep } from '../../core/internal.js';
import { migrationChecksumMatches, readMigrations } from './migration-files.js';
import { transactionPlan } from './transaction-plan.js';
import type { MigrationFile } from './migration-files.js';
import type { SqlSession, SqlSessionSource } from './sql-session.js';

/** The advisory-lock key Prisma Migrate takes, so dbkit and `prisma migrate deploy` exclude each other. */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

/** Options for {@link applyMigrations}. */
export interface ApplyMigrationsOptions {
  /** The `prisma/migrations` folder. */
  dir: string;
  /** A PostgreSQL schema to migrate (created if missing); default: the connection's current schema. */
  schema?: string;
  /** How long to wait for another applier's lock, in ms. Default 60 000. */
  lockTimeoutMs?: number;
  /** Called before each migration is applied. */
  onProgress?: (event: { name: string; index: number; total: number }) => void;
}

/** What a run did. */
export interface ApplyMigrationsResult {
  applied: string[];
  alreadyApplied: string[];
  /** Recorded as applied in the database but absent from `dir`. */
  missingLocally: string[];
}

interface AppliedRow extends Record<string, unknown> {
  migration_name: string;
  checksum: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function acquireLock(session: SqlSession, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 25; ; wait = Math.min(wait * 2, 500)) {
    const [row] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      PRISMA_MIGRATE_LOCK_KEY,
    ]);
    if (row?.locked === true) return;
    if (Date.now() + wait > deadline) {
      throw new TimeoutError(`Another process held the migration lock for more than ${timeoutMs} ms`, {
        code: 'migration.lockTimeout',
        engine: 'postgres',
        operation: 'applyMigrations',
        timeoutMs,
      });
    }
    await sleep(wait);
  }
}

function checkHistory(
  files: readonly MigrationFile[],
  rows: readonly AppliedRow[],
): { done: Set<string>; missing: string[] } {
  const byName = new Map(files.map((f) => [f.name, f]));
  const done = new Set<string>();
  const missing: string[] = [];
  for (const row of rows) {
    if (row.rolled_back_at !== null) continue;
    if (row.finished_at === null) {
      throw new DbkitError(
        'condition_failed',
        `Migration ${row.migration_name} failed earlier and was not resolved; fix the database, then mark it rolled back (prisma migrate resolve --rolled-back ${row.migration_name}) before applying more.`,
        {
          code: 'migration.previouslyFailed',
          engine: 'postgres',
          operation: 'applyMigrations',
          target: row.migration_name,
        },
      );
    }
    const file = byName.get(row.migration_name);
    if (file === undefined) {
      missing.push(row.migration_name);
      continue;
    }
    if (file.checksum !== row.checksum && !migrationChecksumMatches(file.sql, row.checksum)) {
      throw new DbkitError(
        'conflict',
        `Migration ${row.migration_name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${file.checksum.slice(0, 12)}… on disk); restore the file or create a new migration.`,
        {
          code: 'migration.checksumMismatch',
          engine: 'postgres',
          operation: 'applyMigrations',
          target: row.migration_name,
        },
      );
    }
    done.add(row.migration_name);
  }
  return { done, missing };
}

function failure(file: MigrationFile, message: string, err: unknown): DbkitError {
  return new DbkitError('condition_failed', `Migration ${file.name} failed: ${message}`, {
    code: 'migration.failed',
    engine: 'postgres',
    operation: 'applyMigrations',
    target: file.name,
    cause: err,
  });
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function applyInTransaction(session: SqlSession, file: MigrationFile, script: string): Promise<void> {
  const id = randomUUID();
  await session.exec('BEGIN');
  try {
    await session.exec(script);
    await session.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES ($1, $2, $3, now(), now(), 1)`,
      [id, file.checksum, file.name],
    );
    await session.exec('COMMIT');
  } catch (err) {
    await session.exec('ROLLBACK');
    const logs = errorText(err);
    await session.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at, applied_steps_count) VALUES ($1, $2, $3, $4, now(), 0)`,
      [id, file.checksum, file.name, logs],
    );
    throw failure(file, `${logs} (rolled back: nothing of it was applied)`, err);
  }
}

// As Prisma records any migration: a started row first, then finished (or the error in logs).
async function applyStatementByStatement(
  session: SqlSession,
  file: MigrationFile,
  statements: readonly string[],
): Promise<void> {
  const id = randomUUID();
  await session.query(
    `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
    [id, file.checksum, file.name],
  );
  for (const [index, statement] of statements.entries()) {
    try {
      await session.exec(statement);
    } catch (err) {
      const logs =
        `Statement ${index + 1} of ${statements.length} failed outside a transaction: ${errorText(err)}\n` +
        `${index} earlier statement(s) of this migration were applied and stay applied; ` +
        `fix the database, then mark the migration rolled back or applied (prisma migrate resolve).\n` +
        `Failed statement:\n${statement}`;
      await session.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, logs]);
      throw failure(file, logs, err);
    }
  }
  await session.query(
    'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
    [id],
  );
}

async function applyOne(session: SqlSession, file: MigrationFile): Promise<void> {
  const plan = transactionPlan(file.sql);
  if (plan.transactional) await applyInTransaction(session, file, plan.script);
  else await applyStatementByStatement(session, file, plan.statements);
}

/**
 * Applies pending migrations in order under Prisma Migrate's advisory lock, recording each in
 * `_prisma_migrations` with the same columns and SHA-256 checksum as `prisma migrate deploy`. A
 * database set up either way is accepted by the other. Each migration runs in its own transaction,
 * except one that contains a statement PostgreSQL refuses inside a transaction (`CREATE INDEX
 * CONCURRENTLY`, `VACUUM`, …) or starts with `-- dbkit:no-transaction`: that one runs statement by
 * statement, and a failure leaves it recorded as failed with the statement that failed and the
 * note that earlier statements stay applied. A migration file changed after it was applied is
 * refused by name; a failing migration is recorded as failed and stops the run.
 *
 * @example
 * ```ts
 * const result = await applyMigrations(sqlSource(pool), { dir: 'prisma/migrations' })
 * console.log(`applied ${result.applied.length} migrations`)
 * ```
 */
export async function applyMigrations(
  source: SqlSessionSource,
  options: ApplyMigrationsOptions,
): Promise<ApplyMigrationsResult> {
  const files = await readMigrations(options.dir);
  return source.withSession(async (session) => {
    if (options.schema !== undefined) {
      await session.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
      await session.exec(`SET search_path TO ${quoteIdent(options.schema)}`);
    }
    await acquireLock(session, options.lockTimeoutMs ?? 60_000);
    try {
      await session.exec(CREATE_TABLE);
      const rows = await session.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at, migration_name',
      );
      const { done, missing } = checkHistory(files, rows);
      const pending = files.filter((f) => !done.has(f.name));
      const applied: string[] = [];
      for (const [index, file] of pending.entries()) {
        options.onProgress?.({ name: file.name, index, total: pending.length });
        await applyOne(session, file);
        applied.push(file.name);
      }
      return {
        applied,
        alreadyApplied: files.filter((f) => done.has(f.name)).map((f) => f.name),
        missingLocally: missing,
      };
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
      if (options.schema !== undefined) await session.exec('RESET search_path');
    }
  });
}
