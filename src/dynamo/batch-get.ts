// BatchGetItem in chunks of 100 with bounded concurrency under one deadline; unprocessed keys resent with core backoff; results in the caller's order.
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchGetCommandInput } from '@aws-sdk/lib-dynamodb';
import { chunk, keyId, pick, runBatch } from './batching.js';
import type { BatchOptions } from './batching.js';
import type { AnyEntity, EntityTypes } from './entity.js';
import { UnprocessedItemsError } from './batch-errors.js';
import type { UnprocessedEntry } from './batch-errors.js';
import { dynamoLimits } from './limits.js';
import { dynamoOperations } from './operations.js';
import { withCapacity } from './runtime.js';
import type { Runtime } from './runtime.js';

/**
 * One key to read in a batch, with the entity that parses it.
 *
 * @example
 * ```ts
 * const requests: BatchGetRequest[] = ids.map((id) => batchGetKey(User, { id }))
 * ```
 */
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
  options: { consistent?: boolean | undefined } = {},
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

function entry(r: BatchGetRequest): UnprocessedEntry {
  return { table: r.table, entity: r.entity.name, key: r.key, action: 'get' };
}

/**
 * Reads keys in chunks of 100 (duplicates read once) under one deadline, resending UnprocessedKeys
 * with the core's backoff. Returns one entry per request, in order: the parsed item, or `null` when
 * absent. If keys are left unread (still unprocessed after the retries, or a chunk failed, after
 * which no new chunk starts), fails with an {@link UnprocessedItemsError}: `read` lists the keys read,
 * `unprocessed` the others (a read is always safe to send again; `unknown` stays empty).
 *
 * @example
 * ```ts
 * const users = await batchGet(runtime, ids.map((id) => batchGetKey(User, { id })))
 * ```
 */
export async function batchGet(
  runtime: Runtime,
  requests: readonly BatchGetRequest[],
  options: BatchOptions & { consistent?: boolean | undefined } = {},
): Promise<(Record<string, unknown> | null)[]> {
  const distinct = new Map<string, BatchGetRequest>();
  for (const r of requests) distinct.set(keyId(r.table, r.key), r);
  const found = new Map<string, Record<string, unknown>>();
  const target = [...new Set(requests.map((r) => r.table))].join(',');
  const entityByTable = new Map(requests.map((r) => [r.table, r.entity]));
  const outcome = await runBatch(
    runtime,
    dynamoOperations.batchGet,
    target,
    chunk([...distinct.values()], dynamoLimits.batchGetKeys),
    options,
    {
      send: (pending, signal) =>
        runtime.document.send(
          new BatchGetCommand(withCapacity(runtime, toParams(pending, options.consistent === true))),
          signal === undefined ? {} : { abortSignal: signal },
        ),
      unprocessed: (out, pending) => {
        for (const [table, items] of Object.entries(out.Responses ?? {})) {
          const entity = entityByTable.get(table);
          if (entity === undefined) continue;
          for (const item of items) found.set(keyId(table, pick(item, tableKeyNames(entity))), item);
        }
        const unprocessed = new Set<string>();
        for (const [table, keys] of Object.entries(out.UnprocessedKeys ?? {})) {
          for (const key of keys.Keys ?? []) unprocessed.add(keyId(table, key));
        }
        return unprocessed.size === 0 ? [] : pending.filter((r) => unprocessed.has(keyId(r.table, r.key)));
      },
    },
  );
  const left = [...outcome.unprocessed, ...outcome.unknown];
  if (left.length > 0) {
    const why =
      outcome.firstError === undefined
        ? 'were still unprocessed after the retries'
        : `were not read after a ${outcome.firstError.kind} failure`;
    throw new UnprocessedItemsError(`${left.length} of ${distinct.size} batch reads ${why}`, {
      engine: 'dynamodb',
      operation: 'batchGet',
      target,
      read: outcome.done.map(entry),
      unprocessed: left.map(entry),
      ...(outcome.firstError === undefined ? {} : { cause: outcome.firstError }),
    });
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
