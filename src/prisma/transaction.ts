// Interactive transactions with isolation level, maxWait and timeout, retried with core's backoff when the database aborted them.
import {
  ConnectionError,
  DbkitError,
  OutcomeUnknownError,
  TimeoutError,
  TransientError,
  createInstrumentation,
  execute,
} from '../core/internal.js';
import type { Instrumentation, RetryPolicy, Telemetry } from '../core/internal.js';
import { isDatabaseError, mapPrismaError, markDatabaseError } from './errors.js';
import type { PrismaEngine } from './errors.js';

/** Prisma's isolation levels on PostgreSQL. */
export type IsolationLevel = 'ReadUncommitted' | 'ReadCommitted' | 'RepeatableRead' | 'Serializable';

/** Options of {@link transactionWithRetry}. */
export interface TransactionOptions {
  isolationLevel?: IsolationLevel;
  /** How long to wait for a connection to start the transaction, in ms (Prisma's default 2000). */
  maxWait?: number;
  /** How long the transaction may run before Prisma rolls it back, in ms (Prisma's default 5000). */
  timeout?: number;
  /**
   * Retry policy for serialization failures and deadlocks (the database rolled the transaction back,
   * so running it again is safe). Default: 8 attempts, 20 ms base, 1 s cap. `false` disables.
   */
  retry?: RetryPolicy | false;
  signal?: AbortSignal;
}

/** A client that runs interactive transactions (a Prisma client, extended or not). */
export interface TransactionClient<Tx> {
  $transaction<R>(
    fn: (tx: Tx) => Promise<R>,
    options?: { isolationLevel?: IsolationLevel; maxWait?: number; timeout?: number },
  ): Promise<R>;
}

/** Where the transaction's events go. */
export interface TransactionContext {
  engine?: PrismaEngine;
  instrumentation?: Instrumentation;
  /** Spans and the duration histogram, as the extension's other operations record them. */
  telemetry?: Telemetry;
}

/** The defaults for retrying a transaction. */
export const defaultTransactionRetry: RetryPolicy = { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 1_000 };

/** Prisma's defaults for an interactive transaction's `maxWait` and `timeout`, in ms. */
const PRISMA_MAX_WAIT_MS = 2_000;
const PRISMA_TIMEOUT_MS = 5_000;
/** Slack past maxWait + timeout before an attempt is abandoned (Prisma's own rollback, a slow COMMIT). */
export const TRANSACTION_MARGIN_MS = 1_000;

const quiet = createInstrumentation();

type Phase = 'start' | 'callback' | 'commit';

/** Where one attempt is; `abandoned` once its deadline passed and the caller was answered. */
interface AttemptState {
  phase: Phase;
  abandoned: boolean;
}

// Settles with the attempt, or with a TimeoutError once `limitMs` passed: Prisma's own limits do not
// end a transaction whose connection went silent (its rollback waits on that connection too).
function bounded<R>(
  pending: Promise<R>,
  limitMs: number,
  state: AttemptState,
  engine: PrismaEngine,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.catch(() => undefined);
      // Before COMMIT was requested the transaction can no longer commit: the attempt is marked
      // abandoned, so a late start or a late callback ends in a rollback. A COMMIT in flight may
      // have been applied.
      state.abandoned = true;
      const committing = state.phase === 'commit';
      reject(
        markDatabaseError(
          new TimeoutError(
            `$transaction did not finish within ${limitMs} ms (maxWait + timeout + ${TRANSACTION_MARGIN_MS} ms)`,
            {
              engine,
              operation: '$transaction',
              target: 'transaction',
              code: committing ? 'timeout.commit' : 'timeout.transaction',
              notApplied: !committing,
              timeoutMs: limitMs,
            },
          ),
        ),
      );
    }, limitMs);
    pending
      .finally(() => {
        clearTimeout(timer);
      })
      .then(resolve, reject);
  });
}

// A database failure before COMMIT was requested (while starting, or inside the callback) means the
// transaction rolled back: report it as not applied, whatever the statement's own error said.
function rolledBack(err: DbkitError, engine: PrismaEngine): DbkitError {
  if (err.notApplied) return err;
  const inner = err instanceof OutcomeUnknownError && err.cause instanceof DbkitError ? err.cause : err;
  const options = {
    engine,
    operation: '$transaction',
    target: 'transaction',
    code: inner.code,
    retryable: inner.retryable,
    notApplied: true,
    cause: err,
  };
  const message = `$transaction was rolled back: ${inner.message}`;
  switch (inner.kind) {
    case 'connection':
      return markDatabaseError(new ConnectionError(message, options));
    case 'timeout':
      return markDatabaseError(new TimeoutError(message, options));
    case 'transient':
      return markDatabaseError(new TransientError(message, options));
    default:
      return err;
  }
}

