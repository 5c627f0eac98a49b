// TransactWriteItems / TransactGetItems: items built per entity, limits checked before sending, cancellations mapped per item and retried only for conflicts or throttling.
import { randomUUID } from 'node:crypto';
import { TransactGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactGetCommandInput, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { LimitExceededError } from '../core/internal.js';
import { keyId } from './batching.js';
import { buildCondition } from './condition-builder.js';
import type { Condition } from './condition-builder.js';
import type { AnyEntity, EntityTypes } from './entity.js';
import { ExpressionContext } from './expressions.js';
import { createParams, deleteParams, putParams, updateParams } from './item-params.js';
import type { DeleteOptions, PutOptions, UpdateOptions } from './item-params.js';
import { checkCount, dynamoLimits, itemSize } from './limits.js';
import { dynamoOperations, runDynamo } from './operations.js';
import { withCapacity } from './runtime.js';
import type { CallOptions } from '../core/internal.js';
import type { Runtime } from './runtime.js';
import type { UpdateActions } from './update-builder.js';

type WriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * One action in a write transaction, knowing its entity and key (for limits and cancellation reasons).
 *
 * @example
 * ```ts
 * const items: TransactWriteItem[] = [tx.update(Account, { id: 'a' }, { increment: { balance: -10 } }), tx.create(Transfer, transfer)]
 * ```
 */
export interface TransactWriteItem {
  readonly action: 'put' | 'update' | 'delete' | 'check';
  readonly entity: AnyEntity;
  readonly table: string;
  readonly key: Record<string, unknown>;
  readonly request: WriteItem;
  /** Approximate request bytes, for the 4 MB limit. */
  readonly size: number;
}

type Typed<T extends EntityTypes> = { '~types': T } & AnyEntity;

function paramsSize(p: {
  Item?: Record<string, unknown> | undefined;
  Key?: Record<string, unknown> | undefined;
  ExpressionAttributeValues?: Record<string, unknown> | undefined;
}): number {
  return itemSize(p.Item ?? p.Key ?? {}) + itemSize(p.ExpressionAttributeValues ?? {});
}

function keyOf(entity: AnyEntity, item: Record<string, unknown>): Record<string, unknown> {
  const t = entity.table;
  return t.sortKey === undefined
    ? { [t.partitionKey]: item[t.partitionKey] }
    : { [t.partitionKey]: item[t.partitionKey], [t.sortKey]: item[t.sortKey] };
}

/** One transaction item with its table, key and size, as `db.transactWrite` checks and sends it. */
function writeItem(
  action: TransactWriteItem['action'],
  entity: AnyEntity,
  key: Record<string, unknown>,
  request: TransactWriteItem['request'],
  params: Parameters<typeof paramsSize>[0],
): TransactWriteItem {
  return { action, entity, table: entity.table.name, key, request, size: paramsSize(params) };
}

/**
 * Transaction helpers: each builds one item now (validated, keyed, sized) for `db.transactWrite`.
 *
 * @example
 * ```ts
 * await db.transactWrite([
 *   tx.update(Account, { id: 'a' }, { increment: { balance: -10 } }, { condition: { balance: { gte: 10 } } }),
 *   tx.update(Account, { id: 'b' }, { increment: { balance: 10 } }),
 *   tx.create(Transfer, { id: 't1', from: 'a', to: 'b', amount: 10 }),
 * ])
 * ```
 */
export const tx = {
  /** Creates an item; the transaction fails if it exists. */
  create<T extends EntityTypes>(
    entity: Typed<T>,
    input: T['input'],
    options: { now?: string } = {},
  ): TransactWriteItem {
    const { ConditionExpression, ExpressionAttributeNames, TableName, Item } = createParams<T>(
      entity,
      input,
      options,
    );
    const p = { TableName, Item, ConditionExpression, ExpressionAttributeNames };
    const item = Item as Record<string, unknown>;
    return writeItem('put', entity, keyOf(entity, item), { Put: p }, p);
  },
  /** Puts (replaces) an item, optionally guarded. */
  put<T extends EntityTypes>(
    entity: Typed<T>,
    input: T['input'],
    options: PutOptions<T> = {},
  ): TransactWriteItem {
    const { ReturnValuesOnConditionCheckFailure: _r, ...p } = putParams<T>(entity, input, options);
    const item = p.Item as Record<string, unknown>;
    return writeItem('put', entity, keyOf(entity, item), { Put: p }, p);
  },
  /** Updates an item with typed actions; a missing item fails the transaction unless `upsert`. */
  update<T extends EntityTypes>(
    entity: Typed<T>,
    key: T['key'],
    actions: UpdateActions<T['item']>,
    options: Omit<UpdateOptions<T>, 'returnValues'> = {},
  ): TransactWriteItem {
    const {
      ReturnValues: _rv,
      ReturnValuesOnConditionCheckFailure: _r,
      ...p
    } = updateParams<T>(entity, key, actions, options);
    return writeItem('update', entity, p.Key as Record<string, unknown>, { Update: p } as WriteItem, p);
  },
  /** Deletes an item; by default it must exist. */
  delete<T extends EntityTypes>(
    entity: Typed<T>,
    key: T['key'],
    options: Omit<DeleteOptions<T>, 'returnOld'> = {},
  ): TransactWriteItem {
    const {
      ReturnValues: _rv,
      ReturnValuesOnConditionCheckFailure: _r,
      ...p
    } = deleteParams<T>(entity, key, options);
    return writeItem('delete', entity, p.Key as Record<string, unknown>, { Delete: p }, p);
  },
  /** Checks a condition on an item without writing it. */
  check<T extends EntityTypes>(
    entity: Typed<T>,
    key: T['key'],
    condition: Condition<T['item']>,
  ): TransactWriteItem {
    const ctx = new ExpressionContext();
    const expression =
      buildCondition(condition, ctx) ?? `attribute_exists(${ctx.name(entity.table.partitionKey)})`;
    const p = {
      TableName: entity.table.name,
      Key: entity.key(key),
      ConditionExpression: expression,
      ...ctx.params(),
    };
    return writeItem('check', entity, p.Key, { ConditionCheck: p }, p);
  },
};

function checkTransaction(
  items: readonly { table: string; key: Record<string, unknown>; entity: AnyEntity; size?: number }[],
  operation: string,
): void {
  checkCount('transactionItems', items.length, dynamoLimits.transactionItems, { operation });
  const total = items.reduce((sum, i) => sum + (i.size ?? 0), 0);
  checkCount('transactionSize', total, dynamoLimits.transactionBytes, { operation });
  const seen = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    const id = keyId(item.table, item.key);
    const first = seen.get(id);
    if (first !== undefined) {
      throw new LimitExceededError(
        `Items ${first} and ${index} of the transaction act on the same ${item.entity.name} item; DynamoDB allows one action per item`,
        {
          engine: 'dynamodb',
          operation,
          target: item.table,
          limit: 'transactionItemUnique',
          max: 1,
          actual: 2,
        },
      );
    }
    seen.set(id, index);
  }
}

