// Keyset pages over one table and conditional multi-row UPDATEs: core's BackfillSource for PostgreSQL and PGlite.
import { DbkitError } from '../../core/internal.js';
import type { BackfillPage, BackfillSource, BackfillWriteResult } from '../../core/internal.js';
import type { PrismaEngine } from '../errors.js';
import type { SqlSession } from '../migrate/sql-session.js';
import { columnOf, invalid, quoteIdent } from './sql-names.js';
import type { ColumnInfo, TableInfo } from './sql-names.js';

/** A row as the transform sees it. */
export type SqlRow = Record<string, unknown>;

/** What the source needs to know, validated against the catalog by the caller. */
export interface KeysetPlan {
  engine: PrismaEngine;
  table: TableInfo;
  keys: readonly ColumnInfo[];
  /** Columns read and handed to the transform. */
  columns: readonly ColumnInfo[];
  /** Trusted SQL predicate selecting rows that still need work; `TRUE` when absent. */
  where: string;
  /** Set-based mode: column → trusted SQL expression, evaluated by the UPDATE itself. */
  set: ReadonlyMap<string, string> | undefined;
}

/** A page as read, column by column (no object per row: a page is on the hot path). */
interface Page {
  items: SqlRow[];
  /**
   * Per key column, its values as the driver returned them when exact (see EXACT), else as text:
   * JSON-safe positions once `String`ed, cast back to the key's type by the UPDATE.
   */
  keys: unknown[][];
  /**
   * Per read (non-key) column, its values as read, for the UPDATE to check that rows still hold
   * them; kept apart from the items, which the transform may change.
   */
  reads: unknown[][];
}

/** Changes to write, and the index in the page of each one's row (parallel arrays: no object per row). */
interface Batch {
  changes: SqlRow[];
  at: number[];
}

const sliceOf = (batch: Batch, start: number, end?: number): Batch => ({
  changes: batch.changes.slice(start, end),
  at: batch.at.slice(start, end),
});

// The keys of `change` if they differ from `previous` (in order), else `previous` itself: a page's
// changes usually set the same columns, and comparing without Object.keys allocates nothing.
function keysOf(change: SqlRow, previous: string[]): string[] {
  let i = 0;
  for (const name in change) {
    if (previous[i] !== name) return Object.keys(change);
    i++;
  }
  return i === previous.length ? previous : Object.keys(change);
}

// PostgreSQL allows 65 535 parameters per statement.
const MAX_PARAMS = 60_000;

const q = quoteIdent;

// Types whose value, as the driver returns it, goes back as a parameter unchanged: such a column is
// compared with its own type. Any other (timestamps lose microseconds in a Date, jsonb numbers their
// precision; json, xml and point have no equality) is read a second time as text and compared as text.
const EXACT = /^(text|character varying(\(\d+\))?|uuid|integer|smallint|boolean|double precision|real)$/;

const isArrayType = (type: string): boolean => type.endsWith(']');

/** How the UPDATE checks that a read column still holds the value read. */
interface ReadCheck {
  column: ColumnInfo;
  /** True: compared with the column's own type; false: compared as text. */
  exact: boolean;
}

