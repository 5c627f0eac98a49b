// The one backfill runner: pages through data in lanes, transforms, writes conditionally, checkpoints in the engine, throttles and reports.
import { randomUUID } from 'node:crypto';
import { DbkitError } from './errors.js';
import type { EngineName } from './errors.js';
import { backoffDelay, sleep } from './retry.js';

/**
 * Progress of a backfill, emitted while it runs and returned at the end (plus the report fields).
 *
 * @example
 * ```ts
 * onProgress: (p) => console.log(`${p.scanned}/${p.total ?? '?'} at ${p.ratePerSecond.toFixed(0)}/s`)
 * ```
 */
export interface BackfillProgress {
  name: string;
  /**
   * Items read and passed to `transform` in this run, plus what earlier runs it resumed had counted
   * at their last checkpoint (so after a kill, a resumed run's counts can fall short of the items done).
   */
  scanned: number;
  /** Items written (or that a dry run would write). */
  changed: number;
  /** Items `transform` left alone, or whose conditional write found them changed or done already. */
  skipped: number;
  /** Items whose write failed for a reason other than its condition. */
  failed: number;
  /** The engine's estimate of the items to scan, when it has one. */
  total: number | undefined;
  /** Items scanned per second in this run. */
  ratePerSecond: number;
  /** Estimated ms left, when `total` is known. */
  etaMs: number | undefined;
  elapsedMs: number;
}

/**
 * What a backfill did.
 *
 * @example
 * ```ts
 * const report = await backfill(...)
 * if (report.failed > 0) console.error(report.failures)
 * ```
 */
export interface BackfillReport extends BackfillProgress {
  /** True when every lane reached the end; false when stopped by `signal` (the checkpoint is kept). */
  completed: boolean;
  /** True when it continued from a checkpoint left by an earlier run. */
  resumed: boolean;
  dryRun: boolean;
  /** Times a throttled read or write was waited out and repeated. */
  throttled: number;
  /** The first 100 item failures, with their reasons. */
  failures: { key: string; reason: string }[];
}

/**
 * How a backfill runs; each engine's `backfill` takes these plus what it reads and writes.
 *
 * @example
 * ```ts
 * const options: BackfillRunOptions = { name: 'users-email-lower', batchSize: 200, itemsPerSecond: 500 }
 * ```
 */
export interface BackfillRunOptions {
  /** Names the checkpoint: a run with the same name resumes where the last one stopped. */
  name: string;
  /** Items read per page. Default 100. */
  batchSize?: number | undefined;
  /** Target rate of items scanned per second, over all lanes. Default unlimited. */
  itemsPerSecond?: number | undefined;
  /** Read and transform, count what would change, write nothing (no checkpoint either). */
  dryRun?: boolean | undefined;
  /** Ignore (and replace) an existing checkpoint. */
  restart?: boolean | undefined;
  /** Stops the run at the next page; the checkpoint is kept and a later run resumes. */
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: BackfillProgress) => void) | undefined;
  /**
   * Least ms between two checkpoint saves (each also renews the run's lease; at most a third of
   * `leaseMs`). A killed run redoes at most this much reading. Default 1 000.
   */
  checkpointEveryMs?: number | undefined;
  /** Least ms between two progress calls. Default 1 000. */
  progressEveryMs?: number | undefined;
  /**
   * How long a runner's claim on the checkpoint lasts after its last save (it saves after every page).
   * A run that finds the checkpoint claimed waits up to this long for a killed runner's claim to
   * lapse. Default 30 000.
   */
  leaseMs?: number | undefined;
}

/** @internal A checkpoint as stored by an engine (positions are JSON-safe). */
export interface BackfillCheckpoint {
  owner: string;
  lanes: { position: unknown; done: boolean }[];
  scanned: number;
  changed: number;
  skipped: number;
  failed: number;
  startedAt: string;
  savedAt: string;
}

/** @internal Where an engine keeps checkpoints: each change a conditional write on `owner`. */
export interface CheckpointStore {
  /**
   * Takes the checkpoint `name` for `owner`: returns the stored one (undefined if none) when it is
   * free, `owner`'s or older than `leaseMs`; throws `ConflictError` (`backfill.running`) otherwise.
   */
  claim(name: string, owner: string, leaseMs: number): Promise<BackfillCheckpoint | undefined>;
  /** Saves `checkpoint` if `checkpoint.owner` still holds it; throws `ConflictError` (`backfill.lost`) if not. */
  save(name: string, checkpoint: BackfillCheckpoint): Promise<void>;
  /** Deletes the checkpoint if `owner` holds it. */
  clear(name: string, owner: string): Promise<void>;
  /** Gives up `owner`'s lease and keeps the checkpoint, so the next run resumes at once. */
  release?(name: string, owner: string): Promise<void>;
}

/** @internal One page of a lane. */
export interface BackfillPage<Item> {
  items: Item[];
  /** Where the next page starts; undefined at the end of the lane. */
  next: unknown;
}

/** @internal What an engine's writer says of one batch of changes. */
export interface BackfillWriteResult {
  changed: number;
  /** Condition not met: the item changed meanwhile or was done already. */
  skipped: number;
  failures: { key: string; reason: string }[];
}

