// Prisma query events over a threshold go to the slow-operation log, with parameters redacted unless allowed.
import type { Logger } from '../core/internal.js';
import type { PrismaEngine } from './errors.js';

/** What Prisma emits on `$on('query')`: `params` is a JSON string, `duration` in ms. */
export interface PrismaQueryEvent {
  timestamp?: Date;
  query: string;
  params: string;
  duration: number;
  target?: string;
}

/** Options for {@link slowQueryListener}. */
export interface SlowQueryOptions {
  /** Statements at least this slow are logged at `warn`. */
  thresholdMs: number;
  logger: Logger;
  engine?: PrismaEngine;
  /**
   * Log parameter values as they are. Default `false`: each value is replaced by its type, since
   * parameters carry personal data and secrets. A function decides per statement.
   */
  logParams?: boolean | ((query: string) => boolean);
  /** Also log every statement at `debug` (development). Default `false`. */
  logAll?: boolean;
}

/**
 * Replaces each parameter value by its JSON type, keeping their number and order.
 *
 * @example
 * ```ts
 * redactParams('["ada@example.com",1]') // '[string, number]'
 * ```
 */
export function redactParams(params: string): string {
  let values: unknown;
  try {
    values = JSON.parse(params);
  } catch {
    return '[redacted]';
  }
  if (!Array.isArray(values)) return '[redacted]';
  return `[${values.map((v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)).join(', ')}]`;
}

/**
 * A `$on('query')` listener that logs statements slower than the threshold with the query, the
 * (redacted) parameters and the duration. `createPrisma` wires it; use it directly with a bare client.
 *
 * @example
 * ```ts
 * const prisma = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] })
 * prisma.$on('query', slowQueryListener({ thresholdMs: 200, logger: pino() }))
 * ```
 */
export function slowQueryListener(options: SlowQueryOptions): (event: PrismaQueryEvent) => void {
  const { thresholdMs, logger, logParams = false, logAll = false } = options;
  const engine = options.engine ?? 'postgres';
  return (event) => {
    const slow = event.duration >= thresholdMs;
    if (!slow && !logAll) return;
    const allowed = typeof logParams === 'function' ? logParams(event.query) : logParams;
    const details = {
      engine,
      query: event.query,
      params: allowed ? event.params : redactParams(event.params),
      durationMs: event.duration,
    };
    if (slow) logger.warn({ ...details, thresholdMs }, 'dbkit: slow query');
    else logger.debug(details, 'dbkit: query');
  };
}
