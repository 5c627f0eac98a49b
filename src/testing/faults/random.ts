// A seeded random source, so fault rules that pick "a share" of calls repeat exactly from run to run.

/**
 * A deterministic pseudo-random function in [0, 1) (mulberry32) for {@link throttleShare} and
 * the TCP proxy's `cutShare`: the same seed gives the same sequence of faults, so a failing test
 * fails the same way again.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * proxy.setRule(throttleShare(0.5, { random }));
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Checks a share is a number in [0, 1]. */
export function assertShare(share: number, what: string): void {
  if (!(share >= 0 && share <= 1))
    throw new RangeError(`${what}: share must be between 0 and 1, got ${share}`);
}
