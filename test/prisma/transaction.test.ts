// $transactionWithRetry takes core's CallOptions: the caller's signal and an overall time limit, without a database.
import { describe, expect, it } from 'vitest';
import { OutcomeUnknownError, TimeoutError } from '../../src/core/internal.js';
import { transactionWithRetry } from '../../src/prisma/transaction.js';
import type { TransactionClient } from '../../src/prisma/transaction.js';
import { errorOf } from './support.js';

// A client whose transactions never finish, as over a silent network.
const silent: TransactionClient<object> = { $transaction: () => new Promise(() => undefined) };

describe('transactionWithRetry call options', () => {
  it('stops when the caller aborts, as outcome unknown while an attempt is in flight', async () => {
    const err = await errorOf(
      transactionWithRetry(silent, () => Promise.resolve(1), { signal: AbortSignal.timeout(30) }),
    );
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect((err as OutcomeUnknownError).cause).toMatchObject({
      name: 'TimeoutError',
      code: 'timeout.aborted',
    });
  });

  it('ends at timeoutMs, as outcome unknown while an attempt is in flight', async () => {
    const startedAt = Date.now();
    const err = await errorOf(transactionWithRetry(silent, () => Promise.resolve(1), { timeoutMs: 50 }));
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect((err as OutcomeUnknownError).cause).toBeInstanceOf(TimeoutError);
  });
});
