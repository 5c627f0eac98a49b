// BatchGetItem in chunks of 100 with bounded concurrency; unprocessed keys retried with core backoff; results in the caller's order.
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchGetCommandInput } from '@aws-sdk/lib-dynamodb';
import { backoffDelay, DbkitError, defaultRetryPolicy, sleep } from '../core/index.js';
import { chunk, keyId, mapConcurrent, pick } from './batching.js';
import type { BatchOptions } from './batch-write.js';
import type { AnyEntity, EntityTypes } from './entity.js';
import { UnprocessedItemsError } from './errors.js';
import type { UnprocessedEntry } from './errors.js';
import { dynamoLimits } from './limits.js';
import { run, spec, withCapacity } from './runtime.js';
import type { Runtime } from './runtime.js';

/** One key to read in a batch, with the entity that parses it. */
export interface BatchGetRequest {
  readonly entity: AnyEntity;
  readonly table: string;
  readonly key: Record<string, unknown>;
}

/**
 * A batch-get request for one entity key.
 *
 * @example
 * ```ts
 * const [user, post] = await db.batchGet([batchGetKey(User, { id: '1' }), batchGetKey(Post, { userId: '1', postId: '9' })])
 * ```
 */
export function batchGetKey<T extends EntityTypes>(
  entity: { '~types': T } & AnyEntity,
  key: T['key'],
): BatchGetRequest {
  return { entity, table: entity.table.name, key: entity.key(key) };
}

function tableKeyNames(entity: AnyEntity): string[] {
  const t = entity.table;
  return t.sortKey === undefined ? [t.partitionKey] : [t.partitionKey, t.sortKey];
}

/**
 * BatchGetItem params in chunks of 100 distinct keys.
 *
 * @example
 * ```ts
 * batchGetParams(requests, { consistent: true })
 * ```
 */
export function batchGetParams(
  requests: readonly BatchGetRequest[],
  options: { consistent?: boolean } = {},
): BatchGetCommandInput[] {
  const distinct = new Map<string, BatchGetRequest>();
  for (const r of requests) distinct.set(keyId(r.table, r.key), r);
  return chunk([...distinct.values()], dynamoLimits.batchGetKeys).map((group) =>
    toParams(group, options.consistent === true),
  );
}

function toParams(group: readonly BatchGetRequest[], consistent: boolean): BatchGetCommandInput {
  const RequestItems: NonNullable<BatchGetCommandInput['RequestItems']> = {};
  for (const r of group) {
    const entry = (RequestItems[r.table] ??= consistent ? { Keys: [], ConsistentRead: true } : { Keys: [] });
    entry.Keys?.push(r.key);
  }
  return { RequestItems };
}

/**
 * Reads keys in chunks of 100 (duplicates read once), retrying UnprocessedKeys with the core's
 * backoff. Returns one entry per request, in order: the parsed item, or `null` when absent. If keys
 * are still unprocessed after the retries, fails with an UnprocessedItemsError listing them.
 *
 * @example
 * ```ts
 * const users = await batchGet(runtime, ids.map((id) => batchGetKey(User, { id })))
 * ```
 */
export async function batchGet(
  runtime: Runtime,
  requests: readonly BatchGetRequest[],
  options: BatchOptions & { consistent?: boolean } = {},
): Promise<(Record<string, unknown> | null)[]> {
  const policy = options.retry ?? runtime.retry;
  const maxAttempts =
    policy === false ? 1 : Math.max(1, policy.maxAttempts ?? defaultRetryPolicy.maxAttempts);
  const distinct = new Map<string, BatchGetRequest>();
  for (const r of requests) distinct.set(keyId(r.table, r.key), r);
  const found = new Map<string, Record<string, unknown>>();
  const leftovers: UnprocessedEntry[] = [];
  let firstError: unknown;
  const target = [...new Set(requests.map((r) => r.table))].join(',');
  const entityByTable = new Map(requests.map((r) => [r.table, r.entity]));
  await mapConcurrent(
    chunk([...distinct.values()], dynamoLimits.batchGetKeys),
    options.concurrency ?? runtime.batchConcurrency,
    async (group) => {
      let pending = group;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const params = withCapacity(runtime, toParams(pending, options.consistent === true));
        let out;
        try {
          out = await run(
            runtime,
            spec('batchGet', target, 'read', true),
            (signal) =>
              runtime.document.send(
                new BatchGetCommand(params),
                signal === undefined ? {} : { abortSignal: signal },
              ),
            options,
          );
        } catch (err) {
          if (!(err instanceof DbkitError) || err.kind !== 'throttled') throw err;
          firstError ??= err;
          for (const r of pending)
            leftovers.push({ table: r.table, entity: r.entity.name, key: r.key, action: 'get' });
          return;
        }
        for (const [table, items] of Object.entries(out.Responses ?? {})) {
          const entity = entityByTable.get(table);
          if (entity === undefined) continue;
          for (const item of items) found.set(keyId(table, pick(item, tableKeyNames(entity))), item);
        }
        const unprocessed = new Set<string>();
        for (const [table, entry] of Object.entries(out.UnprocessedKeys ?? {})) {
          for (const key of entry.Keys ?? []) unprocessed.add(keyId(table, key));
        }
        const remaining = pending.filter((r) => unprocessed.has(keyId(r.table, r.key)));
        if (remaining.length === 0) return;
        if (attempt >= maxAttempts) {
          for (const r of remaining)
            leftovers.push({ table: r.table, entity: r.entity.name, key: r.key, action: 'get' });
          return;
        }
        await sleep(backoffDelay(attempt, policy === false ? {} : policy), options.signal);
        pending = remaining;
      }
    },
  );
  if (leftovers.length > 0) {
    throw new UnprocessedItemsError(
      `${leftovers.length} of ${distinct.size} batch reads were still unprocessed after ${maxAttempts} attempts`,
      {
        engine: 'dynamodb',
        operation: 'batchGet',
        target,
        unprocessed: leftovers,
        ...(firstError === undefined ? {} : { cause: firstError }),
      },
    );
  }
  const parsed = new Map<string, Record<string, unknown> | null>();
  return requests.map((r) => {
    const id = keyId(r.table, r.key);
    let value = parsed.get(id);
    if (value === undefined) {
      const raw = found.get(id);
      value = raw === undefined || !r.entity.owns(raw) ? null : r.entity.parse(raw, 'batchGet');
      parsed.set(id, value);
    }
    return value;
  });
}