export function keysetSource(
  session: SqlSession,
  plan: KeysetPlan,
): BackfillSource<SqlRow, SqlRow> & { estimateWith(mode: 'count' | 'planner'): Promise<number | undefined> } {
  // The pages read and not yet written: the runner reads a lane's next page while it writes one.
  const recent: Page[] = [];
  const keyList = plan.keys.map((k) => `t.${q(k.name)}`).join(', ');
  const keyTuple = plan.keys.length === 1 ? keyList : `(${keyList})`;
  // Set-based writes evaluate their expressions on the row as it is: nothing to check.
  const checks: ReadCheck[] =
    plan.set === undefined
      ? plan.columns
          .filter((c) => !plan.keys.some((k) => k.name === c.name))
          .map((column) => ({ column, exact: EXACT.test(column.type) }))
      : [];
  const selectList = [
    ...plan.columns.map((c) => `t.${q(c.name)}`),
    // A key the driver returns exactly (an integer, a text) is read once; any other also as text.
    ...plan.keys.flatMap((k, i) => (EXACT.test(k.type) ? [] : [`t.${q(k.name)}::text AS "__dbkit_k${i}"`])),
    ...checks.flatMap((c, i) => (c.exact ? [] : [`t.${q(c.column.name)}::text AS "__dbkit_r${i}"`])),
  ].join(', ');
  const from = `${plan.table.sql} AS t`;
  const internalColumns = selectList.includes('"__dbkit_');
  // Each key's value as the UPDATE is given it (typed) and as positions hold it (text, JSON-safe).
  const keyValues = plan.keys.map((k, i) =>
    EXACT.test(k.type) ? (row: SqlRow) => row[k.name] : (row: SqlRow) => row[`__dbkit_k${i}`],
  );

  const read = async (_lane: number, after: unknown, limit: number): Promise<BackfillPage<SqlRow>> => {
    const params: unknown[] = [];
    let position = '';
    if (after !== undefined) {
      if (
        !Array.isArray(after) ||
        after.length !== plan.keys.length ||
        !after.every((v) => typeof v === 'string')
      ) {
        throw invalid('backfill.checkpoint', 'the stored position does not match the key of this backfill');
      }
      params.push(...after);
      const bound = plan.keys.map((k, i) => `$${i + 1}::${k.type}`).join(', ');
      position = `${keyTuple} > ${plan.keys.length === 1 ? bound : `(${bound})`} AND `;
    }
    params.push(limit);
    const rows = await session.query(
      `SELECT ${selectList} FROM ${from} WHERE ${position}(${plan.where}) ORDER BY ${keyList} LIMIT $${params.length}`,
      params,
    );
    const page: Page = {
      // The driver's rows are the items when they hold only the columns asked for.
      items: internalColumns
        ? rows.map((row) => {
            const item: SqlRow = {};
            for (const c of plan.columns) item[c.name] = row[c.name];
            return item;
          })
        : rows,
      keys: keyValues.map((value) => rows.map(value)),
      reads: checks.map((c, i) => {
        const name = c.exact ? c.column.name : `__dbkit_r${i}`;
        return rows.map((row) => row[name]);
      }),
    };
    recent.push(page);
    if (recent.length > 4) recent.shift();
    const last = rows.length - 1;
    return {
      items: page.items,
      next: rows.length < limit || last < 0 ? undefined : page.keys.map((column) => String(column[last])),
    };
  };

  // jsonb parameters go as JSON text (the driver would send a JS array as a PostgreSQL array).
  const toParam = (column: ColumnInfo): ((value: unknown) => unknown) =>
    /^jsonb?$/.test(column.type)
      ? (value) => (value === null || value === undefined ? null : JSON.stringify(value))
      : (value) => value ?? null;

  // One UPDATE for rows setting the same columns; returns how many rows it changed. Keys and read
  // values travel typed (the key join uses the index), one array per column through unnest.
  const update = async (page: Page, batch: Batch, setColumns: readonly ColumnInfo[]): Promise<number> => {
    const { at, changes } = batch;
    // A page's column as the rows of the batch: the page's own array when the batch is the page.
    const whole = at.length === page.items.length && at.every((a, r) => a === r);
    const pick = (column: unknown[] | undefined): unknown[] =>
      whole && column !== undefined ? column : at.map((a) => column?.[a] ?? null);
    const rowMode = plan.set === undefined;
    // Each value column of v: its name, its SQL type, and its values, one per row of the batch.
    const cells: { name: string; type: string; values: unknown[] }[] = [
      ...plan.keys.map((k, i) => ({ name: `"__dbkit_k${i}"`, type: k.type, values: pick(page.keys[i]) })),
      ...checks.map((c, i) => ({
        name: `"__dbkit_r${i}"`,
        type: c.exact ? c.column.type : 'text',
        values: pick(page.reads[i]),
      })),
      ...(rowMode
        ? setColumns.map((c, i) => {
            const param = toParam(c);
            return {
              name: `"__dbkit_c${i}"`,
              type: c.type,
              values: changes.map((change) => param(change[c.name])),
            };
          })
        : []),
    ];
    // One array parameter per column (unnest) plans fastest; a column that is itself an array cannot
    // go through unnest, which flattens, so those pages fall back to VALUES.
    const params: unknown[] = [];
    let rowsSql: string;
    if (cells.every((c) => !isArrayType(c.type))) {
      const arrays = cells.map((c) => {
        params.push(c.values);
        return `$${params.length}::${c.type}[]`;
      });
      rowsSql = `unnest(${arrays.join(', ')})`;
    } else {
      const tuples = at.map((_, r) =>
        cells.map((c) => {
          params.push(c.values[r]);
          return `$${params.length}::${c.type}`;
        }),
      );
      rowsSql = `(VALUES ${tuples.map((t) => `(${t.join(', ')})`).join(', ')})`;
    }
    const assignments = rowMode
      ? setColumns.map((c, i) => `${q(c.name)} = v."__dbkit_c${i}"`)
      : [...(plan.set ?? [])].map(([column, expression]) => `${q(column)} = (${expression})`);
    const conditions = [
      ...plan.keys.map((k, i) => `t.${q(k.name)} = v."__dbkit_k${i}"`),
      ...checks.map((c, i) =>
        c.exact
          ? `t.${q(c.column.name)} ${c.column.notNull ? '=' : 'IS NOT DISTINCT FROM'} v."__dbkit_r${i}"`
          : `t.${q(c.column.name)}::text IS NOT DISTINCT FROM v."__dbkit_r${i}"`,
      ),
      `(${plan.where})`,
    ];
    const statement = `UPDATE ${from} SET ${assignments.join(', ')} FROM ${rowsSql} AS v(${cells.map((c) => c.name).join(', ')})
        WHERE ${conditions.join(' AND ')}`;
    // The command's row count when the session reports it; else counted in one row, not one row
    // per updated row.
    if (session.run !== undefined) return session.run(statement, params);
    const [result] = await session.query<{ n: number }>(
      `WITH u AS (${statement} RETURNING 1) SELECT count(*)::int AS n FROM u`,
      params,
    );
    return result?.n ?? 0;
  };

  // The page index of each item: the runner hands back the page's items in order, so a pointer
  // walks them; an item out of order is looked up, one not of this page refused.
  const indexesOf = (page: Page, changes: readonly { item: SqlRow }[]): number[] => {
    const { items } = page;
    let next = 0;
    return changes.map(({ item }) => {
      const at = items[next] === item ? next : items.indexOf(item);
      if (at === -1) {
        throw invalid('backfill.item', 'the transform must be given rows read by this backfill');
      }
      next = at + 1;
      return at;
    });
  };

  const write = async (changes: { item: SqlRow; change: SqlRow }[]): Promise<BackfillWriteResult> => {
    const out: BackfillWriteResult = { changed: 0, skipped: 0, failures: [] };
    const groups = new Map<string, { columns: ColumnInfo[]; batch: Batch }>();
    const first = changes[0]?.item;
    const page = recent.find((p) => p.items[0] === first || (first !== undefined && p.items.includes(first)));
    if (page === undefined) {
      if (changes.length === 0) return out;
      throw invalid('backfill.item', 'the transform must be given rows read by this backfill');
    }
    const indexes = indexesOf(page, changes);
    // Changes setting the same columns (usually all of them) share a group: the names are sorted
    // and joined only when they differ from the previous change's.
    let previous: string[] = [];
    let previousId = '';
    changes.forEach(({ change }, n) => {
      let id = '';
      if (plan.set === undefined) {
        const keys = keysOf(change, previous);
        if (keys.length === 0) {
          out.skipped++;
          return;
        }
        if (keys !== previous) {
          previous = keys;
          previousId = JSON.stringify([...keys].sort());
        }
        id = previousId;
      }
      let group = groups.get(id);
      if (group === undefined) {
        const names = (id === '' ? [] : JSON.parse(id)) as string[];
        const columns = names.map((name) => columnOf(plan.table, name));
        for (const c of columns) {
          if (plan.keys.some((k) => k.name === c.name)) {
            throw invalid('backfill.change', `the transform may not change the key column "${c.name}"`);
          }
        }
        group = { columns, batch: { changes: [], at: [] } };
        groups.set(id, group);
      }
      group.batch.changes.push(change);
      group.batch.at.push(indexes[n] ?? -1);
    });
    for (const { columns, batch } of groups.values()) {
      const perStatement = Math.max(
        1,
        Math.floor(MAX_PARAMS / (plan.keys.length + checks.length + columns.length)),
      );
      const size = batch.at.length;
      for (let i = 0; i < size; i += perStatement) {
        const chunk = size <= perStatement ? batch : sliceOf(batch, i, i + perStatement);
        await writeIsolating(page, chunk, columns, out);
      }
    }
    return out;
  };

  // A row the database refuses (a check, a type) fails alone: a refused chunk is split in halves
  // until the refused rows are isolated and reported; the others are written.
  const writeIsolating = async (
    page: Page,
    chunk: Batch,
    columns: readonly ColumnInfo[],
    out: BackfillWriteResult,
  ): Promise<void> => {
    const size = chunk.at.length;
    try {
      const changed = await update(page, chunk, columns);
      out.changed += changed;
      out.skipped += size - changed;
    } catch (err) {
      if (isTransient(err)) throw err;
      if (size === 1) {
        out.failures.push({ key: keyOf(page, chunk.at[0]), reason: messageOf(err) });
        return;
      }
      const half = Math.ceil(size / 2);
      await writeIsolating(page, sliceOf(chunk, 0, half), columns, out);
      await writeIsolating(page, sliceOf(chunk, half), columns, out);
    }
  };

  const keyOf = (page: Page, at: number | undefined): string =>
    at === undefined ? '?' : page.keys.map((column) => String(column[at])).join(',');

  const estimateWith = async (mode: 'count' | 'planner'): Promise<number | undefined> => {
    if (mode === 'count') {
      const [row] = await session.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${from} WHERE (${plan.where})`,
      );
      return row === undefined ? undefined : Number(row.n);
    }
    const [row] = await session.query<{ plan: unknown }>(
      `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${from} WHERE (${plan.where})`,
    );
    const json = row === undefined ? undefined : Object.values(row)[0];
    const parsed = (typeof json === 'string' ? JSON.parse(json) : json) as {
      Plan?: { 'Plan Rows'?: number };
    }[];
    return parsed[0]?.Plan?.['Plan Rows'];
  };

  return { engine: plan.engine, target: plan.table.name, lanes: 1, read, write, estimateWith };
}

function isTransient(err: unknown): boolean {
  return (
    err instanceof DbkitError &&
    (err.retryable || err.kind === 'outcome_unknown' || err.kind === 'timeout' || err.kind === 'connection')
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
