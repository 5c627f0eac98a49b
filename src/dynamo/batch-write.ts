// BatchWriteItem in chunks of 25 with bounded concurrency under one deadline; unprocessed items resent with core backoff, and whatever is left reported item by item.
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../core/internal.js';
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
 * One write in a batch: built by `batchPut` / `batchDelete`, so it knows its entity and key.
 *
 * @example
 * ```ts
 * const writes: BatchWriteRequest[] = [batchPut(User, ada), batchDelete(Post, { userId: '1', postId: '9' })]
 * ```
 */
export interface BatchWriteRequest {
  readonly action: 'put' | 'delete';
  readonly entity: AnyEntity;
  readonly table: string;
  /** The primary key of the item written or deleted. */
  readonly key: Record<string, unknown>;
  /** The full stored item for a put. */
  readonly item?: Record<string, unknown>;
  /** Identity of the item (table and key), computed once. */
  readonly id: string;
}

function tableKeyNames(entity: AnyEntity): string[] {
  const t = entity.table;
  return t.sortKey === undefined ? [t.partitionKey] : [t.partitionKey, t.sortKey];
}

/**
 * A batch put of one entity item (validated and keyed now, sent later).
 *
 * @example
 * ```ts
 * await db.batchWrite([batchPut(User, { id: '1', email: 'a@b.c', name: 'Ada' }), batchDelete(Post, { userId: '1', postId: '9' })])
 * ```
 */
export function batchPut<T extends EntityTypes>(
  entity: { '~types': T } & AnyEntity,
  input: T['input'],
): BatchWriteRequest {
  const item = entity.toItem(input, { operation: 'batchWrite' });
  const key = pick(item, tableKeyNames(entity));
  return { action: 'put', entity, table: entity.table.name, key, item, id: keyId(entity.table.name, key) };
}

/**
 * A batch delete of one entity item by key.
 *
 * @example
 * ```ts
 * batchDelete(User, { id: '1' })
 * ```
 */
export function batchDelete<T extends EntityTypes>(
  entity: { '~types': T } & AnyEntity,
  key: T['key'],
): BatchWriteRequest {
  const stored = entity.key(key);
  return {
    action: 'delete',
    entity,
    table: entity.table.name,
    key: stored,
    id: keyId(entity.table.name, stored),
  };
}

/**
 * The BatchWriteItem params for requests, in chunks of 25. Throws a ValidationError when the same
 * item appears twice (DynamoDB would reject the batch).
 *
 * @example
 * ```ts
 * batchWriteParams(requests).length // Math.ceil(requests.length / 25)
 * ```
 */
export function batchWriteParams(requests: readonly BatchWriteRequest[]): BatchWriteCommandInput[] {
  checkDuplicates(requests);
  return chunk(requests, dynamoLimits.batchWriteItems).map(toParams);
}

function checkDuplicates(requests: readonly BatchWriteRequest[]): void {
  const seen = new Set<string>();
  for (const [index, r] of requests.entries()) {
    const id = r.id;
    if (seen.has(id)) {
      throw new ValidationError(
        [
          {
            path: [index],
            message: `the same ${r.entity.name} item appears twice in one batch`,
            code: 'batch.duplicateKey',
          },
        ],
        {
          engine: 'dynamodb',
          code: 'batch.duplicateKey',
        },
      );
    }
    seen.add(id);
  }
}

function toParams(requests: readonly BatchWriteRequest[]): BatchWriteCommandInput {
  const RequestItems: NonNullable<BatchWriteCommandInput['RequestItems']> = {};
  for (const r of requests) {
    const list = (RequestItems[r.table] ??= []);
    list.push(r.action === 'put' ? { PutRequest: { Item: r.item } } : { DeleteRequest: { Key: r.key } });
  }
  return { RequestItems };
}

