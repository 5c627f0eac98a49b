// Development-time N+1 detection: the same query shape repeated within one request (or time window) is reported once.
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../core/internal.js';
import type { Logger } from '../core/internal.js';

/**
 * One detected N+1 pattern, as given to `onReport`.
 *
 * @example
 * ```ts
 * dbkitExtension({ nPlusOne: { onDetect: (report: NPlusOneReport) => log.warn(report, report.hint) } })
 * ```
 */
export interface NPlusOneReport {
  model: string;
  operation: string;
  /** The query's shape: its arguments with every value replaced by `?`. */
  shape: string;
  /** How many times the shape ran when it was reported (threshold + 1). */
  count: number;
  /** The first stack frame in the caller's code (`file:line:column`), when found. */
  location: string | undefined;
  hint: string;
}

/**
 * Options of N+1 detection (the extension's `nPlusOne`, or {@link createNPlusOneDetector}).
 *
 * @example
 * ```ts
 * dbkitExtension({ nPlusOne: { threshold: 10, logger } })
 * ```
 */
export interface NPlusOneOptions {
  /** Report when one shape runs more than this many times in a request or window. Default 5. */
  threshold?: number;
  /** Outside {@link NPlusOneDetector.scope}, counts are kept per window of this many ms. Default 1000. */
  windowMs?: number;
  /** Receives a `warn` per report. Default: silent (use `onDetect` or a logger). */
  logger?: Logger;
  /** Called once per report, e.g. to fail a test. */
  onDetect?: (report: NPlusOneReport) => void;
}

/**
 * Counts query shapes and reports repeats; {@link createNPlusOneDetector} builds one.
 *
 * @example
 * ```ts
 * const detector: NPlusOneDetector = createNPlusOneDetector({ logger })
 * app.use((req, res, next) => detector.scope(next))
 * ```
 */
export interface NPlusOneDetector {
  /**
   * Records one model operation (the dbkit extension calls it for every model read). `stack` gives
   * the stack captured where the caller made the query, when known.
   */
  record(model: string, operation: string, args: unknown, stack?: () => string | undefined): void;
  /** Runs `fn` as one request: counts start at zero and end with it. */
  scope<T>(fn: () => T): T;
}

interface Counts {
  counts: Map<string, number>;
  reported: Set<string>;
}

const ownDir = fileURLToPath(new URL('.', import.meta.url));
const MAX_REMEMBERED = 1000;

/**
 * The shape of a query's arguments: keys kept, values replaced by `?` (lists by `[?]`), so
 * `{ where: { id: 'a' } }` and `{ where: { id: 'b' } }` have the same shape.
 *
 * @example
 * ```ts
 * queryShape({ where: { id: 1 }, include: { posts: true } }) // '{where:{id:?},include:{posts:?}}'
 * ```
 */
export function queryShape(value: unknown, depth = 0): string {
  if (depth > 8) return '…';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${queryShape(value[0], depth + 1)}]`;
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}:${queryShape(v, depth + 1)}`);
    return `{${parts.join(',')}}`;
  }
  return '?';
}

/** The first frame outside dbkit, Prisma and Node's internals: where the caller's loop is. */
function callerLocation(stack: string | undefined): string | undefined {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const frame = /(?:\(|at )((?:file:\/\/)?\/[^()]+:\d+:\d+)\)?$/.exec(line.trim())?.[1];
    if (frame === undefined) continue;
    const file = frame.startsWith('file://') ? fileURLToPath(frame.replace(/:\d+:\d+$/, '')) : frame;
    if (file.startsWith(ownDir) || file.includes('/node_modules/') || file.startsWith('node:')) continue;
    return frame.startsWith('file://') ? `${file}${/:\d+:\d+$/.exec(frame)?.[0] ?? ''}` : frame;
  }
  return undefined;
}

/**
 * Creates an N+1 detector. Wrap each request in `scope()` for exact per-request counts; without a
 * scope, counts are kept per `windowMs` window. Each shape is reported once per request (and, outside
 * scopes, once per caller location).
 *
 * @example
 * ```ts
 * const detector = createNPlusOneDetector({ threshold: 5, logger })
 * app.addHook('onRequest', (req, reply, done) => detector.scope(done))
 * ```
 */
export function createNPlusOneDetector(options: NPlusOneOptions = {}): NPlusOneDetector {
  const threshold = options.threshold ?? 5;
  const windowMs = options.windowMs ?? 1000;
  const logger = options.logger ?? silentLogger;
  const storage = new AsyncLocalStorage<Counts>();
  let window: Counts & { startedAt: number } = { counts: new Map(), reported: new Set(), startedAt: 0 };
  const reportedLocations = new Set<string>();

  const current = (): Counts => {
    const scoped = storage.getStore();
    if (scoped !== undefined) return scoped;
    const now = Date.now();
    if (now - window.startedAt > windowMs)
      window = { counts: new Map(), reported: new Set(), startedAt: now };
    return window;
  };

  return {
    record(model, operation, args, stack) {
      const state = current();
      const key = `${model}.${operation}${queryShape(args)}`;
      const count = (state.counts.get(key) ?? 0) + 1;
      state.counts.set(key, count);
      if (count <= threshold || state.reported.has(key)) return;
      state.reported.add(key);
      const location = callerLocation(stack?.() ?? new Error('n+1').stack);
      if (storage.getStore() === undefined) {
        const seen = `${key}@${location ?? ''}`;
        if (reportedLocations.has(seen)) return;
        if (reportedLocations.size >= MAX_REMEMBERED) reportedLocations.clear();
        reportedLocations.add(seen);
      }
      const report: NPlusOneReport = {
        model,
        operation,
        shape: key.slice(model.length + operation.length + 1),
        count,
        location,
        hint: `${model}.${operation} ran ${count} times with the same shape in one request: load the rows in one query, with \`include\` on the parent query or \`where: { <key>: { in: [...] } }\``,
      };
      logger.warn({ ...report }, 'dbkit: N+1 query pattern');
      options.onDetect?.(report);
    },
    scope(fn) {
      return storage.run({ counts: new Map(), reported: new Set() }, fn);
    },
  };
}
