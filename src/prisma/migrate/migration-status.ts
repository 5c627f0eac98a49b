// Read-only comparison of a migrations folder with the `_prisma_migrations` journal.
import { migrationChecksumMatches, readMigrations } from './migration-files.js';
import type { MigrationFile } from './migration-files.js';
import type { MigrationState, MigrationStatus, MigrationStatusEntry } from '../../core/internal.js';
import type { SqlSessionSource } from './sql-session.js';

/**
 * One SQL migration: core's status line plus what `_prisma_migrations` records. A migration whose
 * every journal row is rolled back is `pending` again (a deploy applies it), with `rolledBackAt`.
 *
 * @example
 * ```ts
 * const failed = status.migrations.filter((m) => m.state === 'failed').map((m) => m.logs)
 * ```
 */
export interface SqlMigrationStatusEntry extends MigrationStatusEntry {
  /** The checksum of the file on disk (absent for `missingLocally`). */
  fileChecksum?: string;
  /** The checksum recorded in the journal (absent for `pending`). */
  recordedChecksum?: string;
  rolledBackAt?: string;
  appliedStepsCount?: number;
  /** The error Prisma or dbkit recorded for a failed migration. */
  logs?: string;
}

/**
 * What {@link migrationStatus} found; plain JSON, in core's `MigrationStatus` shape.
 *
 * @example
 * ```ts
 * if (!status.hasJournal) console.log('no migration was ever applied here')
 * ```
 */
export interface SqlMigrationStatus extends MigrationStatus {
  /** Whether `_prisma_migrations` exists. */
  hasJournal: boolean;
  migrations: SqlMigrationStatusEntry[];
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

function fromRows(name: string, rows: readonly JournalRow[], file?: MigrationFile): SqlMigrationStatusEntry {
  const fileChecksum = file?.checksum;
  const live = rows.filter((r) => r.rolled_back_at === null);
  const row = live.at(-1) ?? rows.at(-1);
  if (row === undefined)
    return { name, state: 'pending', ...(fileChecksum === undefined ? {} : { fileChecksum }) };
  let state: MigrationState;
  if (live.length === 0) state = file === undefined ? 'missingLocally' : 'pending';
  else if (row.finished_at === null) state = 'failed';
  else if (file === undefined) state = 'missingLocally';
  else if (row.checksum !== file.checksum && !migrationChecksumMatches(file.sql, row.checksum))
    state = 'changed';
  else state = 'applied';
  const entry: SqlMigrationStatusEntry = {
    name,
    state,
    ...(fileChecksum === undefined ? {} : { fileChecksum }),
    recordedChecksum: row.checksum,
    startedAt: iso(row.started_at) ?? '',
    appliedStepsCount: row.applied_steps_count,
  };
  const finishedAt = iso(row.finished_at);
  if (finishedAt !== null) entry.finishedAt = finishedAt;
  const rolledBackAt = iso(row.rolled_back_at);
  if (rolledBackAt !== null) entry.rolledBackAt = rolledBackAt;
  if (row.logs !== null) {
    entry.logs = row.logs;
    if (state === 'failed') entry.error = row.logs;
  }
  return entry;
}

/**
 * Lists every migration with its state, reading only: no lock is taken and nothing is created, so
 * it is safe to run against production while a deploy is under way. States: `applied`, `pending`
 * (in the folder, not in the journal, or every journal row of it rolled back: `rolledBackAt` is
 * set), `failed` (started, never finished, not rolled back), `changed` (the file's checksum
 * differs from the recorded one, line endings aside, as Prisma judges) and `missingLocally` (in
 * the journal only: a newer deploy applied it, so `upToDate` stays true).
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
): Promise<SqlMigrationStatus> {
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
    engine: 'postgres',
    target: options.schema ?? 'public',
    // A migration only in the journal is one a newer deploy applied: this code can still run.
    upToDate: migrations.every((m) => m.state === 'applied' || m.state === 'missingLocally'),
    hasJournal: rows !== undefined,
    migrations,
  };
}
