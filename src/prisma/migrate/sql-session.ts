// A dedicated SQL connection for migrations, over node-postgres or PGlite (advisory locks are per session).

/** One connection: parameterised queries and multi-statement scripts. */
export interface SqlSession {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<R[]>;
  /** Runs a script of several statements (simple query protocol, no parameters). */
  exec(script: string): Promise<void>;
  /**
   * Runs one statement and returns how many rows it changed (the command's row count), without
   * shipping rows back. Optional: callers fall back to `query` with a counting statement.
   */
  run?(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** Something that can lend a dedicated session for the duration of a callback. */
export interface SqlSessionSource {
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
}

/** The parts of a `pg.Pool` (or `pg.Client`) dbkit uses; declared structurally so `pg` stays optional. */
export interface PgQueryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount?: number | null }>;
}
/** A `pg.Pool`: lends clients that must be released. */
export interface PgPoolLike extends PgQueryable {
  connect(): Promise<PgQueryable & { release(destroy?: boolean): void }>;
}
/** A PGlite instance. */
export interface PgliteLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
}

function sessionOverPg(client: PgQueryable): SqlSession {
  return {
    async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) {
      return (await client.query(sql, [...params])).rows as R[];
    },
    async exec(script) {
      await client.query(script);
    },
    async run(sql, params = []) {
      return (await client.query(sql, [...params])).rowCount ?? 0;
    },
  };
}

/**
 * Lends sessions from a `pg.Pool`, a `pg.Client` or a PGlite instance.
 *
 * @example
 * ```ts
 * await applyMigrations(sqlSource(new pg.Pool({ connectionString })), { dir: 'prisma/migrations' })
 * await applyMigrations(sqlSource(new PGlite()), { dir: 'prisma/migrations' })
 * ```
 */
export function sqlSource(db: PgPoolLike | PgQueryable | PgliteLike): SqlSessionSource {
  if ('exec' in db && typeof db.exec === 'function') {
    const pglite = db;
    const session: SqlSession = {
      async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) {
        return (await pglite.query(sql, [...params])).rows as R[];
      },
      async exec(script) {
        await pglite.exec(script);
      },
      async run(sql, params = []) {
        return (await pglite.query(sql, [...params])).affectedRows ?? 0;
      },
    };
    return { withSession: (fn) => fn(session) };
  }
  if ('connect' in db && typeof db.connect === 'function') {
    const pool = db;
    return {
      async withSession(fn) {
        const client = await pool.connect();
        let broken = false;
        try {
          return await fn(sessionOverPg(client));
        } catch (err) {
          broken = true;
          throw err;
        } finally {
          client.release(broken);
        }
      },
    };
  }
  const client = db;
  return { withSession: (fn) => fn(sessionOverPg(client)) };
}
