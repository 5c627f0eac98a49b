// Read-only comparison of a migrations folder with the `_prisma_migrations` journal.
import { migrationChecksumMatches, readMigrations } from './migration-files.js';
import type { MigrationFile } from './migration-files.js';
import type { SqlSessionSource } from './sql-session.js';

/** Where one migration stands. */
export type MigrationState = 'applied' | 'pending' | 'failed' | 'changed' | 'missingLocally' | 'rolledBack';

/** One migration, from the folder, the journal or both. All dates are ISO strings. */
export interface MigrationStatusEntry {
  name: string;
  state: MigrationState;
  /** The checksum of the file on disk (absent for `missingLocally`). */
  fileChecksum?: string;
  /** The checksum recorded in the journal (absent for `pending`). */
  recordedChecksum?: string;
  startedAt?: string;
  finishedAt?: string | null;
  rolledBackAt?: string | null;
  appliedStepsCount?: number;
  /** The error Prisma or dbkit recorded for a failed migration. */
  logs?: string | null;
}

/** What {@link migrationStatus} found; plain JSON. */
export interface MigrationStatus {
  /** Every migration is `applied`: nothing pending, failed, changed, rolled back or missing locally. */
  upToDate: boolean;
  /** Whether `_prisma_migrations` exists. */
  hasJournal: boolean;
  /** Folder migrations in name order, then those only in the journal. */
  migrations: MigrationStatusEntry[];
}

/** Options of {@link migrationStatus}. */
export interface MigrationStatusOptions {
  /** The `prisma/migrations` folder. */
  dir: string;
  /** The PostgreSQL schema holding `_prisma_migrations`; default: the connection's current schema. */
  schema?: string;
}

interface JournalRow extends Record<string, unknown> {
  migration_name: string;
  checksum: string;
  started_at: Date | string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
  applied_steps_count: number;
  logs: string | null;
}

function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function fromRows(name: string, rows: readonly JournalRow[], file?: MigrationFile): MigrationStatusEntry {
  const fileChecksum = file?.checksum;
  const live = rows.filter((r) => r.rolled_back_at === null);
  const row = live.at(-1) ?? rows.at(-1);
  if (row === undefined)
    return { name, state: 'pending', ...(fileChecksum === undefined ? {} : { fileChecksum }) };
  let state: MigrationState;
  if (live.length === 0) state = 'rolledBack';
  else if (row.finished_at === null) state = 'failed';
  else if (file === undefined) state = 'missingLocally';
  else if (row.checksum !== file.checksum && !migrationChecksumMatches(file.sql, row.checksum))
    state = 'changed';
  else state = 'applied';
  return {
    name,
    state,
    ...(fileChecksum === undefined ? {} : { fileChecksum }),
    recordedChecksum: row.checksum,
    startedAt: iso(row.started_at) ?? '',
    finishedAt: iso(row.finished_at),
    rolledBackAt: iso(row.rolled_back_at),
    appliedStepsCount: row.applied_steps_count,
    logs: row.logs,
  };
}

/**
 * Lists every migration with its state, reading only: no lock is taken and nothing is created, so
 * it is safe to run against production while a deploy is under way. States: `applied`, `pending`
 * (in the folder, not in the journal), `failed` (started, never finished, not rolled back),
 * `changed` (the file's checksum differs from the recorded one, line endings aside, as Prisma judges), `missingLocally` (in the journal
 * only) and `rolledBack` (every journal row of it is marked rolled back; a deploy applies it again).
 *
 * @example
 * ```ts
 * const status = await migrationStatus(sqlSource(pool), { dir: 'prisma/migrations' })
 * if (!status.upToDate) console.log(JSON.stringify(status.migrations.filter((m) => m.state !== 'applied')))
 * ```
 */
export async function migrationStatus(
  source: SqlSessionSource,
  options: MigrationStatusOptions,
): Promise<MigrationStatus> {
  const files = await readMigrations(options.dir);
  const table =
    options.schema === undefined
      ? '"_prisma_migrations"'
      : `${quoteIdent(options.schema)}."_prisma_migrations"`;
  const rows = await source.withSession(async (session) => {
    const [found] = await session.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
    if (found?.t === null || found?.t === undefined) return undefined;
    return session.query<JournalRow>(
      `SELECT migration_name, checksum, started_at, finished_at, rolled_back_at, applied_steps_count, logs FROM ${table} ORDER BY started_at, migration_name`,
    );
  });
  const byName = new Map<string, JournalRow[]>();
  for (const row of rows ?? []) {
    const list = byName.get(row.migration_name) ?? [];
    list.push(row);
    byName.set(row.migration_name, list);
  }
  const migrations = files.map((f) => fromRows(f.name, byName.get(f.name) ?? [], f));
  const onDisk = new Set(files.map((f) => f.name));
  for (const [name, list] of byName) {
    if (!onDisk.has(name)) migrations.push(fromRows(name, list));
  }
  return {
    upToDate: migrations.every((m) => m.state === 'applied'),
    hasJournal: rows !== undefined,
    migrations,
  };
}
