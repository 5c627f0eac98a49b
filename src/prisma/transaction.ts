// Interactive transactions with isolation level, maxWait and timeout, retried with core's backoff when the database aborted them.
import { DbkitError, createInstrumentation, execute } from '../core/index.js';
import type { Instrumentation, RetryPolicy } from '../core/index.js';
import { mapPrismaError } from './errors.js';
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
}

/** The defaults for retrying a transaction. */
export const defaultTransactionRetry: RetryPolicy = { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 1_000 };

const quiet = createInstrumentation();

/**
 * Runs `fn` in an interactive transaction and, when PostgreSQL aborts it with a serialization failure
 * or deadlock (P2034 / 40001 / 40P01, including the raw DriverAdapterError thrown at COMMIT), runs it
 * again after core's backoff. Only those transient failures are retried: they guarantee a rollback,
 * whereas a lost connection during COMMIT may have committed. Errors come out mapped (P2028 →
 * TimeoutError), the original as `cause`.
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
  const policy = options.retry ?? defaultTransactionRetry;
  return execute(
    {
      instrumentation: context.instrumentation ?? quiet,
      retry: false,
      mapError: (err, spec) => mapPrismaError(err, { engine, operation: spec.operation }),
    },
    { engine, operation: '$transaction', target: 'transaction', kind: 'write', idempotent: true },
    (_signal, attempt) => client.$transaction((tx) => fn(tx, attempt), txOptions),
    {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
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
