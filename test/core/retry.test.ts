import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, retry } from '../../src/core/retry.js';
import { ConflictError, ThrottledError, TimeoutError, TransientError } from '../../src/core/errors.js';

describe('backoffDelay', () => {
  it('stays within [0, min(max, base * 2^(n-1))) for every attempt', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1_000 };
    for (let attempt = 1; attempt <= 10; attempt++) {
      const ceiling = Math.min(1_000, 100 * 2 ** (attempt - 1));
      expect(backoffDelay(attempt, policy, () => 0)).toBe(0);
      expect(backoffDelay(attempt, policy, () => 0.999999)).toBeLessThan(ceiling);
      expect(backoffDelay(attempt, policy, () => 0.999999)).toBeGreaterThanOrEqual(ceiling - 1);
    }
  });

  it('never waits less than a throttle asks for, capped at the maximum delay', () => {
    const err = new ThrottledError('slow down', { retryAfterMs: 700 });
    expect(backoffDelay(1, { baseDelayMs: 10, maxDelayMs: 5_000 }, () => 0, err)).toBe(700);
    expect(backoffDelay(1, { baseDelayMs: 10, maxDelayMs: 300 }, () => 0, err)).toBe(300);
  });
});

describe('retry', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries a retryable error until it succeeds, waiting the jittered delays', async () => {
    let calls = 0;
    const delays: number[] = [];
    const promise = retry(
      () => {
        calls++;
        return calls < 3 ? Promise.reject(new TransientError('blip')) : Promise.resolve('ok');
      },
      { baseDelayMs: 100, maxDelayMs: 1_000 },
      { random: () => 0.5, onRetry: (e) => delays.push(e.delayMs) },
    );
    await vi.runAllTimersAsync();
    await expect(promise).resolves.toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([50, 100]);
  });

  it('does not retry an error that is not retryable', async () => {
    let calls = 0;
    const promise = retry(() => {
      calls++;
      return Promise.reject(new ConflictError('taken', { fields: ['email'] }));
    });
    await expect(promise).rejects.toBeInstanceOf(ConflictError);
    expect(calls).toBe(1);
  });

  it('gives up after maxAttempts and throws the last error as it is', async () => {
    let calls = 0;
    const errors = [new TransientError('one'), new TransientError('two'), new TransientError('three')];
    const promise = retry(() => Promise.reject(errors[calls++] as Error), {
      maxAttempts: 3,
      baseDelayMs: 10,
    });
    const assertion = expect(promise).rejects.toBe(errors[2]);
    await vi.runAllTimersAsync();
    await assertion;
    expect(calls).toBe(3);
  });

  it('stops before a wait that would pass the deadline', async () => {
    const start = Date.now();
    let calls = 0;
    const promise = retry(
      () => {
        calls++;
        return Promise.reject(new ThrottledError('busy'));
      },
      { maxAttempts: 100, baseDelayMs: 100, maxDelayMs: 100, deadlineMs: 350 },
      { random: () => 0.999 },
    );
    const assertion = expect(promise).rejects.toBeInstanceOf(ThrottledError);
    await vi.runAllTimersAsync();
    await assertion;
    // waits of ~99 ms each: attempts at 0, 99, 198, 297; a fifth would start after 396 > 350
    expect(calls).toBe(4);
    expect(Date.now() - start).toBeLessThanOrEqual(350);
  });

  it('rejects with a TimeoutError as soon as the signal aborts, mid-wait', async () => {
    const controller = new AbortController();
    let calls = 0;
    const promise = retry(
      () => {
        calls++;
        return Promise.reject(new TransientError('blip'));
      },
      { baseDelayMs: 10_000, maxDelayMs: 10_000 },
      { signal: controller.signal, random: () => 0.9 },
    );
    const assertion = expect(promise).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new Error('client went away'));
    await assertion;
    expect(calls).toBe(1);
  });

  it('does not start at all with an already aborted signal', async () => {
    let calls = 0;
    const promise = retry(
      () => {
        calls++;
        return Promise.resolve(1);
      },
      {},
      { signal: AbortSignal.abort() },
    );
    await expect(promise).rejects.toMatchObject({ code: 'timeout.aborted' });
    expect(calls).toBe(0);
  });
});