/**
 * Runs `fn` in an interactive transaction and, when PostgreSQL aborts it with a serialization failure
 * or deadlock (P2034 / 40001 / 40P01, including the raw DriverAdapterError thrown at COMMIT), runs it
 * again after core's backoff. Only those transient failures are retried: they guarantee a rollback.
 *
 * - Errors your callback throws itself (not the database's) come out exactly as thrown, never retried.
 * - A database failure before COMMIT was sent is reported `notApplied` (the transaction rolled back);
 *   a connection lost or silent during COMMIT becomes an {@link OutcomeUnknownError}: it may have committed.
 * - Each attempt ends within `maxWait + timeout + 1 s` (Prisma's defaults 2 s and 5 s), even when
 *   the database stops answering.
 *
 * @example
 * ```ts
 * await transactionWithRetry(prisma, async (tx) => {
 *   const from = await tx.account.update({ where: { id: a }, data: { balance: { decrement: 10 } } })
 *   if (from.balance < 0) throw new ConditionFailedError('insufficient funds')
 *   await tx.account.update({ where: { id: b }, data: { balance: { increment: 10 } } })
 * }, { isolationLevel: 'Serializable', timeout: 10_000 })
 * ```
 */
export async function transactionWithRetry<Tx, R>(
  client: TransactionClient<Tx>,
  fn: (tx: Tx, attempt: number) => Promise<R>,
  options: TransactionOptions = {},
  context: TransactionContext = {},
): Promise<R> {
  const engine = context.engine ?? 'postgres';
  const { isolationLevel, maxWait, timeout } = options;
  const txOptions = {
    ...(isolationLevel === undefined ? {} : { isolationLevel }),
    ...(maxWait === undefined ? {} : { maxWait }),
    ...(timeout === undefined ? {} : { timeout }),
  };
  const limitMs = (maxWait ?? PRISMA_MAX_WAIT_MS) + (timeout ?? PRISMA_TIMEOUT_MS) + TRANSACTION_MARGIN_MS;
  const policy = options.retry ?? defaultTransactionRetry;
  const mapError = (err: unknown): DbkitError => mapPrismaError(err, { engine, operation: '$transaction' });
  return execute(
    {
      instrumentation: context.instrumentation ?? quiet,
      retry: false,
      // Prisma cannot cancel a query: the executor only stops waiting at the limit.
      cancellable: false,
      mapError,
      ...(context.telemetry === undefined ? {} : { telemetry: context.telemetry }),
    },
    // Not idempotent: a transaction whose COMMIT was lost may have committed, so only failures that
    // certainly rolled back (notApplied) are retried and the others become OutcomeUnknownError.
    { engine, operation: '$transaction', target: 'transaction', kind: 'write', idempotent: false },
    async (_signal, attempt) => {
      const state: AttemptState = { phase: 'start', abandoned: false };
      // A function, not the property: the deadline flips it while the callback awaits.
      const abandoned = (): boolean => state.abandoned;
      const run = client.$transaction(async (tx) => {
        if (abandoned()) throw new Error('dbkit: transaction attempt abandoned at its deadline');
        state.phase = 'callback';
        const result = await fn(tx, attempt);
        // Reported to the caller as not applied already: roll back rather than commit.
        if (abandoned()) throw new Error('dbkit: transaction attempt abandoned at its deadline');
        state.phase = 'commit';
        return result;
      }, txOptions);
      try {
        return await bounded(run, limitMs, state, engine);
      } catch (err) {
        if (!isDatabaseError(err) || state.phase === 'commit') throw err;
        throw rolledBack(mapError(err), engine);
      }
    },
    {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      // The caller's own errors (business rules, bugs) are not the database's: untouched, never retried.
      passThrough: (err) => !isDatabaseError(err),
      retry:
        policy === false
          ? false
          : {
              ...policy,
              shouldRetry: (err, n) =>
                err instanceof DbkitError &&
                err.kind === 'transient' &&
                err.retryable &&
                (policy.shouldRetry?.(err, n) ?? true),
            },
    },
  );
}
