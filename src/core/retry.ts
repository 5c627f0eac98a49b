// The one retry loop every engine uses: exponential backoff with full jitter, a deadline and an AbortSignal.
import { DbkitError, ThrottledError, TimeoutError } from './errors.js';

/** How persistently to retry. Every field has a production default. */
export interface RetryPolicy {
  /** Total attempts including the first. Default 5. */
  maxAttempts?: number;
  /** Base of the exponential backoff, in ms. Default 50. */
  baseDelayMs?: number;
  /** Cap on one backoff delay, in ms. Default 2000. */
  maxDelayMs?: number;
  /** Overall budget for all attempts and waits, in ms, counted from the first attempt. Default none. */
  deadlineMs?: number;
  /** Decides whether an error is worth another attempt. Default: `err.retryable` on dbkit errors. */
  shouldRetry?: (err: unknown, attempt: number) => boolean;
}

/** What the retry loop reports before each wait. */
export interface RetryEvent {
  /** The attempt that just failed, 1-based. */
  attempt: number;
  /** How long the loop will wait before the next attempt. */
  delayMs: number;
  error: unknown;
}

/** Per-call options: cancellation, progress, and a source of randomness (for tests). */
export interface RetryOptions {
  signal?: AbortSignal;
  onRetry?: (event: RetryEvent) => void;
  /** Returns a number in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** The defaults dbkit uses when a policy leaves a field out. */
export const defaultRetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 50,
  maxDelayMs: 2_000,
} as const;

/**
 * The full-jitter delay before retry number `attempt` (1-based): uniform in
 * [0, min(maxDelayMs, baseDelayMs * 2^(attempt-1))), and never below a throttle's `retryAfterMs`.
 *
 * @example
 * ```ts
 * backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 1000 }, () => 0.5) // 200
 * ```
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy = {},
  random: () => number = Math.random,
  err?: unknown,
): number {
  const base = policy.baseDelayMs ?? defaultRetryPolicy.baseDelayMs;
  const cap = policy.maxDelayMs ?? defaultRetryPolicy.maxDelayMs;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  const floor =
    err instanceof ThrottledError && err.retryAfterMs !== undefined ? Math.min(err.retryAfterMs, cap) : 0;
  return Math.max(jittered, floor);
}

/**
 * Runs `fn` until it succeeds, the error is not retryable, the attempts run out or the deadline
 * would pass; then throws the last error as it is. An abort rejects at once with a TimeoutError
 * whose cause is the signal's reason.
 *
 * @example
 * ```ts
 * const item = await retry((attempt) => client.send(cmd), { maxAttempts: 4, deadlineMs: 2_000 })
 * ```
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy = {},
  options: RetryOptions = {},
): Promise<T> {
  const maxAttempts = Math.max(1, policy.maxAttempts ?? defaultRetryPolicy.maxAttempts);
  const shouldRetry = policy.shouldRetry ?? ((err: unknown) => err instanceof DbkitError && err.retryable);
  const random = options.random ?? Math.random;
  const startedAt = Date.now();
  const { signal } = options;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(signal);
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= maxAttempts || !shouldRetry(err, attempt)) throw err;
      const delayMs = backoffDelay(attempt, policy, random, err);
      if (policy.deadlineMs !== undefined && Date.now() - startedAt + delayMs > policy.deadlineMs) throw err;
      options.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs, signal);
    }
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

// Raised between attempts, never while one is in flight: nothing was sent, so nothing was applied.
function abortError(signal: AbortSignal): TimeoutError {
  return new TimeoutError('Operation aborted before it could complete', {
    code: 'timeout.aborted',
    cause: signal.reason,
    notApplied: true,
  });
}

/**
 * Waits `ms` milliseconds, or rejects with a TimeoutError as soon as `signal` aborts.
 *
 * @example
 * ```ts
 * await sleep(100, AbortSignal.timeout(1_000))
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
