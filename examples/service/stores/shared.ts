// What every store shares: the report's order, idempotent-transfer replay, and the insufficient-funds error.
import { ConditionFailedError, ConflictError, NotFoundError } from 'dbkit';
import type { NewTransfer, TopAuthor, Transfer } from '../domain.js';

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The top-authors order on every engine: most published first, then name, then id, compared by code
 * unit (MongoDB's binary string order), so the same data gives the same report everywhere.
 *
 * @example
 * ```ts
 * rows.sort(reportOrder).slice(0, 10)
 * ```
 */
export function reportOrder(x: TopAuthor, y: TopAuthor): number {
  return (
    y.publishedCount - x.publishedCount || byCodeUnit(x.name, y.name) || byCodeUnit(x.authorId, y.authorId)
  );
}

/**
 * The answer to a transfer retried with a used Idempotency-Key: the first transfer when the terms
 * match, a ConflictError when the key was used for another transfer.
 *
 * @example
 * ```ts
 * return replayTransfer(await findByKey(key), key, input)
 * ```
 */
export function replayTransfer(
  existing: Transfer | null,
  idempotencyKey: string,
  input: NewTransfer,
): Transfer {
  if (!existing) throw new NotFoundError(`transfer ${idempotencyKey} vanished`);
  if (existing.fromId !== input.fromId || existing.toId !== input.toId || existing.amount !== input.amount) {
    throw new ConflictError('this Idempotency-Key was already used for a different transfer', {
      fields: ['idempotencyKey'],
    });
  }
  return existing;
}

/**
 * The error a transfer that would overdraw its source account fails with (409, condition failed).
 *
 * @example
 * ```ts
 * throw insufficientFunds(input.fromId, input.amount)
 * ```
 */
export function insufficientFunds(fromId: string, amount: number, cause?: unknown): ConditionFailedError {
  return new ConditionFailedError(`account ${fromId} has insufficient funds for ${amount}`, {
    code: 'condition_failed.insufficientFunds',
    ...(cause === undefined ? {} : { cause }),
  });
}
