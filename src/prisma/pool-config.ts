// Safe time limits for the pg.Pool behind @prisma/adapter-pg, so that a silent or dead database ends in errors instead of hung calls and held connections.

/**
 * The `pg.Pool` options dbkit fills in when they are not set (names as `pg` spells them).
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString, ...defaultPoolTimeouts, query_timeout: 15_000 })
 * ```
 */
export interface PoolTimeouts {
  /** Opening a connection, and waiting for a free one when all are busy, in ms. */
  connectionTimeoutMillis: number;
  /** Server side: PostgreSQL cancels a statement running longer (its effects are rolled back), in ms. */
  statement_timeout: number;
  /** Client side: `pg` gives up on a statement whose answer does not come (silent network), in ms. */
  query_timeout: number;
  /** Server side: ends a session idle inside a transaction (a client that vanished holds locks), in ms. */
  idle_in_transaction_session_timeout: number;
  /** TCP keep-alive on every connection, so a dead peer is noticed on an idle connection. */
  keepAlive: boolean;
  keepAliveInitialDelayMillis: number;
}

/**
 * dbkit's defaults, ordered so that each layer ends before the next gives up: the server cancels a
 * statement (8 s) before `pg` stops waiting for it (9 s), which is before the extension's operation
 * limit (10 s, `timeoutMs`). A connection that cannot be opened in 5 s is an error.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, ...defaultPoolTimeouts })
 * ```
 */
export const defaultPoolTimeouts: Readonly<PoolTimeouts> = Object.freeze({
  connectionTimeoutMillis: 5_000,
  statement_timeout: 8_000,
  query_timeout: 9_000,
  idle_in_transaction_session_timeout: 30_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
});

/** A pool whose options can still be read and filled in (a `pg.Pool` satisfies it). */
export interface ConfigurablePool {
  readonly options?: object;
}

/**
 * Fills in each of `timeouts` the pool's options do not set yet, and returns the names it set.
 * A `pg.Pool` reads its options whenever it opens a connection, so call it before the first query
 * (createPrisma does, for the `pool` it is given, unless `poolTimeouts: false`).
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString, statement_timeout: 30_000 })
 * applyPoolTimeouts(pool) // ['connectionTimeoutMillis', 'query_timeout', ...]: statement_timeout stays 30 s
 * ```
 */
export function applyPoolTimeouts(
  pool: ConfigurablePool,
  timeouts: Partial<PoolTimeouts> = defaultPoolTimeouts,
): string[] {
  const options = pool.options as Record<string, unknown> | undefined;
  if (options === undefined) return [];
  const applied: string[] = [];
  for (const [name, value] of Object.entries(timeouts) as [string, unknown][]) {
    // pg treats 0 and false as "no limit" when the user set them, which is their choice to make.
    if (options[name] !== undefined || value === undefined) continue;
    options[name] = value;
    applied.push(name);
  }
  // A query_timeout at or under statement_timeout would report "outcome unknown" for a statement
  // the server was about to cancel cleanly: keep the client's limit above the server's.
  const statement = options['statement_timeout'];
  const query = options['query_timeout'];
  if (
    applied.includes('query_timeout') &&
    typeof statement === 'number' &&
    statement > 0 &&
    typeof query === 'number' &&
    query <= statement
  ) {
    options['query_timeout'] = statement + 1_000;
  }
  return applied;
}
