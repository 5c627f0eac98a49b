// Keeps a pg connection that is still inside a transaction (or still waiting on a statement) out of the pool.

/** The parts of a pooled `pg.Client` the guard reads; structural, so `pg` stays optional. */
interface PooledClient {
  getTransactionStatus?(): string | null;
  readonly _txStatus?: string | null;
  readonly _activeQuery?: unknown;
  readonly _queryQueue?: readonly unknown[];
  /** Older pg (8.16 among them) names them without the underscore; recent pg keeps those as deprecated getters. */
  readonly activeQuery?: unknown;
  readonly queryQueue?: readonly unknown[];
  end(): unknown;
  on?(event: 'error', listener: () => void): unknown;
}

/** A `pg.Pool` as far as the guard needs it. */
export interface GuardablePool {
  on?(event: 'release', listener: (err: unknown, client: PooledClient) => void): unknown;
}

const GUARDED = Symbol.for('dbkit.prisma.poolGuard');

/**
 * Why a client handed back to the pool must not be reused, or `undefined` when it is clean.
 * `T` (in a transaction) and `E` (in a failed one) come from the server's last ReadyForQuery, on pg
 * versions that keep it; on older ones a statement still in flight is the sign.
 */
export function unsafeToReuse(client: PooledClient): string | undefined {
  const status = client.getTransactionStatus?.() ?? client._txStatus;
  if (status === 'T' || status === 'E') return `transaction still open (status ${status})`;
  // Read the old names only where the new ones are absent: on recent pg the old getters warn.
  const active = '_activeQuery' in client ? client._activeQuery : client.activeQuery;
  const queue = '_queryQueue' in client ? client._queryQueue : client.queryQueue;
  if (active !== undefined && active !== null) return 'a statement is still waiting for its answer';
  if ((queue?.length ?? 0) > 0) return 'statements are still queued';
  return undefined;
}

/**
 * Closes, instead of reusing, every connection handed back to `pool` while its transaction is still
 * open or a statement is still in flight.
 *
 * Why: `@prisma/adapter-pg` releases a transaction's connection after sending ROLLBACK whether or not
 * the ROLLBACK got through. When it did not (pg's `query_timeout` fired on a silent network), the
 * connection went back to the pool inside the transaction, and the next transaction on it committed
 * the abandoned one's writes: a transfer reported as failed was applied, or half applied. pg-pool
 * removes a client whose `end()` was called from its `release` listener instead of pooling it.
 *
 * Returns `true` when the guard is (or already was) installed.
 */
export function guardPool(pool: GuardablePool | undefined, onDiscard?: (reason: string) => void): boolean {
  if (pool === undefined || typeof pool.on !== 'function') return false;
  const marked = pool as GuardablePool & { [GUARDED]?: true };
  if (marked[GUARDED]) return true;
  marked[GUARDED] = true;
  pool.on('release', (err, client) => {
    if (err !== undefined && err !== null) return; // pg-pool closes a client released with an error itself
    const reason = unsafeToReuse(client);
    if (reason === undefined) return;
    onDiscard?.(reason);
    // Ending it fails its abandoned statement: an expected error, not one to crash the process with.
    client.on?.('error', () => undefined);
    void Promise.resolve(client.end()).catch(() => undefined);
  });
  return true;
}
