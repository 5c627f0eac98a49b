// The backfill runner over an in-memory source and store: resume, conditional skips, throttling, rate, dry run, ownership.
/* eslint-disable @typescript-eslint/require-await -- in-memory stand-ins of engine journals and stores implement async interfaces synchronously */
import { describe, expect, it } from 'vitest';
import { ConflictError, ThrottledError, TransientError, isDbkitError } from '../../src/core/index.js';
import { runBackfill } from '../../src/core/backfill.js';
import type { BackfillCheckpoint, BackfillSource, CheckpointStore } from '../../src/core/backfill.js';

interface Row {
  id: number;
  v: number;
  done: boolean;
  applied: number;
}

function memoryStore(): CheckpointStore & { saved: Map<string, BackfillCheckpoint>; saves: number } {
  const saved = new Map<string, BackfillCheckpoint>();
  const store = {
    saved,
    saves: 0,
    async claim(name: string, owner: string, leaseMs: number) {
      const cp = saved.get(name);
      if (cp && cp.owner !== owner && Date.parse(cp.savedAt) > Date.now() - leaseMs) {
        throw new ConflictError('busy', { code: 'backfill.running' });
      }
      if (cp) {
        cp.owner = owner;
        return structuredClone(cp);
      }
      return undefined;
    },
    async save(name: string, cp: BackfillCheckpoint) {
      const current = saved.get(name);
      if (current && current.owner !== cp.owner) throw new ConflictError('lost', { code: 'backfill.lost' });
      store.saves++;
      saved.set(name, structuredClone(cp));
    },
    async clear(name: string, owner: string) {
      if (saved.get(name)?.owner === owner) saved.delete(name);
    },
    async release(name: string, owner: string) {
      const cp = saved.get(name);
      if (cp?.owner === owner) cp.savedAt = new Date(0).toISOString();
    },
  };
  return store;
}

// Rows split into `lanes` interleaved lanes; writes apply only to rows not done yet (the condition).
function memorySource(
  rows: Row[],
  lanes: number,
  faults: { read?: (n: number) => Error | undefined; write?: (n: number) => Error | undefined } = {},
): BackfillSource<Row, number> & { reads: number } {
  let reads = 0;
  let writes = 0;
  const src = {
    engine: 'core' as const,
    target: 'rows',
    lanes,
    get reads() {
      return reads;
    },
    async read(lane: number, after: unknown, limit: number) {
      const n = ++reads;
      await Promise.resolve();
      const err = faults.read?.(n);
      if (err) throw err;
      const mine = rows.filter((r) => r.id % lanes === lane && r.id > ((after as number | undefined) ?? -1));
      const items = mine.slice(0, limit).map((r) => ({ ...r }));
      const last = items.at(-1);
      return { items, next: mine.length > limit && last ? last.id : undefined };
    },
    async write(changes: { item: Row; change: number }[]) {
      const n = ++writes;
      const err = faults.write?.(n);
      if (err) throw err;
      let changed = 0;
      let skipped = 0;
      for (const { item, change } of changes) {
        const row = rows.find((r) => r.id === item.id);
        if (!row || row.done || row.v !== item.v) {
          skipped++;
          continue;
        }
        row.v = change;
        row.done = true;
        row.applied++;
        changed++;
      }
      return { changed, skipped, failures: [] };
    },
    async estimate() {
      return rows.length;
    },
  };
  return src;
}

const rowsOf = (n: number): Row[] =>
  Array.from({ length: n }, (_, id) => ({ id, v: id, done: false, applied: 0 }));
const double = (r: Row): number | undefined => (r.done ? undefined : r.v * 2);