/** @internal What an engine gives the runner. */
export interface BackfillSource<Item, Change> {
  readonly engine: EngineName;
  readonly target: string;
  /** Independent lanes read in parallel (DynamoDB scan segments); 1 for an ordered walk. */
  readonly lanes: number;
  read(lane: number, after: unknown, limit: number): Promise<BackfillPage<Item>>;
  /**
   * Writes each change on condition that the item is as read (or still needs the work). A call
   * that throws a repeatable error is made again with the same `changes` array (same identity), so
   * a writer may remember per-item outcomes across the repeat.
   */
  write(changes: { item: Item; change: Change }[]): Promise<BackfillWriteResult>;
  /** How many items the walk covers, when known; see `estimates`. */
  estimate?(): Promise<number | undefined>;
  /**
   * What `estimate` counts: `all` the items of the walk (default), or only those `remaining`
   * (a filter on what still needs work), to which the runner adds what earlier runs scanned.
   */
  readonly estimates?: 'all' | 'remaining';
}

/** @internal Per-item work: a change to write, or undefined to leave the item alone. */
export type BackfillTransform<Item, Change> = (
  item: Item,
) => Change | undefined | Promise<Change | undefined>;

// Items per second over all lanes: each lane takes tokens before it reads a page.
class RateLimiter {
  private next = 0;
  constructor(private readonly perSecond: number | undefined) {}
  async take(count: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.perSecond === undefined || this.perSecond <= 0) return;
    const now = performance.now();
    const start = Math.max(now, this.next);
    this.next = start + (count * 1_000) / this.perSecond;
    const wait = start - now;
    if (wait > 0) await sleep(wait, signal);
  }
}

const MAX_FAILURES = 100;
const MAX_ATTEMPTS = 8;

function isThrottle(err: unknown): boolean {
  return err instanceof DbkitError && err.kind === 'throttled';
}

// A failed read can be repeated; so can a conditional write (its condition makes it apply at most once).
function isRepeatable(err: unknown): boolean {
  return (
    err instanceof DbkitError &&
    (err.retryable || err.kind === 'outcome_unknown' || err.kind === 'timeout') &&
    !(err.code === 'timeout.aborted')
  );
}

/**
 * @internal Runs a backfill: each lane reads pages after its checkpointed position, transforms each
 * item, writes the changes conditionally, then saves the checkpoint. Throttling is waited out and
 * never fails the run; a transient failure repeats the step; any other error stops the run with the
 * checkpoint kept, so the next run resumes. A run killed at any point resumes from the last saved
 * page: pages after it are read again, and their conditional writes skip what was done.
 */
