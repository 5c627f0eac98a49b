// Identifiers in backfill SQL: validated against the catalog and quoted, never a caller's value in the text.
import { ValidationError } from '../../core/internal.js';
import type { SqlSession } from '../migrate/sql-session.js';

/** A column of the backfilled table as the catalog describes it. */
export interface ColumnInfo {
  name: string;
  /** `format_type` of the column: SQL the catalog wrote, used to cast parameters. */
  type: string;
  notNull: boolean;
}

/** The backfilled table: its quoted, schema-qualified name and its columns. */
export interface TableInfo {
  /** `"schema"."table"`. */
  sql: string;
  name: string;
  columns: ReadonlyMap<string, ColumnInfo>;
}

/**
 * Quotes an identifier for PostgreSQL (doubling embedded quotes); rejects what no identifier may
 * hold (empty, NUL, longer than 63 bytes).
 *
 * @example
 * ```ts
 * quoteIdent('emailLower') // '"emailLower"'
 * ```
 */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0') || Buffer.byteLength(name) > 63) {
    throw invalid('backfill.identifier', `"${name.slice(0, 80)}" is not a valid SQL identifier`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

export function invalid(code: `backfill.${string}`, message: string): ValidationError {
  return new ValidationError([{ path: [], message, code }], { code, message: `backfill: ${message}` });
}

/**
 * Reads the table's columns from the catalog (in `schema`, or the session's current schema), so that
 * every column a backfill names is checked to exist before any SQL uses it.
 */
export async function describeTable(
  session: SqlSession,
  table: string,
  schema: string | undefined,
): Promise<TableInfo> {
  const rows = await session.query<{ schema: string; name: string; type: string; not_null: boolean }>(
    `SELECT n.nspname AS schema, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND n.nspname = coalesce($2, current_schema()) AND c.relkind IN ('r', 'p')
        AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [table, schema ?? null],
  );
  const first = rows[0];
  if (first === undefined) throw invalid('backfill.table', `table "${table}" does not exist`);
  return {
    sql: `${quoteIdent(first.schema)}.${quoteIdent(table)}`,
    name: table,
    columns: new Map(rows.map((r) => [r.name, { name: r.name, type: r.type, notNull: r.not_null }])),
  };
}

/** The catalog's description of `column`, or a validation error naming it. */
export function columnOf(table: TableInfo, column: string): ColumnInfo {
  const info = table.columns.get(column);
  if (info === undefined)
    throw invalid('backfill.column', `column "${column}" does not exist in "${table.name}"`);
  return info;
}
