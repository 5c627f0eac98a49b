// The SQL side of the kit shared by PostgreSQL and PGlite: catalog-driven reset, queries and the table graph.
import type { SqlSessionSource } from '../../prisma/migrate/sql-session.js';
import type { IsolatedContext } from './lifecycle.js';
import { quoteIdent } from './names.js';
import { readTableGraph } from './sql-catalog.js';
import type { TableGraph } from './sql-catalog.js';

/**
 * How `reset()` empties SQL tables: one `TRUNCATE ... RESTART IDENTITY CASCADE` over every table
 * (`truncate`, the default), or `DELETE` child tables first, then restart the schema's sequences
 * (`delete`: faster on PGlite and on tiny tables, where TRUNCATE's file work dominates).
 */
export type SqlResetStrategy = 'truncate' | 'delete';

/**
 * An isolated SQL database (PostgreSQL database or schema, or a PGlite instance) for one test file.
 *
 * @example
 * ```ts
 * const ctx: SqlTestContext = await createPgliteContext({ migrations: 'prisma/migrations' });
 * await ctx.query('INSERT INTO "User" (id, name, email, "updatedAt") VALUES ($1, $2, $3, now())', ['u1', 'Ada', 'ada@x']);
 * ```
 */
export interface SqlTestContext extends IsolatedContext {
  readonly engine: 'postgres' | 'pglite';
  /** The schema holding the tables (`public` unless the context isolates by schema). */
  readonly schema: string;
  /** Runs one parameterised statement on the isolated database. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<R[]>;
  /** The tables and foreign keys, read from the catalog once (after migrations) and cached. */
  tables(): Promise<TableGraph>;
  /** Empties every table but `_prisma_migrations`, restarting identities; schema and indexes stay. */
  reset(): Promise<void>;
}

/** What the engine-specific factories hand to {@link sqlContext}. */
export interface SqlContextParts {
  engine: 'postgres' | 'pglite';
  schema: string;
  source: SqlSessionSource;
  resetStrategy: SqlResetStrategy;
  /** Closes connections and drops what the factory created. */
  drop: () => Promise<void>;
}

/**
 * Builds the shared SQL context over a session source (used by `createPostgresContext` and
 * `createPgliteContext`).
 *
 * @example
 * ```ts
 * const ctx = sqlContext({ engine: 'pglite', schema: 'public', source: sqlSource(pglite), resetStrategy: 'truncate', drop: () => pglite.close() });
 * ```
 */
export function sqlContext(parts: SqlContextParts): SqlTestContext {
  let graph: Promise<TableGraph> | undefined;
  let dropped = false;
  const qualified = (table: string): string => `${quoteIdent(parts.schema)}.${quoteIdent(table)}`;
  const tables = (): Promise<TableGraph> => {
    graph ??= parts.source.withSession((s) => readTableGraph(s, parts.schema));
    // a failed read is not cached: the next call asks the catalog again
    graph.catch(() => (graph = undefined));
    return graph;
  };
  return {
    engine: parts.engine,
    schema: parts.schema,
    query: (sql, params = []) => parts.source.withSession((s) => s.query(sql, params)),
    tables,
    async reset() {
      const { insertOrder } = await tables();
      if (insertOrder.length === 0) return;
      if (parts.resetStrategy === 'truncate') {
        // one statement over every table: FK order does not matter and CASCADE never reaches
        // outside the list (every referencing table of the schema is in it)
        const list = insertOrder.map(qualified).join(', ');
        await parts.source.withSession((s) => s.exec(`TRUNCATE TABLE ${list} RESTART IDENTITY CASCADE`));
        return;
      }
      const children = [...insertOrder].reverse();
      await parts.source.withSession(async (s) => {
        await s.exec(children.map((t) => `DELETE FROM ${qualified(t)};`).join('\n'));
        const sequences = await s.query<{ name: string }>(
          'SELECT sequencename AS name FROM pg_catalog.pg_sequences WHERE schemaname = $1',
          [parts.schema],
        );
        if (sequences.length > 0)
          await s.exec(sequences.map((q) => `ALTER SEQUENCE ${qualified(q.name)} RESTART;`).join('\n'));
      });
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await parts.drop();
    },
  };
}
