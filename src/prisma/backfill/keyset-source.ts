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

interface RowMeta {
  keys: string[];
  /** md5 of the columns read, as text: the write applies only if they still hold these values. */
  fingerprint: string;
}

// PostgreSQL allows 65 535 parameters per statement.
const MAX_PARAMS = 60_000;

const q = quoteIdent;

export function keysetSource(
  session: SqlSession,
  plan: KeysetPlan,
): BackfillSource<SqlRow, SqlRow> & { estimateWith(mode: 'count' | 'planner'): Promise<number | undefined> } {
  const meta = new WeakMap<SqlRow, RowMeta>();
  const keyList = plan.keys.map((k) => `t.${q(k.name)}`).join(', ');
  const keyTuple = `(${keyList})`;
  const fingerprintOf = `md5(ROW(${plan.columns.map((c) => `t.${q(c.name)}`).join(', ')})::text)`;
  const selectList = [
    ...plan.columns.map((c) => `t.${q(c.name)}`),
    ...plan.keys.map((k, i) => `t.${q(k.name)}::text AS "__dbkit_k${i}"`),
    // Set-based writes evaluate their expressions on the row as it is: no fingerprint needed.
    plan.set === undefined ? `${fingerprintOf} AS "__dbkit_fp"` : `'' AS "__dbkit_fp"`,
  ].join(', ');
  const from = `${plan.table.sql} AS t`;

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
      position = `${keyTuple} > (${plan.keys.map((k, i) => `$${i + 1}::${k.type}`).join(', ')}) AND `;
    }
    params.push(limit);
    const rows = await session.query(
      `SELECT ${selectList} FROM ${from} WHERE ${position}(${plan.where}) ORDER BY ${keyList} LIMIT $${params.length}`,
      params,
    );
    const items = rows.map((row) => {
      const item: SqlRow = {};
      for (const c of plan.columns) item[c.name] = row[c.name];
      meta.set(item, {
        keys: plan.keys.map((_, i) => String(row[`__dbkit_k${i}`])),
        fingerprint: String(row['__dbkit_fp']),
      });
      return item;
    });
    const last = items.at(-1);
    return { items, next: items.length < limit || last === undefined ? undefined : meta.get(last)?.keys };
  };

  const paramOf = (column: ColumnInfo, value: unknown): unknown =>
    value !== null && value !== undefined && /^jsonb?$/.test(column.type)
      ? JSON.stringify(value)
      : (value ?? null);

  // One UPDATE for rows setting the same columns; returns how many rows it changed.
  const update = async (
    rows: { item: SqlRow; change: SqlRow }[],
    setColumns: readonly ColumnInfo[],
  ): Promise<number> => {
    const metas = rows.map(({ item }) => {
      const m = meta.get(item);
      if (m === undefined) {
        throw invalid('backfill.item', 'the transform must be given rows read by this backfill');
      }
      return m;
    });
    const fingerprinted = plan.set === undefined;
    // One array parameter per column (unnest) plans fastest; a column that is itself an array cannot
    // go through unnest, which flattens, so those pages fall back to VALUES.
    const unnestable = setColumns.every((c) => !c.type.endsWith(']'));
    const params: unknown[] = [];
    let rowsSql: string;
    if (unnestable) {
      const arrays: string[] = [];
      const add = (values: unknown[], type: string): void => {
        params.push(values);
        arrays.push(`$${params.length}::${type}[]`);
      };
      plan.keys.forEach((_, i) => {
        add(
          metas.map((m) => m.keys[i]),
          'text',
        );
      });
      if (fingerprinted) {
        add(
          metas.map((m) => m.fingerprint),
          'text',
        );
        for (const c of setColumns)
          add(
            rows.map(({ change }) => paramOf(c, change[c.name])),
            c.type,
          );
      }
      rowsSql = `unnest(${arrays.join(', ')})`;
    } else {
      const p = (value: unknown, type: string): string => {
        params.push(value);
        return `$${params.length}::${type}`;
      };
      const tuples = rows.map(({ change }, r) => {
        const m = metas[r] as RowMeta;
        const cells = plan.keys.map((_, i) => p(m.keys[i], 'text'));
        if (fingerprinted) {
          cells.push(p(m.fingerprint, 'text'));
          for (const c of setColumns) cells.push(p(paramOf(c, change[c.name]), c.type));
        }
        return `(${cells.join(', ')})`;
      });
      rowsSql = `(VALUES ${tuples.join(', ')})`;
    }
    const names = [
      ...plan.keys.map((_, i) => `"__dbkit_k${i}"`),
      ...(plan.set === undefined ? ['"__dbkit_fp"', ...setColumns.map((_, i) => `"__dbkit_c${i}"`)] : []),
    ];
    const assignments =
      plan.set === undefined
        ? setColumns.map((c, i) => `${q(c.name)} = v."__dbkit_c${i}"`)
        : [...plan.set].map(([column, expression]) => `${q(column)} = (${expression})`);
    const match = `${keyTuple} = (${plan.keys.map((k, i) => `v."__dbkit_k${i}"::${k.type}`).join(', ')})`;
    const unchanged = plan.set === undefined ? ` AND ${fingerprintOf} = v."__dbkit_fp"` : '';
    const result = await session.query(
      `UPDATE ${from} SET ${assignments.join(', ')} FROM ${rowsSql} AS v(${names.join(', ')})
        WHERE ${match}${unchanged} AND (${plan.where}) RETURNING 1`,
      params,
    );
    return result.length;
  };

  const write = async (changes: { item: SqlRow; change: SqlRow }[]): Promise<BackfillWriteResult> => {
    const out: BackfillWriteResult = { changed: 0, skipped: 0, failures: [] };
    const groups = new Map<string, { columns: ColumnInfo[]; rows: { item: SqlRow; change: SqlRow }[] }>();
    for (const entry of changes) {
      const names = plan.set === undefined ? Object.keys(entry.change).sort() : [];
      if (plan.set === undefined && names.length === 0) {
        out.skipped++;
        continue;
      }
      const id = JSON.stringify(names);
      let group = groups.get(id);
      if (group === undefined) {
        const columns = names.map((n) => columnOf(plan.table, n));
        for (const c of columns) {
          if (plan.keys.some((k) => k.name === c.name)) {
            throw invalid('backfill.change', `the transform may not change the key column "${c.name}"`);
          }
        }
        group = { columns, rows: [] };
        groups.set(id, group);
      }
      group.rows.push(entry);
    }
    for (const { columns, rows } of groups.values()) {
      const perStatement = Math.max(1, Math.floor(MAX_PARAMS / (plan.keys.length + 1 + columns.length)));
      for (let i = 0; i < rows.length; i += perStatement) {
        const chunk = rows.slice(i, i + perStatement);
        await writeIsolating(chunk, columns, out);
      }
    }
    return out;
  };

  // A row the database refuses (a check, a type) fails alone: a refused chunk is split in halves
  // until the refused rows are isolated and reported; the others are written.
  const writeIsolating = async (
    chunk: { item: SqlRow; change: SqlRow }[],
    columns: readonly ColumnInfo[],
    out: BackfillWriteResult,
  ): Promise<void> => {
    try {
      const changed = await update(chunk, columns);
      out.changed += changed;
      out.skipped += chunk.length - changed;
    } catch (err) {
      if (isTransient(err)) throw err;
      if (chunk.length === 1) {
        out.failures.push({ key: keyOf(chunk[0]?.item), reason: messageOf(err) });
        return;
      }
      const half = Math.ceil(chunk.length / 2);
      await writeIsolating(chunk.slice(0, half), columns, out);
      await writeIsolating(chunk.slice(half), columns, out);
    }
  };

  const keyOf = (item: SqlRow | undefined): string => {
    const m = item === undefined ? undefined : meta.get(item);
    return m === undefined ? '?' : m.keys.join(',');
  };

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