function unprocessedIds(
  out: {
    UnprocessedItems?:
      | Record<
          string,
          {
            PutRequest?: { Item?: Record<string, unknown> | undefined } | undefined;
            DeleteRequest?: { Key?: Record<string, unknown> | undefined } | undefined;
          }[]
        >
      | undefined;
  },
  pending: readonly BatchWriteRequest[],
): Set<string> {
  const ids = new Set<string>();
  for (const [table, writes] of Object.entries(out.UnprocessedItems ?? {})) {
    for (const w of writes) {
      const source = w.PutRequest?.Item ?? w.DeleteRequest?.Key;
      if (source === undefined) continue;
      const anyRequest = pending.find((r) => r.table === table);
      if (anyRequest === undefined) continue;
      ids.add(keyId(table, pick(source, tableKeyNames(anyRequest.entity))));
    }
  }
  return ids;
}

export type { BatchOptions } from './batching.js';

/**
 * What a batch write did.
 *
 * @example
 * ```ts
 * const { written, retries }: BatchWriteResult = await db.batchWrite(writes)
 * ```
 */
export interface BatchWriteResult {
  /** Requests written (all of them, when the call returns). */
  written: number;
  /** Retries of unprocessed items. */
  retries: number;
}

function entry(r: BatchWriteRequest): UnprocessedEntry {
  return { table: r.table, entity: r.entity.name, key: r.key, action: r.action };
}

/**
 * Writes requests in chunks of 25 with bounded concurrency, all under one deadline (the call's
 * `timeoutMs`, default the client's). Each chunk is sent through the executor, which retries it on
 * throttling and lost answers (a batch of puts and deletes is idempotent); UnprocessedItems are resent
 * with the core's backoff up to the retry policy's attempts.
 *
 * If anything is left, the call fails with an {@link UnprocessedItemsError} that puts every item in
 * exactly one group: `written`, `unprocessed` (safe to resend) or `unknown` (sent, answer lost).
 * Items DynamoDB keeps returning unprocessed do not stop the other chunks; a chunk that fails (stays
 * throttled, times out, loses its connection) does: no new chunk starts after it, and those never
 * started are `unprocessed`. Nothing is dropped silently.
 *
 * @example
 * ```ts
 * await batchWrite(runtime, users.map((u) => batchPut(User, u)))
 * ```
 */
export async function batchWrite(
  runtime: Runtime,
  requests: readonly BatchWriteRequest[],
  options: BatchOptions = {},
): Promise<BatchWriteResult> {
  checkDuplicates(requests);
  const target = [...new Set(requests.map((r) => r.table))].join(',');
  const outcome = await runBatch(
    runtime,
    dynamoOperations.batchWrite,
    target,
    chunk(requests, dynamoLimits.batchWriteItems),
    options,
    {
      send: (pending, signal) =>
        runtime.document.send(
          new BatchWriteCommand(withCapacity(runtime, toParams(pending))),
          signal === undefined ? {} : { abortSignal: signal },
        ),
      unprocessed: (out, pending) => {
        const ids = unprocessedIds(out, pending);
        return ids.size === 0 ? [] : pending.filter((r) => ids.has(r.id));
      },
      count: (_out, pending) => pending.length,
    },
  );
  const left = outcome.unprocessed.length + outcome.unknown.length;
  if (left > 0) {
    const why =
      outcome.firstError === undefined
        ? 'were still unprocessed after the retries'
        : `were not confirmed (${outcome.unknown.length} with an unknown outcome) after a ${outcome.firstError.kind} failure`;
    throw new UnprocessedItemsError(`${left} of ${requests.length} batch writes ${why}`, {
      engine: 'dynamodb',
      operation: 'batchWrite',
      target,
      written: outcome.done.map(entry),
      unprocessed: outcome.unprocessed.map(entry),
      unknown: outcome.unknown.map(entry),
      ...(outcome.firstError === undefined ? {} : { cause: outcome.firstError }),
    });
  }
  return { written: requests.length, retries: outcome.retries };
}
