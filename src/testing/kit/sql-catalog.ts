// The foreign-key graph of a PostgreSQL schema, read from the catalog, and the dependency order it implies.
import type { SqlSession } from '../../prisma/migrate/sql-session.js';

/** Prisma Migrate's history table: never emptied, never seeded. */
export const MIGRATIONS_TABLE = '_prisma_migrations';

/** A foreign key: rows of `child` refer to rows of `parent`. */
export interface ForeignKeyEdge {
  readonly child: string;
  readonly parent: string;
}

/** The tables of one schema and their foreign keys, with the order to insert in (parents first). */
export interface TableGraph {
  readonly schema: string;
  /** Every base table except Prisma's migration history. */
  readonly tables: readonly string[];
  readonly edges: readonly ForeignKeyEdge[];
  /** Parents before children: insert in this order, delete in the reverse. */
  readonly insertOrder: readonly string[];
}

/**
 * Orders tables so that every table comes after the tables it refers to. Self-references are
 * ignored; tables on a cycle (which only deferred constraints can seed) follow the rest by name.
 *
 * @example
 * ```ts
 * dependencyOrder(['Post', 'User'], [{ child: 'Post', parent: 'User' }]); // ['User', 'Post']
 * ```
 */
export function dependencyOrder(tables: readonly string[], edges: readonly ForeignKeyEdge[]): string[] {
  const known = new Set(tables);
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]));
  for (const e of edges) {
    if (e.child !== e.parent && known.has(e.child) && known.has(e.parent))
      parents.get(e.child)?.add(e.parent);
  }
  const order: string[] = [];
  const placed = new Set<string>();
  const sorted = [...tables].sort();
  for (let progress = true; progress;) {
    progress = false;
    for (const t of sorted) {
      if (placed.has(t)) continue;
      if ([...(parents.get(t) ?? [])].every((p) => placed.has(p))) {
        order.push(t);
        placed.add(t);
        progress = true;
      }
    }
  }
  return [...order, ...sorted.filter((t) => !placed.has(t))];
}

/**
 * Reads the base tables of `schema` and the foreign keys between them from `pg_catalog`.
 *
 * @example
 * ```ts
 * const graph = await readTableGraph(session, 'public');
 * graph.insertOrder; // ['User', 'Post', 'Comment']
 * ```
 */
export async function readTableGraph(session: SqlSession, schema: string): Promise<TableGraph> {
  const tableRows = await session.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`,
    [schema],
  );
  const edgeRows = await session.query<{ child: string; parent: string }>(
    `SELECT ch.relname AS child, pa.relname AS parent FROM pg_catalog.pg_constraint con
       JOIN pg_catalog.pg_class ch ON ch.oid = con.conrelid
       JOIN pg_catalog.pg_namespace chn ON chn.oid = ch.relnamespace
       JOIN pg_catalog.pg_class pa ON pa.oid = con.confrelid
       JOIN pg_catalog.pg_namespace pan ON pan.oid = pa.relnamespace
      WHERE con.contype = 'f' AND chn.nspname = $1 AND pan.nspname = $1`,
    [schema],
  );
  const tables = tableRows.map((r) => r.name).filter((t) => t !== MIGRATIONS_TABLE);
  const edges = edgeRows.map((r) => ({ child: r.child, parent: r.parent }));
  return { schema, tables, edges, insertOrder: dependencyOrder(tables, edges) };
}
