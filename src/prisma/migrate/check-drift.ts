// Compares a live PostgreSQL schema with a Prisma schema's data model and lists every difference.
import { expectedShape, loadDatamodel } from './data-model.js';
import type { ColumnShape, DmmfDatamodel, IndexShape, SchemaShape, TableShape } from './data-model.js';
import type { SqlSession, SqlSessionSource } from './sql-session.js';

/** One difference between the database and the schema. */
export interface DriftDifference {
  kind:
    | 'missingTable'
    | 'extraTable'
    | 'missingColumn'
    | 'extraColumn'
    | 'typeMismatch'
    | 'nullabilityMismatch'
    | 'primaryKeyMismatch'
    | 'missingUnique'
    | 'extraUnique'
    | 'missingIndex'
    | 'extraIndex'
    | 'missingEnum'
    | 'enumValuesMismatch';
  table?: string;
  column?: string;
  expected?: string;
  actual?: string;
  /** One readable line, e.g. `column "Post"."likeCount" is missing (expected integer NOT NULL)`. */
  message: string;
}

/** What {@link checkDrift} found. */
export interface DriftReport {
  inSync: boolean;
  differences: DriftDifference[];
}

/** Options of {@link checkDrift}: the schema (text, path or parsed datamodel) and the database schema to read. */
export type CheckDriftOptions = (
  { schema: string } | { schemaPath: string } | { datamodel: DmmfDatamodel }
) & {
  /** The PostgreSQL schema to inspect. Default: the connection's `current_schema()`. */
  dbSchema?: string;
  /** Tables to ignore besides `_prisma_migrations`. */
  ignoreTables?: readonly string[];
};

const NS = `(SELECT oid FROM pg_namespace WHERE nspname = COALESCE($1, current_schema()))`;
const COLUMNS_SQL = `SELECT c.relname AS "table", a.attname AS "column", format_type(a.atttypid, a.atttypmod) AS "type",
  NOT a.attnotnull AS "nullable"
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
  WHERE c.relnamespace = ${NS} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
  ORDER BY c.relname, a.attnum`;
const TABLES_SQL = `SELECT c.relname AS "table" FROM pg_class c WHERE c.relnamespace = ${NS} AND c.relkind IN ('r', 'p')`;
const INDEXES_SQL = `SELECT t.relname AS "table", i.relname AS "name", x.indisunique AS "unique", x.indisprimary AS "primary",
  array_agg(a.attname::text ORDER BY k.ord) AS "columns"
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
  CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
  WHERE t.relnamespace = ${NS}
  GROUP BY t.relname, i.relname, x.indisunique, x.indisprimary`;
const ENUMS_SQL = `SELECT t.typname AS "name", array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS "values"
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typnamespace = ${NS} GROUP BY t.typname`;

function unquote(type: string): string {
  return type.replaceAll('"', '');
}

/**
 * Reads the live shape of a PostgreSQL schema: tables, columns (type, nullability), primary keys,
 * unique constraints and indexes, enums.
 *
 * @example
 * ```ts
 * const live = await sqlSource(pool).withSession((s) => liveShape(s))
 * ```
 */
export async function liveShape(session: SqlSession, dbSchema?: string): Promise<SchemaShape> {
  const p = [dbSchema ?? null];
  // One after another: a pg.Client runs one query at a time.
  const tables = await session.query<{ table: string }>(TABLES_SQL, p);
  const columns = await session.query<{ table: string; column: string; type: string; nullable: boolean }>(
    COLUMNS_SQL,
    p,
  );
  const indexes = await session.query<{
    table: string;
    name: string;
    unique: boolean;
    primary: boolean;
    columns: string[];
  }>(INDEXES_SQL, p);
  const enums = await session.query<{ name: string; values: string[] }>(ENUMS_SQL, p);
  const shapes = tables.map((t): TableShape => ({
    name: t.table,
    columns: columns
      .filter((c) => c.table === t.table)
      .map((c) => ({ name: c.column, type: unquote(c.type), nullable: c.nullable })),
    indexes: indexes
      .filter((i) => i.table === t.table)
      .map((i) => ({
        kind: i.primary ? 'primary' : i.unique ? 'unique' : 'index',
        columns: i.columns,
        name: i.name,
      })),
  }));
  return { tables: shapes, enums: new Map(enums.map((e) => [e.name, e.values])) };
}

function describeColumn(c: ColumnShape): string {
  return `${c.type}${c.nullable ? '' : ' NOT NULL'}`;
}

const key = (i: IndexShape): string => `${i.kind}:${i.columns.join(',')}`;
const INDEX_KINDS = {
  unique: ['missingUnique', 'extraUnique', 'unique constraint'],
  index: ['missingIndex', 'extraIndex', 'index'],
} as const;