/**
 * Options of `transactWrite`.
 *
 * @example
 * ```ts
 * await db.transactWrite(items, { token: `transfer-${transfer.id}`, timeoutMs: 5_000 })
 * ```
 */
export interface TransactWriteOptions extends CallOptions {
  /**
   * Idempotency token: a retry with the same token within 10 minutes does not apply the writes twice.
   * Default: a fresh token per call, reused across dbkit's retries of that call.
   */
  token?: string;
}

/**
 * TransactWriteItems params for built items, after checking DynamoDB's limits (100 items, 4 MB, one
 * action per item).
 *
 * @example
 * ```ts
 * transactWriteParams([tx.create(User, u), tx.check(Org, { id: u.orgId }, { active: true })], 'token-1')
 * ```
 */
export function transactWriteParams(
  items: readonly TransactWriteItem[],
  token?: string,
): TransactWriteCommandInput {
  checkTransaction(items, 'transactWrite');
  const params: TransactWriteCommandInput = { TransactItems: items.map((i) => i.request) };
  if (token !== undefined) params.ClientRequestToken = token;
  return params;
}

function abortOf(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

/**
 * Runs a write transaction. A cancellation becomes a TransactionCanceledError with one reason per
 * item (index, code, entity, key). A transaction canceled only by conflicts or throttling is
 * retried with the core's backoff, with the same idempotency token; one canceled by a failed
 * condition never is.
 *
 * @example
 * ```ts
 * await transactWrite(runtime, [tx.update(Account, { id: 'a' }, { increment: { balance: -5 } }, { condition: { balance: { gte: 5 } } })])
 * ```
 */
export async function transactWrite(
  runtime: Runtime,
  items: readonly TransactWriteItem[],
  options: TransactWriteOptions = {},
): Promise<void> {
  const params = withCapacity(runtime, transactWriteParams(items, options.token ?? randomUUID()));
  const target = [...new Set(items.map((i) => i.table))].join(',');
  const infos = items.map((i) => ({ entity: i.entity.name, key: i.key }));
  await runDynamo(
    runtime,
    dynamoOperations.transactWrite,
    target,
    (signal) => runtime.document.send(new TransactWriteCommand(params), abortOf(signal)),
    options,
    { count: () => items.length, errors: { items: infos } },
  );
}

/**
 * One key to read in a transaction.
 *
 * @example
 * ```ts
 * const [a, b] = await db.transactGet([txGet(Account, { id: 'a' }), txGet(Account, { id: 'b' })] satisfies TransactGetItem[])
 * ```
 */
export interface TransactGetItem {
  readonly entity: AnyEntity;
  readonly table: string;
  readonly key: Record<string, unknown>;
}

/**
 * A transactional read of one entity key.
 *
 * @example
 * ```ts
 * const [from, to] = await db.transactGet([txGet(Account, { id: 'a' }), txGet(Account, { id: 'b' })])
 * ```
 */
export function txGet<T extends EntityTypes>(entity: Typed<T>, key: T['key']): TransactGetItem {
  return { entity, table: entity.table.name, key: entity.key(key) };
}

/**
 * TransactGetItems params after checking the 100-item limit.
 *
 * @example
 * ```ts
 * transactGetParams([txGet(User, { id: '1' })])
 * ```
 */
export function transactGetParams(items: readonly TransactGetItem[]): TransactGetCommandInput {
  checkCount('transactionItems', items.length, dynamoLimits.transactionItems, { operation: 'transactGet' });
  return { TransactItems: items.map((i) => ({ Get: { TableName: i.table, Key: i.key } })) };
}

/**
 * Reads up to 100 items atomically; one entry per item in order, `null` when absent.
 *
 * @example
 * ```ts
 * const [a, b] = await transactGet(runtime, [txGet(Account, { id: 'a' }), txGet(Account, { id: 'b' })])
 * ```
 */
export async function transactGet(
  runtime: Runtime,
  items: readonly TransactGetItem[],
  options: CallOptions = {},
): Promise<(Record<string, unknown> | null)[]> {
  const params = withCapacity(runtime, transactGetParams(items));
  const target = [...new Set(items.map((i) => i.table))].join(',');
  const infos = items.map((i) => ({ entity: i.entity.name, key: i.key }));
  const out = await runDynamo(
    runtime,
    dynamoOperations.transactGet,
    target,
    (signal) => runtime.document.send(new TransactGetCommand(params), abortOf(signal)),
    options,
    { errors: { items: infos } },
  );
  return items.map((item, index) => {
    const raw = out.Responses?.[index]?.Item as Record<string, unknown> | undefined;
    return raw === undefined || !item.entity.owns(raw) ? null : item.entity.parse(raw, 'transactGet');
  });
}