export async function runBackfill<Item, Change>(
  source: BackfillSource<Item, Change>,
  store: CheckpointStore,
  transform: BackfillTransform<Item, Change>,
  options: BackfillRunOptions,
): Promise<BackfillReport> {
  const batchSize = options.batchSize ?? 100;
  const dryRun = options.dryRun === true;
  const owner = randomUUID();
  const leaseMs = options.leaseMs ?? 30_000;
  const signal = options.signal;
  const limiter = new RateLimiter(options.itemsPerSecond);

  let throttled = 0;
  // Repeats a step through throttling and transient failures, with backoff.
  const attempt = async <T>(step: () => Promise<T>): Promise<T> => {
    for (let n = 1; ; n++) {
      try {
        return await step();
      } catch (err) {
        const throttle = isThrottle(err);
        if (!throttle && (!isRepeatable(err) || n >= MAX_ATTEMPTS)) throw err;
        if (throttle) throttled++;
        await sleep(
          backoffDelay(Math.min(n, 8), { baseDelayMs: 100, maxDelayMs: 5_000 }, Math.random, err),
          signal,
        );
      }
    }
  };

  let checkpoint: BackfillCheckpoint | undefined;
  if (!dryRun) {
    checkpoint = await attempt(() => claim(store, options.name, owner, leaseMs, signal));
    if (options.restart === true) checkpoint = undefined;
  }
  const resumed = checkpoint !== undefined;
  const lanes =
    checkpoint?.lanes.length === source.lanes
      ? checkpoint.lanes.map((l) => ({ ...l }))
      : Array.from({ length: source.lanes }, () => ({ position: undefined, done: false }));
  const counts = {
    scanned: checkpoint?.scanned ?? 0,
    changed: checkpoint?.changed ?? 0,
    skipped: checkpoint?.skipped ?? 0,
    failed: checkpoint?.failed ?? 0,
  };
  const scannedAtStart = counts.scanned;
  const startedAt = checkpoint?.startedAt ?? new Date().toISOString();
  const failures: { key: string; reason: string }[] = [];
  const estimate = await source.estimate?.().catch(() => undefined);
  const total =
    estimate === undefined || source.estimates !== 'remaining' ? estimate : estimate + scannedAtStart;
  const started = performance.now();

  const progress = (): BackfillProgress => {
    const elapsedMs = performance.now() - started;
    const ratePerSecond = elapsedMs > 0 ? ((counts.scanned - scannedAtStart) * 1_000) / elapsedMs : 0;
    const left = total === undefined ? undefined : Math.max(0, total - counts.scanned);
    return {
      name: options.name,
      ...counts,
      total,
      ratePerSecond,
      etaMs: left === undefined || ratePerSecond === 0 ? undefined : (left * 1_000) / ratePerSecond,
      elapsedMs,
    };
  };
  let lastProgress = 0;
  const report = (force = false): void => {
    if (options.onProgress === undefined) return;
    const now = performance.now();
    if (!force && now - lastProgress < (options.progressEveryMs ?? 1_000)) return;
    lastProgress = now;
    options.onProgress(progress());
  };

  // Saves are serialised; a save requested while one runs is folded into the next. Pages save at
  // most every `checkpointEveryMs` (and a third of the lease, which each save renews); the pages a
  // killed run did after its last save are read again, and their conditional writes skip.
  let saving: Promise<void> = Promise.resolve();
  let dirty = false;
  let lastSave = -Infinity;
  const saveEveryMs = Math.min(options.checkpointEveryMs ?? 1_000, leaseMs / 3);
  const save = (): Promise<void> => {
    if (dryRun) return Promise.resolve();
    lastSave = performance.now();
    dirty = true;
    saving = saving.then(async () => {
      if (!dirty) return;
      dirty = false;
      const state: BackfillCheckpoint = {
        owner,
        lanes: lanes.map((l) => ({ ...l })),
        ...counts,
        startedAt,
        savedAt: new Date().toISOString(),
      };
      await attempt(() => store.save(options.name, state));
    });
    return saving;
  };

  // A lane reads its next page while it writes the current one: the engine's read latency hides
  // behind the writes. The position only moves once a page's writes are done.
  // A function: the signal may abort while a lane awaits.
  const stopped = (): boolean => signal?.aborted === true;
  const readAfter = async (index: number, position: unknown): Promise<BackfillPage<Item>> => {
    await limiter.take(batchSize, signal);
    return attempt(() => source.read(index, position, batchSize));
  };
  const runLane = async (index: number): Promise<void> => {
    const lane = lanes[index];
    if (lane === undefined || lane.done || stopped()) return;
    let pending = readAfter(index, lane.position);
    for (;;) {
      const page = await pending;
      const ahead = page.next === undefined || stopped() ? undefined : readAfter(index, page.next);
      // Settled later, or never when the lane stops first: never an unhandled rejection.
      ahead?.catch(noop);
      const changes: { item: Item; change: Change }[] = [];
      for (const item of page.items) {
        // A synchronous transform is not awaited: an await per item is a measurable share of a page.
        const result = transform(item);
        const change = isPromiseLike(result) ? await result : result;
        if (change === undefined) counts.skipped++;
        else changes.push({ item, change });
      }
      counts.scanned += page.items.length;
      if (changes.length > 0) {
        if (dryRun) counts.changed += changes.length;
        else {
          const written = await attempt(() => source.write(changes));
          counts.changed += written.changed;
          counts.skipped += written.skipped;
          counts.failed += written.failures.length;
          for (const f of written.failures) if (failures.length < MAX_FAILURES) failures.push(f);
        }
      }
      lane.position = page.next;
      lane.done = page.next === undefined;
      if (performance.now() - lastSave >= saveEveryMs) await save();
      report();
      if (ahead === undefined || stopped()) return;
      pending = ahead;
    }
  };

  const results = await Promise.allSettled(lanes.map((_, i) => runLane(i)));
  await saving.catch(() => undefined);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const completed = lanes.every((l) => l.done);
  if (!completed && !dryRun) {
    // Stopped: keep every finished page, then let the next run claim the checkpoint at once.
    await save().catch(() => undefined);
    await store.release?.(options.name, owner).catch(() => undefined);
  }
  if (failure !== undefined && !(signal?.aborted === true && !completed && isAbort(failure.reason))) {
    throw failure.reason;
  }
  if (completed && !dryRun) await attempt(() => store.clear(options.name, owner));
  report(true);
  return { ...progress(), completed, resumed, dryRun, throttled, failures };
}

// A checkpoint held by a runner that stopped saving (killed) becomes free when its lease runs out:
// wait that long; a runner that keeps saving keeps it, and the claim fails with `backfill.running`.
async function claim(
  store: CheckpointStore,
  name: string,
  owner: string,
  leaseMs: number,
  signal: AbortSignal | undefined,
): Promise<BackfillCheckpoint | undefined> {
  const deadline = performance.now() + leaseMs + 1_000;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
    try {
      return await store.claim(name, owner, leaseMs);
    } catch (err) {
      const busy = err instanceof DbkitError && err.code === 'backfill.running';
      if (!busy || performance.now() + wait > deadline) throw err;
      await sleep(wait, signal);
    }
  }
}

function noop(): void {
  // nothing to do
}

function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

function isAbort(err: unknown): boolean {
  return (
    (err instanceof DbkitError && err.code === 'timeout.aborted') ||
    (err instanceof Error && err.name === 'AbortError')
  );
}
