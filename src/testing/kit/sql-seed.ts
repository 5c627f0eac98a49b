// Typed seed data for SQL tables, inserted parents first in the catalog's foreign-key order.
import { quoteIdent } from './names.js';
import type { SqlTestContext } from './sql-context.js';

/**
 * Rows per table, typed by a row map you declare (or derive): `{ User: UserRow; Post: PostRow }`.
 *
 * @example
 * ```ts
 * const data: SqlSeedData<{ User: { id: string; name: string } }> = { User: [{ id: 'u1', name: 'Ada' }] };
 * ```
 */
export type SqlSeedData<Rows extends Record<string, Record<string, unknown>>> = {
  readonly [T in keyof Rows]?: readonly Rows[T][];
};

/**
 * Orders the keys of `data` as `insertOrder` says (parents first); keys it does not know follow in
 * their own order.
 *
 * @example
 * ```ts
 * orderKeys(['Post', 'User'], ['User', 'Post']); // ['User', 'Post']
 * ```
 */
export function orderKeys(keys: readonly string[], insertOrder: readonly string[]): string[] {
  const rank = new Map(insertOrder.map((t, i) => [t, i]));
  return [...keys].sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity));
}

/**
 * Inserts rows with plain SQL, tables in foreign-key order whatever the object's key order, one
 * multi-row `INSERT` per table and column set (columns you leave out get their defaults).
 *
 * @example
 * ```ts
 * await seedSql<{ User: UserRow; Post: PostRow }>(ctx, {
 *   Post: [{ id: 'p1', authorId: 'u1', title: 'Hello' }],
 *   User: [{ id: 'u1', name: 'Ada', email: 'ada@example.com', updatedAt: new Date() }],
 * });
 * ```
 */
export async function seedSql<Rows extends Record<string, Record<string, unknown>>>(
  ctx: SqlTestContext,
  data: SqlSeedData<Rows>,
): Promise<void> {
  const graph = await ctx.tables();
  const known = new Set(graph.tables);
  const unknown = Object.keys(data).filter((t) => !known.has(t));
  if (unknown.length > 0) {
    throw new TypeError(
      `dbkit: seedSql: no table ${unknown.join(', ')} in schema ${graph.schema} (tables: ${graph.tables.join(', ')})`,
    );
  }
  for (const table of orderKeys(Object.keys(data), graph.insertOrder)) {
    const rows = (data as Record<string, readonly Record<string, unknown>[] | undefined>)[table] ?? [];
    const byColumns = new Map<string, Record<string, unknown>[]>();
    for (const row of rows) {
      const columns = Object.keys(row).filter((c) => row[c] !== undefined);
      const key = JSON.stringify(columns);
      const group = byColumns.get(key) ?? [];
      group.push(row);
      byColumns.set(key, group);
    }
    for (const [key, group] of byColumns) {
      const columns = JSON.parse(key) as string[];
      const params: unknown[] = [];
      const tuples = group.map((row) => {
        const slots = columns.map((c) => {
          params.push(row[c]);
          return `$${params.length}`;
        });
        return `(${slots.join(', ')})`;
      });
      const target = `${quoteIdent(graph.schema)}.${quoteIdent(table)}`;
      const sql =
        columns.length === 0
          ? `INSERT INTO ${target} DEFAULT VALUES`
          : `INSERT INTO ${target} (${columns.map(quoteIdent).join(', ')}) VALUES ${tuples.join(', ')}`;
      if (columns.length === 0) for (let i = 0; i < group.length; i += 1) await ctx.query(sql);
      else await ctx.query(sql, params);
    }
  }
}
