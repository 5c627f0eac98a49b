// useIsolated registers the per-file pattern on any runner's hooks: create, reset then seed per test, drop.
import { describe, expect, it } from 'vitest';
import { useIsolated } from '../../../src/testing/kit/lifecycle.js';
import type { IsolatedContext } from '../../../src/testing/kit/lifecycle.js';

/** Hooks of a pretend runner (node:test names), recorded so the test can run them in order. */
function recordingHooks() {
  const hooks: Record<'before' | 'after' | 'beforeEach', (() => Promise<void>)[]> = {
    before: [],
    after: [],
    beforeEach: [],
  };
  return {
    hooks,
    suite: {
      beforeAll: (fn: () => Promise<void>) => hooks.before.push(fn),
      afterAll: (fn: () => Promise<void>) => hooks.after.push(fn),
      beforeEach: (fn: () => Promise<void>) => hooks.beforeEach.push(fn),
    },
  };
}

function journalContext(journal: string[]): IsolatedContext {
  return {
    reset: () => {
      journal.push('reset');
      return Promise.resolve();
    },
    drop: () => {
      journal.push('drop');
      return Promise.resolve();
    },
  };
}

describe('useIsolated', () => {
  it('creates once, resets and seeds before each test, drops after the file', async () => {
    const journal: string[] = [];
    const { hooks, suite } = recordingHooks();
    const ctx = useIsolated(
      suite,
      () => {
        journal.push('create');
        return Promise.resolve(journalContext(journal));
      },
      { seed: () => Promise.resolve(journal.push('seed')) },
    );
    expect(() => ctx()).toThrow(/not ready/);
    for (const fn of hooks.before) await fn();
    for (let test = 0; test < 2; test += 1) for (const fn of hooks.beforeEach) await fn();
    expect(ctx()).toBeDefined();
    for (const fn of hooks.after) await fn();
    expect(journal).toEqual(['create', 'reset', 'seed', 'reset', 'seed', 'drop']);
    expect(() => ctx()).toThrow(/not ready/);
  });

  it('with reset "never", seeds once and needs no beforeEach', async () => {
    const journal: string[] = [];
    const { hooks, suite } = recordingHooks();
    useIsolated(
      { beforeAll: suite.beforeAll, afterAll: suite.afterAll },
      () => Promise.resolve(journalContext(journal)),
      { reset: 'never', seed: () => Promise.resolve(journal.push('seed')) },
    );
    for (const fn of hooks.before) await fn();
    for (const fn of hooks.after) await fn();
    expect(journal).toEqual(['seed', 'drop']);
  });

  it('refuses to reset per test without a beforeEach hook', () => {
    const { suite } = recordingHooks();
    expect(() =>
      useIsolated({ beforeAll: suite.beforeAll, afterAll: suite.afterAll }, () =>
        Promise.resolve(journalContext([])),
      ),
    ).toThrow(/beforeEach/);
  });
});
