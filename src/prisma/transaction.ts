// Interactive transactions with isolation level, maxWait and timeout, retried with core's backoff when the database aborted them.
import { DbkitError, TimeoutError, createInstrumentation, runOperation } from '../core/internal.js';
import type { ExecutorConfig, Instrumentation, RetryPolicy, Telemetry } from '../core/internal.js';
import type { CallOptions } from '../core/operations.js';
import { isDatabaseError, mapPrismaError, markDatabaseError, rolledBackError } from './errors.js';
import type { PrismaEngine } from './errors.js';
import { prismaOperations } from './operations.js';

/**
 * Prisma's isolation levels on PostgreSQL.
 *
 * @example
 * ```ts
 * await prisma.$transactionWithRetry(fn, { isolationLevel: 'Serializable' satisfies IsolationLevel })
 * ```
 */
export type IsolationLevel = 'ReadUncommitted' | 'ReadCommitted' | 'RepeatableRead' | 'Serializable';

/**
 * Options of `$transactionWithRetry`: Prisma's transaction options and core's per-call options
 * (`signal`; `timeoutMs` bounds all attempts together; `retry` as below).
 *
 * @example
 * ```ts
 * await prisma.$transactionWithRetry(fn, { isolationLevel: 'Serializable', timeout: 10_000, signal: req.signal })
 * ```
 */
export interface TransactionOptions extends CallOptions {
  isolationLevel?: IsolationLevel | undefined;
  /** How long to wait for a connection to start the transaction, in ms (Prisma's default 2000). */
  maxWait?: number | undefined;
  /** How long the transaction may run before Prisma rolls it back, in ms (Prisma's default 5000). */
  timeout?: number | undefined;
  /**
   * Retry policy for serialization failures and deadlocks (the database rolled the transaction back,
   * so running it again is safe). Default: 8 attempts, 20 ms base, 1 s cap. `false` disables.
   */
  retry?: RetryPolicy | false | undefined;
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
  // Raw database errors thrown before COMMIT was requested: the transaction rolled back.
  const beforeCommit = new WeakSet<object>();
  const config: ExecutorConfig = {
    instrumentation: context.instrumentation ?? quiet,
    retry: false,
    // Prisma cannot cancel a query: the executor only stops waiting at the limit.
    cancellable: false,
    // The one place a raw failure of the transaction is refined.
    mapError: (err) =>
      mapPrismaError(err, {
        engine,
        operation: '$transaction',
        rolledBack: typeof err === 'object' && err !== null && beforeCommit.has(err),
      }),
    ...(context.telemetry === undefined ? {} : { telemetry: context.telemetry }),
  };
  const call: CallOptions = {
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
  };
  if (options.signal !== undefined) call.signal = options.signal;
  if (options.timeoutMs !== undefined) call.timeoutMs = options.timeoutMs;
  return runOperation(
    config,
    // Not idempotent: a transaction whose COMMIT was lost may have committed, so only failures that
    // certainly rolled back (notApplied) are retried and the others become OutcomeUnknownError.
    prismaOperations(engine).$transaction,
    'transaction',
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
        // A statement's error, refined by its own operation already, or a raw one for `mapError`.
        if (err instanceof DbkitError) throw rolledBackError(err, engine);
        if (typeof err === 'object' && err !== null) beforeCommit.add(err);
        throw err;
      }
    },
    call,
    // The caller's own errors (business rules, bugs) are not the database's: untouched, never retried.
    { passThrough: (err) => !isDatabaseError(err) },
  );
}
