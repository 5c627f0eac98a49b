// Decides whether a migration runs in one transaction or statement by statement outside one.
import { mustRunOutsideTransaction, NO_TRANSACTION_MARKER, splitSqlStatements } from './sql-statements.js';

/** How a migration script will be run. */
export interface TransactionPlan {
  /** `true`: the whole script in one transaction. `false`: each statement on its own, no transaction. */
  transactional: boolean;
  /** Why it runs outside a transaction, e.g. `marker` or the first statement that requires it. */
  reason?: string;
  /** The script to send, without a leading UTF-8 byte order mark (PostgreSQL rejects one). */
  script: string;
  /** The statements, as split (only filled when `transactional` is `false`). */
  statements: string[];
}

/**
 * Plans how a migration script runs: in one transaction, unless a line is exactly
 * `-- dbkit:no-transaction` or a statement cannot run inside a transaction block (then statement by
 * statement, as PostgreSQL requires). A leading byte order mark is dropped from what is sent (the
 * checksum still covers the file's bytes).
 *
 * @example
 * ```ts
 * transactionPlan('CREATE INDEX CONCURRENTLY "i" ON "t"("c");').transactional // false
 * ```
 */
export function transactionPlan(script: string): TransactionPlan {
  const source = script.replace(/^\uFEFF/u, '');
  const marked = source.split(/\r?\n/u).some((line) => line.trim() === NO_TRANSACTION_MARKER);
  const statements = splitSqlStatements(source);
  if (marked) return { transactional: false, reason: 'marker', script: source, statements };
  const blocking = statements.find(mustRunOutsideTransaction);
  if (blocking === undefined) return { transactional: true, script: source, statements: [] };
  return { transactional: false, reason: blocking, script: source, statements };
}
