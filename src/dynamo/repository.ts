// The repository: an entity bound to a client (create, get, put, update, delete, query, list, batches, scans), each a declared operation run through one adapter.
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CallOptions, Page, Repository } from '../core/internal.js';
import { batchGet, batchGetKey } from './batch-get.js';
import { batchDelete, batchPut, batchWrite } from './batch-write.js';
import type { BatchOptions, BatchWriteResult } from './batch-write.js';
import type { AnyEntity, Entity, EntityTypes } from './entity.js';
import type { ErrorContext } from './errors.js';
import { deleteIsIdempotent, putIsIdempotent, updateIsIdempotent } from './idempotency.js';
import { createParams, deleteParams, getParams, putParams, updateParams } from './item-params.js';
import type { DeleteOptions, GetOptions, PutOptions, UpdateOptions } from './item-params.js';
import { queryAll, queryPage } from './query.js';
import type { QueryAllOptions, QueryInput, QueryResult } from './query.js';
import { dynamoOperations as ops, runDynamo } from './operations.js';
import { withCapacity } from './runtime.js';
import type { Runtime } from './runtime.js';
import { scanAll, scanPage } from './scan.js';
import type { ScanAllOptions, ScanOptions } from './scan.js';
import type { UpdateActions } from './update-builder.js';

/**
 * The pure request builders of an entity: params only, nothing sent.
 *
 * @example
 * ```ts
 * const { Item } = db.entity(User).params.put({ id: '1', email: 'ada@example.com', name: 'Ada' })
 * ```
 */
export interface EntityParams<T extends EntityTypes> {
  get(key: T['key'], options?: GetOptions): ReturnType<typeof getParams>;
  create(input: T['input'], options?: { now?: string }): ReturnType<typeof createParams>;
  put(input: T['input'], options?: PutOptions<T>): ReturnType<typeof putParams>;
  update(
    key: T['key'],
    actions: UpdateActions<T['item']>,
    options?: UpdateOptions<T>,
  ): ReturnType<typeof updateParams>;
  delete(key: T['key'], options?: DeleteOptions<T>): ReturnType<typeof deleteParams>;
}

/**
 * An entity bound to a client. Implements the core Repository contract (`create`, `get`,
 * `update`, `delete`, `list`) plus DynamoDB's own operations.
 *
 * @example
 * ```ts
 * const users = db.entity(User)
 * const ada = await users.create({ id: '1', email: 'ada@example.com', name: 'Ada' })
 * await users.update({ id: '1' }, { set: { name: 'Ada L.' } }, { expectedVersion: ada.version })
 * ```
 */
export interface EntityClient<T extends EntityTypes> extends Repository<
  T['item'],
  T['key'],
  T['input'],
  UpdateActions<T['item']>,
  QueryInput<T>
