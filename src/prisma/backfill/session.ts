// A backfill's session: dbkit errors instead of driver errors, and short lock and statement timeouts for its duration.
import { ConditionFailedError } from '../../core/internal.js';
import { mapPrismaError, prismaErrorFacts } from '../errors.js';
import type { PrismaEngine } from '../errors.js';
import type { SqlSession } from '../migrate/sql-session.js';

/** Wraps `session` so that every failure is a dbkit error (55P03 and 40001 transient, 57014 a timeout). */
export function mappedSession(session: SqlSession, engine: PrismaEngine): SqlSession {
  const map = (err: unknown): Error => {
    // errors.ts builds 23514 with a code of the validation-only `condition` family; mapped here instead.
    if (prismaErrorFacts(err).sqlState === '23514') {
      return new ConditionFailedError('backfill: a check constraint did not hold', {
        engine,
        operation: 'backfill',
        code: 'condition_failed.check',
        cause: err,
      });
    }
    return mapPrismaError(err, { engine, operation: 'backfill' });
  };
  return {
    async query(sql, params) {
      try {
        return await session.query(sql, params);
      } catch (err) {
        throw map(err);
      }
    },
    async exec(script) {
      try {
        await session.exec(script);
      } catch (err) {
        throw map(err);
      }
    },
    ...(session.run === undefined
      ? {}
      : {
          async run(sql: string, params?: readonly unknown[]) {
            try {
              return (await session.run?.(sql, params)) ?? 0;
            } catch (err) {
              throw map(err);
            }
          },
        }),
  };
}

/** PGlite reports a wasm build in `version()`. */
export async function detectEngine(session: SqlSession): Promise<PrismaEngine> {
  const [row] = await session.query<{ v: string }>('SELECT version() AS v');
  return /wasm32|emscripten|emcc/i.test(row?.v ?? '') ? 'pglite' : 'postgres';
}

/** Time limits a backfill sets on its session, restored when it ends. */
export interface SessionLimits {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * Runs `fn` with `lock_timeout` and `statement_timeout` set on the session, then restores the values
 * it found (the session may be the application's client or a pooled connection).
 */
export async function withSessionLimits<T>(
  session: SqlSession,
  limits: SessionLimits,
  fn: () => Promise<T>,
): Promise<T> {
  const [before] = await session.query<{ lt: string; st: string }>(
    "SELECT current_setting('lock_timeout') AS lt, current_setting('statement_timeout') AS st",
  );
  const set = (lt: string, st: string): Promise<unknown> =>
    session.query(
      "SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)",
      [lt, st],
    );
  await set(`${Math.round(limits.lockTimeoutMs)}ms`, `${Math.round(limits.statementTimeoutMs)}ms`);
  try {
    return await fn();
  } finally {
    if (before !== undefined) await set(before.lt, before.st).catch(() => undefined);
  }
}
