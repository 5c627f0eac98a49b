// backfill() for PostgreSQL and PGlite: keyset pages over one table, conditional writes, checkpoints in the database.
import { runBackfill } from '../../core/internal.js';
import type { BackfillReport, BackfillRunOptions } from '../../core/internal.js';
import type { SqlSessionSource } from '../migrate/sql-session.js';
import { ensureCheckpointTable, sqlCheckpointStore } from './checkpoint.js';
import { keysetSource } from './keyset-source.js';
import type { SqlRow } from './keyset-source.js';
import { detectEngine, mappedSession, withSessionLimits } from './session.js';
import { columnOf, describeTable, invalid } from './sql-names.js';

/**
 * What a SQL backfill walks and writes, plus core's run options (`name`, `batchSize`,
 * `itemsPerSecond`, `dryRun`, `restart`, `signal`, `onProgress`, `leaseMs`).
 *
 * `where` and the `set` expressions are SQL written by the developer, placed in the statements as
 * they are: trusted input, never built from request data. Table, schema, key and column names are
 * checked against the catalog and quoted; every value travels as a parameter.
 *
 * @example
 * ```ts
 * const options: SqlBackfillOptions = {
 *   name: 'users-email-lower', table: 'User', key: 'id', where: '"emailLower" IS NULL',
 *   columns: ['email'], transform: (row) => ({ emailLower: String(row.email).toLowerCase() }),
 * }
 * ```
 */
export interface SqlBackfillOptions<Row extends SqlRow = SqlRow> extends BackfillRunOptions {
  table: string;
  /** The table's schema; default the session's current schema. */
  schema?: string | undefined;
  /** The column (or columns, in order) the walk is ordered by: unique and NOT NULL, ideally the primary key. */
  key: string | readonly string[];
  /** SQL predicate selecting rows that still need the work (trusted input). Default: every row. */
  where?: string | undefined;
  /**
   * Columns read and passed to `transform` (the key columns are always added). A row is written only
   * if these columns still hold the values read. Default: every column.
   */
  columns?: readonly string[] | undefined;
  /** Row mode: the columns to set on a row, or undefined to leave it alone. */
  transform?: ((row: Row) => SqlRow | undefined | Promise<SqlRow | undefined>) | undefined;
  /** Set-based mode: column → SQL expression over the row (trusted input), e.g. `{ emailLower: 'lower(email)' }`. */
  set?: Readonly<Record<string, string>> | undefined;
  /** `lock_timeout` of the backfill's session: a write waiting longer for a row lock gives up and is repeated. Default 1 000. */
  lockTimeoutMs?: number | undefined;
  /** `statement_timeout` of the backfill's session. Default 30 000. */
  statementTimeoutMs?: number | undefined;
  /**
   * How `total` is estimated: `'count'` runs `count(*)` with `where` (exact, one scan),
   * `'planner'` reads the planner's row estimate for `where` (no scan), `false` none. Default `'count'`.
   */
  estimate?: 'count' | 'planner' | false | undefined;
}

/**
 * Backfills one table on PostgreSQL or PGlite in keyset order (`WHERE key > last AND (where) ORDER BY key
 * LIMIT batchSize`). Each page is written with one multi-row `UPDATE ... FROM unnest(...)` (one typed
 * array per column) that applies to a row only if it still matches `where` and its read columns still
 * hold the values read, so a concurrent application write is never overwritten. The session runs with a short
 * `lock_timeout` (a lock wait gives up and the page is repeated) and a `statement_timeout`.
 * The checkpoint lives in `_dbkit_backfills` (created if missing); a run killed at any point resumes
 * with the same `name` once the lease (`leaseMs`) has expired, from the last page saved: the
 * runner saves at most every `checkpointEveryMs` (and when the run stops), and pages read again
 * are skipped by `where` or by their conditional writes.
 *
 * @example
 * ```ts
 * const report = await backfill(sqlSource(pool), {
 *   name: 'users-email-lower', table: 'User', key: 'id', where: '"emailLower" IS NULL',
 *   columns: ['email'], transform: (row) => ({ emailLower: String(row.email).toLowerCase() }),
 *   batchSize: 500, itemsPerSecond: 2_000,
 * })
 * ```
 */
export async function backfill<Row extends SqlRow = SqlRow>(
  source: SqlSessionSource,
  options: SqlBackfillOptions<Row>,
): Promise<BackfillReport> {
  if ((options.transform === undefined) === (options.set === undefined)) {
    throw invalid(
      'backfill.mode',
      'give either `transform` (row mode) or `set` (set-based mode), not both or neither',
    );
  }
  return source.withSession(async (raw) => {
    const engine = await detectEngine(raw).catch(() => 'postgres' as const);
    const session = mappedSession(raw, engine);
    const table = await describeTable(session, options.table, options.schema);
    const keyNames = typeof options.key === 'string' ? [options.key] : [...options.key];
    if (keyNames.length === 0) throw invalid('backfill.key', 'the key names no column');
    const keys = keyNames.map((k) => columnOf(table, k));
    const nullable = keys.find((k) => !k.notNull);
    if (nullable !== undefined) {
      throw invalid('backfill.key', `key column "${nullable.name}" must be NOT NULL for a keyset walk`);
    }
    const names = options.columns === undefined ? [...table.columns.keys()] : [...options.columns];
    for (const k of keyNames) if (!names.includes(k)) names.push(k);
    const columns = names.map((c) => columnOf(table, c));
    let set: Map<string, string> | undefined;
    if (options.set !== undefined) {
      set = new Map(Object.entries(options.set));
      if (set.size === 0) throw invalid('backfill.change', '`set` names no column');
      for (const column of set.keys()) {
        columnOf(table, column);
        if (keyNames.includes(column))
          throw invalid('backfill.change', `\`set\` may not change the key column "${column}"`);
      }
    }
    const where = options.where === undefined || options.where.trim() === '' ? 'TRUE' : options.where;
    const limits = {
      lockTimeoutMs: options.lockTimeoutMs ?? 1_000,
      statementTimeoutMs: options.statementTimeoutMs ?? 30_000,
    };
    return withSessionLimits(session, limits, async () => {
      if (options.dryRun !== true) await ensureCheckpointTable(session);
      const store = sqlCheckpointStore(session, table.name);
      const walk = keysetSource(session, { engine, table, keys, columns, where, set });
      const mode = options.estimate ?? 'count';
      const runnerSource = {
        engine: walk.engine,
        target: walk.target,
        lanes: walk.lanes,
        read: (lane: number, after: unknown, limit: number) => walk.read(lane, after, limit),
        write: (changes: Parameters<typeof walk.write>[0]) => walk.write(changes),
        ...(mode === false ? {} : { estimate: () => walk.estimateWith(mode) }),
        // With `where`, the count covers only the rows that still need the work.
        estimates: where === 'TRUE' ? ('all' as const) : ('remaining' as const),
      };
      const transform =
        options.transform === undefined
          ? (): SqlRow => ({})
          : (row: SqlRow) => options.transform?.(row as Row);
      return runBackfill(runnerSource, store, transform, options);
    });
  });
}