> {
  readonly entity: Entity<T>;
  /** The request each operation would send, without sending it. */
  readonly params: EntityParams<T>;
  /** Puts a new item; ConflictError if one with the same key exists. */
  create(input: T['input'], options?: CallOptions & { now?: string }): Promise<T['item']>;
  /** Reads by key; `null` when absent. */
  get(key: T['key'], options?: GetOptions & CallOptions): Promise<T['item'] | null>;
  /** Replaces an item, optionally guarded by a condition or an expected version. */
  put(input: T['input'], options?: PutOptions<T> & CallOptions): Promise<T['item']>;
  /** Applies typed update actions; NotFoundError when the item is missing (unless `upsert`). */
  update(
    key: T['key'],
    actions: UpdateActions<T['item']>,
    options?: UpdateOptions<T> & CallOptions & { returnValues?: 'ALL_NEW' },
  ): Promise<T['item']>;
  update(
    key: T['key'],
    actions: UpdateActions<T['item']>,
    options: UpdateOptions<T> & CallOptions & { returnValues: 'UPDATED_NEW' },
  ): Promise<Partial<T['item']>>;
  /** Deletes an item; NotFoundError when missing (unless `mustExist: false`). */
  delete(key: T['key'], options?: DeleteOptions<T> & CallOptions & { returnOld?: false }): Promise<void>;
  delete(
    key: T['key'],
    options: DeleteOptions<T> & CallOptions & { returnOld: true },
  ): Promise<T['item'] | null>;
  /** One page of a query on the primary key or a GSI. */
  query<Q extends QueryInput<T>>(input: Q, options?: CallOptions): Promise<Page<QueryResult<T, Q>>>;
  /** Every page of a query, bounded by `maxItems` (default 10,000). */
  queryAll<Q extends QueryInput<T>>(
    input: Q,
    options?: QueryAllOptions,
  ): AsyncGenerator<Page<QueryResult<T, Q>>, void, undefined>;
  /** The Repository `list`: a query page with `limit` and `cursor`. */
  list(
    query: QueryInput<T>,
    options?: { limit?: number | undefined; cursor?: string | null | undefined },
  ): Promise<Page<T['item']>>;
  /** Reads many keys; one entry per key in order, `null` when absent. */
  batchGet(
    keys: readonly T['key'][],
    options?: BatchOptions & { consistent?: boolean | undefined },
  ): Promise<(T['item'] | null)[]>;
  /** Puts and deletes many items in chunks of 25. */
  batchWrite(
    writes: { put?: readonly T['input'][]; delete?: readonly T['key'][] },
    options?: BatchOptions,
  ): Promise<BatchWriteResult>;
  /** One page of a scan of this entity's items; requires `allowScan: true`. */
  scan(options: ScanOptions & CallOptions): Promise<Page<T['item']>>;
  /** A full (optionally parallel) scan of this entity's items; requires `allowScan: true`. */
  scanAll(options: ScanAllOptions): AsyncGenerator<Page<T['item']>, void, undefined>;
}

