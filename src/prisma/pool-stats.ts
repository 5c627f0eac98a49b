// Pool figures (total, idle, waiting) from the pg.Pool behind @prisma/adapter-pg, reported through core instrumentation.
import type { Instrumentation } from '../core/internal.js';

/**
 * The parts of a `pg.Pool` read for figures; declared structurally so `pg` stays optional.
 *
 * @example
 * ```ts
 * const pool: PoolLike = new pg.Pool({ connectionString })
 * ```
 */
export interface PoolLike {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  readonly options?: { max?: number };
  /** `pg.Pool` emits `error` for idle clients the server dropped; without a listener Node exits. */
  on?(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * One reading of the pool.
 *
 * @example
 * ```ts
 * const stats: PoolStats | undefined = db.poolStats() // { total: 3, idle: 0, busy: 3, waiting: 5, max: 3 }
 * ```
 */
export interface PoolStats {
  /** Connections open (idle + checked out). */
  total: number;
  idle: number;
  /** Checked out: running a query or holding a transaction. */
  busy: number;
  /** Callers queued for a connection: above zero means the pool is too small or a transaction is slow. */
  waiting: number;
  /** The pool's `max`, when known. */
  max: number | undefined;
}

/**
 * Reads the pool's figures now.
 *
 * @example
 * ```ts
 * poolStats(pool) // { total: 3, idle: 0, busy: 3, waiting: 5, max: 3 }
 * ```
 */
export function poolStats(pool: PoolLike): PoolStats {
  return {
    total: pool.totalCount,
    idle: pool.idleCount,
    busy: pool.totalCount - pool.idleCount,
    waiting: pool.waitingCount,
    max: pool.options?.max,
  };
}

/**
 * Options of pool figures reporting (`createPrisma`'s `poolMonitor`).
 *
 * @example
 * ```ts
 * createPrisma({ adapter, pool, create, poolMonitor: { intervalMs: 30_000 } })
 * ```
 */
export interface PoolMonitorOptions {
  /** Sample every this many ms (timer unref'd); default: no periodic sample. */
  intervalMs?: number;
  /** Receives each periodic sample, e.g. to set gauges. Default: `logger.debug` of the instrumentation. */
  onSample?: (stats: PoolStats) => void;
}

/** A running pool monitor. */
export interface PoolMonitor {
  sample(): PoolStats;
  stop(): void;
}

/**
 * Reports pool figures through the instrumentation: every operation that fails with a connection or
 * timeout error is followed by a `warn` carrying the pool's figures (an exhausted pool shows as
 * `waiting > 0`), and periodic samples go to `onSample`.
 *
 * @example
 * ```ts
 * const monitor = monitorPool(pool, instrumentation, { intervalMs: 10_000, onSample: (s) => gauge.set(s.waiting) })
 * ```
 */
export function monitorPool(
  pool: PoolLike,
  instrumentation: Instrumentation,
  options: PoolMonitorOptions = {},
): PoolMonitor {
  const { logger } = instrumentation;
  const onSample =
    options.onSample ??
    ((stats: PoolStats) => {
      logger.debug({ pool: stats }, 'dbkit: pool');
    });
  const unsubscribe = instrumentation.subscribe((event) => {
    if (event.type !== 'failed') return;
    if (event.error.kind !== 'connection' && event.error.kind !== 'timeout') return;
    logger.warn(
      { engine: event.engine, operation: event.operation, code: event.error.code, pool: poolStats(pool) },
      'dbkit: database connection trouble; pool figures attached',
    );
  });
  const timer =
    options.intervalMs === undefined
      ? undefined
      : setInterval(() => {
          onSample(poolStats(pool));
        }, options.intervalMs);
  timer?.unref();
  return {
    sample: () => poolStats(pool),
    stop() {
      unsubscribe();
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