describe('runBackfill', () => {
  it('walks every lane, applies each change once, clears its checkpoint and reports counts', async () => {
    const rows = rowsOf(1_000);
    const store = memoryStore();
    const progress: number[] = [];
    const report = await runBackfill(memorySource(rows, 4), store, double, {
      name: 'double',
      batchSize: 50,
      onProgress: (p) => progress.push(p.scanned),
      progressEveryMs: 0,
    });
    expect(report).toMatchObject({
      completed: true,
      resumed: false,
      scanned: 1_000,
      changed: 1_000,
      skipped: 0,
      total: 1_000,
    });
    expect(rows.every((r) => r.applied === 1 && r.v === r.id * 2)).toBe(true);
    expect(store.saved.size).toBe(0);
    expect(progress.at(-1)).toBe(1_000);
  });

  it('stops at the signal with its checkpoint kept, and a second run resumes to exactly-once', async () => {
    const rows = rowsOf(2_000);
    const store = memoryStore();
    const controller = new AbortController();
    const source = memorySource(rows, 2);
    const first = await runBackfill(source, store, double, {
      name: 'resume',
      batchSize: 100,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.scanned >= 800) controller.abort();
      },
      progressEveryMs: 0,
    });
    expect(first.completed).toBe(false);
    expect(store.saved.has('resume')).toBe(true);
    const done = rows.filter((r) => r.done).length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(2_000);
    const second = await runBackfill(memorySource(rows, 2), store, double, {
      name: 'resume',
      batchSize: 100,
    });
    expect(second.resumed).toBe(true);
    expect(second.completed).toBe(true);
    expect(rows.every((r) => r.applied === 1)).toBe(true);
    expect(store.saved.size).toBe(0);
  });

  it('waits out throttling and repeats transient failures without failing the run', async () => {
    const rows = rowsOf(300);
    const throttle = new ThrottledError('slow down', { code: 'throttled' });
    const source = memorySource(rows, 1, {
      read: (n) => (n % 3 === 0 ? throttle : undefined),
      write: (n) => (n === 2 ? new TransientError('blip', { code: 'transient' }) : undefined),
    });
    const report = await runBackfill(source, memoryStore(), double, { name: 'faults', batchSize: 50 });
    expect(report.completed).toBe(true);
    expect(report.throttled).toBeGreaterThan(0);
    expect(rows.every((r) => r.applied === 1)).toBe(true);
  });

  it('stops on a non-repeatable error and keeps the checkpoint for the next run', async () => {
    const rows = rowsOf(300);
    const store = memoryStore();
    const bad = new ConflictError('nope', { code: 'conflict' });
    const err = await runBackfill(
      memorySource(rows, 1, { write: (n) => (n === 3 ? bad : undefined) }),
      store,
      double,
      {
        name: 'stops',
        batchSize: 50,
      },
    ).catch((e: unknown) => e);
    expect(err).toBe(bad);
    expect(store.saved.get('stops')?.lanes[0]?.position).toBe(99);
    const again = await runBackfill(memorySource(rows, 1), store, double, { name: 'stops', batchSize: 50 });
    expect(again).toMatchObject({ completed: true, resumed: true });
    expect(rows.every((r) => r.applied === 1)).toBe(true);
  });

  it('counts a conditional write that found the row changed as skipped, never overwriting it', async () => {
    const rows = rowsOf(10);
    const source = memorySource(rows, 1);
    const racing = {
      ...source,
      lanes: 1,
      engine: source.engine,
      target: source.target,
      read: source.read.bind(source),
      async write(changes: { item: Row; change: number }[]) {
        const row = rows[3];
        if (row) row.v = 999; // a concurrent application write between read and write
        return source.write(changes);
      },
    };
    const report = await runBackfill(racing, memoryStore(), double, { name: 'race' });
    expect(report).toMatchObject({ changed: 9, skipped: 1 });
    expect(rows[3]?.v).toBe(999);
  });

  it('changes nothing and saves no checkpoint in a dry run', async () => {
    const rows = rowsOf(120);
    const store = memoryStore();
    const report = await runBackfill(
      memorySource(rows, 1),
      store,
      (r) => (r.id % 2 === 0 ? r.v : undefined),
      {
        name: 'dry',
        dryRun: true,
        batchSize: 50,
      },
    );
    expect(report).toMatchObject({ dryRun: true, completed: true, changed: 60, skipped: 60, scanned: 120 });
    expect(rows.some((r) => r.applied > 0)).toBe(false);
    expect(store.saves).toBe(0);
  });

  it('refuses to run while another runner keeps its checkpoint fresh', async () => {
    const store = memoryStore();
    const other = (): BackfillCheckpoint => ({
      owner: 'other',
      lanes: [{ position: 5, done: false }],
      scanned: 5,
      changed: 5,
      skipped: 0,
      failed: 0,
      startedAt: new Date().toISOString(),
      savedAt: new Date().toISOString(),
    });
    await store.save('busy', other());
    const alive = setInterval(() => void store.save('busy', other()), 50);
    try {
      const err = await runBackfill(memorySource(rowsOf(10), 1), store, double, {
        name: 'busy',
        leaseMs: 300,
      }).catch((e: unknown) => e);
      expect(isDbkitError(err, 'backfill.running')).toBe(true);
    } finally {
      clearInterval(alive);
    }
  });

  it('takes over the checkpoint of a runner that stopped saving once its lease lapses', async () => {
    const store = memoryStore();
    const rows = rowsOf(10);
    await store.save('stale', {
      owner: 'killed',
      lanes: [{ position: 4, done: false }],
      scanned: 5,
      changed: 5,
      skipped: 0,
      failed: 0,
      startedAt: new Date().toISOString(),
      savedAt: new Date().toISOString(),
    });
    const report = await runBackfill(memorySource(rows, 1), store, double, { name: 'stale', leaseMs: 300 });
    expect(report).toMatchObject({ resumed: true, completed: true, scanned: 10 });
    expect(rows.filter((r) => r.done).map((r) => r.id)).toEqual([5, 6, 7, 8, 9]);
  });

  it('holds the target rate within 10%', async () => {
    const rows = rowsOf(1_000);
    const started = performance.now();
    const report = await runBackfill(memorySource(rows, 2), memoryStore(), double, {
      name: 'rate',
      batchSize: 50,
      itemsPerSecond: 2_000,
    });
    const seconds = (performance.now() - started) / 1_000;
    // 1,000 items at 2,000/s: the first page goes at once, the other 950 items take 0.475 s.
    expect(report.completed).toBe(true);
    expect(seconds).toBeGreaterThan(0.475 * 0.9);
    expect(seconds).toBeLessThan(0.5 * 1.1 + 0.1);
  });
});