function abortOf(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

/**
 * Binds an entity to a runtime.
 *
 * @example
 * ```ts
 * const users = bindEntity(runtime, User)
 * ```
 */
export function bindEntity<T extends EntityTypes>(runtime: Runtime, entity: Entity<T>): EntityClient<T> {
  const e = entity as unknown as AnyEntity;
  const target = e.table.name;
  const primary = e.keys.primary;
  const keyFields = [...(primary?.pk.attributes ?? []), ...(primary?.sk?.attributes ?? [])];
  // What a failed condition of each write means (see mapDynamoError).
  const declared = (context: Omit<ErrorContext, 'entity' | 'keyFields'>): ErrorContext => ({
    entity: e.name,
    keyFields,
    ...context,
  });
  const createErrors = declared({ create: true });
  const keyAttrs = new Set(
    Object.values(e.keys).flatMap((k) => (k.skName === undefined ? [k.pkName] : [k.pkName, k.skName])),
  );
  const strip = (item: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const key in item) if (key !== e.table.entityAttribute && !keyAttrs.has(key)) out[key] = item[key];
    return out;
  };
  const params: EntityParams<T> = {
    get: (key, options) => getParams<T>(entity, key, options),
    create: (input, options) => createParams<T>(entity, input, options),
    put: (input, options) => putParams<T>(entity, input, options),
    update: (key, actions, options) => updateParams<T>(entity, key, actions, options),
    delete: (key, options) => deleteParams<T>(entity, key, options),
  };

  const client = {
    entity,
    params,
    async create(input: T['input'], options: CallOptions & { now?: string | undefined } = {}) {
      const p = withCapacity(
        runtime,
        createParams<T>(entity, input, options.now === undefined ? {} : { now: options.now }),
      );
      await runDynamo(
        runtime,
        ops.create,
        target,
        (signal) => runtime.document.send(new PutCommand(p), abortOf(signal)),
        options,
        { errors: createErrors },
      );
      return strip(p.Item as Record<string, unknown>);
    },
    async get(key: T['key'], options: GetOptions & CallOptions = {}) {
      const p = withCapacity(runtime, getParams<T>(entity, key, options));
      const out = await runDynamo(
        runtime,
        ops.get,
        target,
        (signal) => runtime.document.send(new GetCommand(p), abortOf(signal)),
        options,
        { count: (r) => (r.Item ? 1 : 0) },
      );
      const raw = out.Item as Record<string, unknown> | undefined;
      return raw === undefined || !e.owns(raw) ? null : e.parse(raw, 'get');
    },
    async put(input: T['input'], options: PutOptions<T> & CallOptions = {}) {
      const p = withCapacity(runtime, putParams<T>(entity, input, options));
      await runDynamo(
        runtime,
        putIsIdempotent(options) ? ops.put : ops.putGuarded,
        target,
        (signal) => runtime.document.send(new PutCommand(p), abortOf(signal)),
        options,
        {
          errors: declared({
            expectedVersion: options.expectedVersion,
            mustExist: options.expectedVersion !== undefined,
          }),
        },
      );
      return strip(p.Item as Record<string, unknown>);
    },
    async update(
      key: T['key'],
      actions: UpdateActions<T['item']>,
      options: UpdateOptions<T> & CallOptions = {},
    ) {
      const p = withCapacity(runtime, updateParams<T>(entity, key, actions, options));
      const out = await runDynamo(
        runtime,
        updateIsIdempotent<T>(e, actions, options) ? ops.updateFixed : ops.update,
        target,
        (signal) => runtime.document.send(new UpdateCommand(p), abortOf(signal)),
        options,
        {
          errors: declared({ expectedVersion: options.expectedVersion, mustExist: options.upsert !== true }),
        },
      );
      const raw = (out.Attributes ?? {}) as Record<string, unknown>;
      if (options.returnValues === 'UPDATED_NEW') return strip(raw);
      return e.parse(raw, 'update');
    },
    async delete(key: T['key'], options: DeleteOptions<T> & CallOptions = {}) {
      const p = withCapacity(runtime, deleteParams<T>(entity, key, options));
      const out = await runDynamo(
        runtime,
        deleteIsIdempotent(options) ? ops.deleteIfPresent : ops.delete,
        target,
        (signal) => runtime.document.send(new DeleteCommand(p), abortOf(signal)),
        options,
        {
          errors: declared({
            expectedVersion: options.expectedVersion,
            mustExist: options.mustExist !== false,
          }),
        },
      );
      if (options.returnOld !== true) return undefined;
      const raw = out.Attributes as Record<string, unknown> | undefined;
      return raw === undefined ? null : e.parse(raw, 'delete');
    },
    query: (input: QueryInput<T>, options?: CallOptions) =>
      queryPage<T, QueryInput<T>>(runtime, e, input, options),
    queryAll: (input: QueryInput<T>, options?: QueryAllOptions) =>
      queryAll<T, QueryInput<T>>(runtime, e, input, options),
    list: (
      query: QueryInput<T>,
      options: { limit?: number | undefined; cursor?: string | null | undefined } = {},
    ) => queryPage<T, QueryInput<T>>(runtime, e, { ...query, ...options }),
    batchGet: (keys: readonly T['key'][], options?: BatchOptions & { consistent?: boolean | undefined }) =>
      batchGet(
        runtime,
        keys.map((k) => batchGetKey(e, k)),
        options,
      ),
    batchWrite: (
      writes: { put?: readonly T['input'][]; delete?: readonly T['key'][] },
      options?: BatchOptions,
    ) =>
      batchWrite(
        runtime,
        [
          ...(writes.put ?? []).map((i) => batchPut(e, i)),
          ...(writes.delete ?? []).map((k) => batchDelete(e, k)),
        ],
        options,
      ),
    scan: (options: ScanOptions & CallOptions) => scanPage(runtime, e, options),
    scanAll: (options: ScanAllOptions) => scanAll(runtime, e, options),
  };
  return client as unknown as EntityClient<T>;
}
