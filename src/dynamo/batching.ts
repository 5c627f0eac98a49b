// Helpers shared by batch operations: chunking, a stable identity for keys, and the one loop that sends chunks (each a declared operation) and sorts every item into done / unprocessed / unknown.
import { backoffDelay, DbkitError, defaultRetryPolicy, sleep } from '../core/internal.js';
import type { CallOptions, Operation, RetryPolicy } from '../core/internal.js';
import { runDynamo } from './operations.js';
import type { Runtime } from './runtime.js';

/**
 * Options of batch operations.
 *
 * @example
 * ```ts
 * await db.batchWrite(writes, { concurrency: 2, timeoutMs: 30_000 })
 * ```
 */
export interface BatchOptions extends CallOptions {
  /** Parallel requests. Default: the client's `batchConcurrency` (4). */
  concurrency?: number | undefined;
}

/**
 * Splits a list into chunks of at most `size`.
 *
 * @example
 * ```ts
 * chunk([1, 2, 3], 2) // [[1, 2], [3]]
 * ```
 */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * A stable identity for a key within a table: attribute names sorted, values as JSON.
 *
 * @example
 * ```ts
 * keyId('app', { sk: 'PROFILE', pk: 'USER#1' }) === keyId('app', { pk: 'USER#1', sk: 'PROFILE' }) // true
 * ```
 */
export function keyId(table: string, key: Readonly<Record<string, unknown>>): string {
  const names = Object.keys(key).sort();
  let out = table;
  for (const name of names) out += `\u0000${name}\u0000${JSON.stringify(key[name])}`;
  return out;
}

/** Picks the named attributes of an item (its key). */
export function pick(
  item: Readonly<Record<string, unknown>>,
  names: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) out[name] = item[name];
  return out;
}

/** Where every item of a batch ended: each is in exactly one list. */
export interface ChunkOutcome<R> {
  /** Confirmed by DynamoDB. */
  done: R[];
  /** Never sent, or returned unprocessed: not applied. */
  unprocessed: R[];
  /** Sent, answer lost: may or may not be applied. */
  unknown: R[];
  /** Resends of items DynamoDB returned unprocessed. */
  retries: number;
  /** The first failure that stopped a chunk; later chunks were not started. */
  firstError: DbkitError | undefined;
}

/** How {@link processChunks} paces resends of unprocessed items. */
export interface ChunkOptions {
  concurrency: number;
  retry: RetryPolicy | false;
  /** Ends the waits between resends (the call's deadline or the caller's signal). */
  signal?: AbortSignal | undefined;
}

/**
 * Sends chunks with bounded concurrency. `send` sends some items once (through the executor, which
 * retries what is safe) and returns those DynamoDB left unprocessed; they are resent with backoff up
 * to the policy's attempts. When a chunk fails, no new chunk starts: the chunks never started are
 * reported unprocessed, and the failed chunk's items unprocessed when the failure says DynamoDB did
 * nothing (`notApplied`), else unknown. Never throws: the outcome says where every item ended.
 *
 * @example
 * ```ts
 * const outcome = await processChunks(chunk(requests, 25), { concurrency: 4, retry: {} }, (pending) => sendBatch(pending))
 * ```
 */
export async function processChunks<R>(
  chunks: readonly (readonly R[])[],
  options: ChunkOptions,
  send: (pending: readonly R[]) => Promise<readonly R[]>,
): Promise<ChunkOutcome<R>> {
  const policy = options.retry;
  const maxAttempts =
    policy === false ? 1 : Math.max(1, policy.maxAttempts ?? defaultRetryPolicy.maxAttempts);
  const outcome: ChunkOutcome<R> = {
    done: [],
    unprocessed: [],
    unknown: [],
    retries: 0,
    firstError: undefined,
  };
  let next = 0;
  const runChunk = async (group: readonly R[]): Promise<void> => {
    let pending = group;
    for (let attempt = 1; ; attempt++) {
      let remaining: readonly R[];
      try {
        remaining = await send(pending);
      } catch (err) {
        const error = err instanceof DbkitError ? err : undefined;
        outcome.firstError ??= error ?? new DbkitError('internal', String(err), { cause: err });
        (error?.notApplied === true ? outcome.unprocessed : outcome.unknown).push(...pending);
        return;
      }
      const left = new Set(remaining);
      for (const r of pending) if (!left.has(r)) outcome.done.push(r);
      if (remaining.length === 0) return;
      if (attempt >= maxAttempts || options.signal?.aborted === true) {
        outcome.unprocessed.push(...remaining);
        return;
      }
      outcome.retries += 1;
      try {
        await sleep(backoffDelay(attempt, policy === false ? {} : policy), options.signal);
      } catch (err) {
        // the deadline passed while waiting: nothing of `remaining` was sent again
        outcome.firstError ??= err instanceof DbkitError ? err : undefined;
        outcome.unprocessed.push(...remaining);
        return;
      }
      pending = remaining;
    }
  };
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      if (outcome.firstError !== undefined) {
        // stop starting chunks after a failure: report the rest as never sent
        for (; next < chunks.length; next++) outcome.unprocessed.push(...(chunks[next] ?? []));
        return;
      }
      const group = chunks[next++] ?? [];
      await runChunk(group);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency, chunks.length)) }, worker),
  );
  return outcome;
}

/**
 * An AbortSignal that fires when the whole batch call is out of time (`timeoutMs`) or the caller
 * aborts, so chunks sent one after another share one deadline.
 *
 * @example
 * ```ts
 * const signal = callDeadline(options.signal, 10_000)
 * ```
 */
export function callDeadline(
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): AbortSignal | undefined {
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  if (timeout === undefined) return signal;
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

/** How {@link runBatch} sends one chunk and reads what DynamoDB left of it. */
export interface BatchSend<R, O> {
  /** Sends the chunk's request once (one attempt of the executor). */
  send: (pending: readonly R[], signal: AbortSignal | undefined) => Promise<O>;
  /** The items of `pending` DynamoDB returned unprocessed. */
  unprocessed: (out: O, pending: readonly R[]) => readonly R[];
  /** The number of items a chunk's answer holds, for events. */
  count?: (out: O, pending: readonly R[]) => number | undefined;
}

/**
 * Runs a batch operation: every chunk is `operation` run through {@link runDynamo} (which retries
 * what is safe), all under one deadline (the call's `timeoutMs`, default the client's), and the items
 * DynamoDB leaves unprocessed go round {@link processChunks}' loop. Never throws for a chunk: the
 * outcome says where every item ended.
 *
 * @example
 * ```ts
 * const outcome = await runBatch(runtime, dynamoOperations.batchWrite, 'app', chunks, options, { send, unprocessed })
 * ```
 */
export function runBatch<R, O>(
  runtime: Runtime,
  operation: Operation,
  target: string,
  chunks: readonly (readonly R[])[],
  options: BatchOptions,
  how: BatchSend<R, O>,
): Promise<ChunkOutcome<R>> {
  const signal = callDeadline(options.signal, options.timeoutMs ?? runtime.timeoutMs);
  const callOptions = signal === undefined ? options : { ...options, signal };
  const count = how.count;
  return processChunks(
    chunks,
    {
      concurrency: options.concurrency ?? runtime.batchConcurrency,
      retry: options.retry ?? runtime.retry,
      signal,
    },
    async (pending) => {
      const out = await runDynamo(
        runtime,
        operation,
        target,
        (attemptSignal) => how.send(pending, attemptSignal),
        callOptions,
        count === undefined ? {} : { count: (o) => count(o, pending) },
      );
      return how.unprocessed(out, pending);
    },
  );
}
