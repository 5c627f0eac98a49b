// Isolated names: unique per call, worker and file, and valid on every engine.
import { describe, expect, it } from 'vitest';
import { isolatedName, ISOLATED_PREFIX, workerTag } from '../../../src/testing/kit/names.js';

describe('isolatedName', () => {
  it('never repeats and stays within 63 lowercase [a-z0-9_] characters', () => {
    const names = Array.from({ length: 200 }, () => isolatedName('Some Very-Long Table Name '.repeat(5)));
    expect(new Set(names).size).toBe(200);
    for (const name of names) {
      expect(name).toMatch(/^[a-z][a-z0-9_]{2,62}$/);
      expect(name.startsWith(`${ISOLATED_PREFIX}_`)).toBe(true);
    }
  });

  it('carries the worker, so two parallel workers cannot collide', () => {
    expect(isolatedName('db', { VITEST_POOL_ID: '3' })).toMatch(/_w3_[0-9a-f]{6}_\d+$/);
    expect(isolatedName('db', { JEST_WORKER_ID: '2' })).toMatch(/_w2_/);
    expect(workerTag({})).toBe(`p${process.pid}`);
  });
});