function compareTable(expected: TableShape, live: TableShape, out: DriftDifference[]): void {
  const table = expected.name;
  for (const col of expected.columns) {
    const found = live.columns.find((c) => c.name === col.name);
    const where = `column "${table}"."${col.name}"`;
    if (found === undefined) {
      out.push({
        kind: 'missingColumn',
        table,
        column: col.name,
        expected: describeColumn(col),
        message: `${where} is missing (expected ${describeColumn(col)})`,
      });
      continue;
    }
    if (found.type !== col.type) {
      out.push({
        kind: 'typeMismatch',
        table,
        column: col.name,
        expected: col.type,
        actual: found.type,
        message: `${where} is ${found.type}, the schema says ${col.type}`,
      });
    }
    if (found.nullable !== col.nullable) {
      const say = (n: boolean): string => (n ? 'nullable' : 'NOT NULL');
      out.push({
        kind: 'nullabilityMismatch',
        table,
        column: col.name,
        expected: say(col.nullable),
        actual: say(found.nullable),
        message: `${where} is ${say(found.nullable)}, the schema says ${say(col.nullable)}`,
      });
    }
  }
  for (const col of live.columns) {
    if (!expected.columns.some((c) => c.name === col.name)) {
      out.push({
        kind: 'extraColumn',
        table,
        column: col.name,
        actual: describeColumn(col),
        message: `column "${table}"."${col.name}" exists in the database but not in the schema`,
      });
    }
  }
  const pkExpected = expected.indexes.find((i) => i.kind === 'primary')?.columns.join(', ') ?? '(none)';
  const pkLive = live.indexes.find((i) => i.kind === 'primary')?.columns.join(', ') ?? '(none)';
  if (pkExpected !== pkLive) {
    out.push({
      kind: 'primaryKeyMismatch',
      table,
      expected: pkExpected,
      actual: pkLive,
      message: `primary key of "${table}" is (${pkLive}), the schema says (${pkExpected})`,
    });
  }
  for (const kind of ['unique', 'index'] as const) {
    const [missing, extra, label] = INDEX_KINDS[kind];
    const want = expected.indexes.filter((i) => i.kind === kind);
    const have = live.indexes.filter((i) => i.kind === kind);
    for (const i of want) {
      if (!have.some((h) => key(h) === key(i))) {
        out.push({
          kind: missing,
          table,
          expected: i.columns.join(', '),
          message: `${label} on "${table}" (${i.columns.join(', ')}) is missing`,
        });
      }
    }
    for (const h of have) {
      if (!want.some((i) => key(h) === key(i))) {
        out.push({
          kind: extra,
          table,
          actual: h.columns.join(', '),
          message: `${label} ${h.name ?? ''} on "${table}" (${h.columns.join(', ')}) is not in the schema`,
        });
      }
    }
  }
}

/**
 * Compares two shapes and lists every difference, tables and enums first.
 *
 * @example
 * ```ts
 * diffShapes(expectedShape(datamodel), await liveShape(session))
 * ```
 */
export function diffShapes(
  expected: SchemaShape,
  live: SchemaShape,
  ignoreTables: readonly string[] = [],
): DriftDifference[] {
  const out: DriftDifference[] = [];
  const ignored = new Set(['_prisma_migrations', ...ignoreTables]);
  for (const [name, values] of expected.enums) {
    const found = live.enums.get(name);
    if (found === undefined)
      out.push({ kind: 'missingEnum', expected: values.join(', '), message: `enum "${name}" is missing` });
    else if (found.join(',') !== values.join(',')) {
      out.push({
        kind: 'enumValuesMismatch',
        expected: values.join(', '),
        actual: found.join(', '),
        message: `enum "${name}" has (${found.join(', ')}), the schema says (${values.join(', ')})`,
      });
    }
  }
  for (const table of expected.tables) {
    const found = live.tables.find((t) => t.name === table.name);
    if (found === undefined)
      out.push({
        kind: 'missingTable',
        table: table.name,
        message: `table "${table.name}" (model ${table.model ?? table.name}) is missing`,
      });
    else compareTable(table, found, out);
  }
  for (const table of live.tables) {
    if (ignored.has(table.name) || expected.tables.some((t) => t.name === table.name)) continue;
    out.push({
      kind: 'extraTable',
      table: table.name,
      message: `table "${table.name}" exists in the database but not in the schema`,
    });
  }
  return out;
}

/**
 * Compares the live database with the Prisma schema's data model (tables, columns, types,
 * nullability, primary keys, unique constraints, indexes, enums) and lists every difference, e.g.
 * a column dropped behind Prisma's back. Foreign keys and defaults are not compared.
 *
 * @example
 * ```ts
 * const report = await checkDrift(sqlSource(pool), { schemaPath: 'prisma/schema.prisma' })
 * if (!report.inSync) throw new Error(report.differences.map((d) => d.message).join('\n'))
 * ```
 */
export async function checkDrift(source: SqlSessionSource, options: CheckDriftOptions): Promise<DriftReport> {
  const datamodel = 'datamodel' in options ? options.datamodel : await loadDatamodel(options);
  const live = await source.withSession((session) => liveShape(session, options.dbSchema));
  const differences = diffShapes(expectedShape(datamodel), live, options.ignoreTables);
  return { inSync: differences.length === 0, differences };
}
