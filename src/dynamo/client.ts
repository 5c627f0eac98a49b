// The dbkit DynamoDB client: SDK v3 client (one per configuration) and DocumentClient configured safely, core executor, cursors, and every operation bound to them.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  createCursorCodec,
  createInstrumentation,
  createTelemetry,
  DbkitError,
  targetFromUrl,
} from '../core/internal.js';
import type { Capabilities, Telemetry } from '../core/internal.js';
import type {
  CursorCodec,
  Instrumentation,
  InstrumentationOptions,
  OperationListener,
  Page,
} from '../core/internal.js';
import { batchGet } from './batch-get.js';
import type { BatchGetRequest } from './batch-get.js';
import { batchWrite } from './batch-write.js';
import type { BatchOptions, BatchWriteRequest, BatchWriteResult } from './batch-write.js';
import { dynamoCapabilities } from './capabilities.js';
import { collectionQuery } from './collection.js';
import type { CollectionPage, CollectionQueryInput } from './collection.js';
import { deleteTable, ensureTable } from './create-table.js';
import type { CreateTableOptions } from './create-table.js';
import type { AnyEntity, Entity, EntityTypes } from './entity.js';
import { bindEntity } from './repository.js';
import type { EntityClient } from './repository.js';
import { mapDynamoError } from './errors.js';
import { defaultTimeoutMs } from './runtime.js';
import type { DynamoClientOptions } from './client-options.js';
import { acquireSharedClient, createSdkClient, documentFor } from './sdk-client.js';

export type { DynamoClientOptions } from './client-options.js';
export { createDocumentClient, createSdkClient } from './sdk-client.js';
import type { CallOptions } from '../core/internal.js';
import type { Runtime } from './runtime.js';
import { registerRuntime } from './client-runtime.js';
import { syncTableWith } from './sync-table.js';
import type { SyncTableOptions, TableSyncReport } from './sync-table.js';
import { scanAll, scanPage } from './scan.js';
import type { ScanAllOptions, ScanItem, ScanOptions } from './scan.js';
import type { Table } from './table.js';
import { transactGet, transactWrite } from './transaction.js';
import type { TransactGetItem, TransactWriteItem, TransactWriteOptions } from './transaction.js';

/**
 * The dbkit DynamoDB client.
 *
 * @example
 * ```ts
 * const db: DynamoClient = createDynamoClient({ local: true })
 * await db.ensureTable(app)
 * ```
 */
export interface DynamoClient {
  /** The underlying DocumentClient, for anything dbkit does not cover. */
  readonly document: DynamoDBDocumentClient;
  /** The underlying SDK client (with the `document` option: a client over that DocumentClient's configuration). */
  readonly client: DynamoDBClient;
  readonly instrumentation: Instrumentation;
  readonly cursors: CursorCodec;
  /** What DynamoDB can do (transactions, TTL, sparse indexes; no text indexes or joins). */
  readonly capabilities: Readonly<Capabilities>;
  /** Subscribes to operation events; returns the unsubscribe function. */
  subscribe(listener: OperationListener): () => void;
  /** Binds an entity: `db.entity(User).get({ id })`. */
  entity<T extends EntityTypes>(entity: Entity<T>): EntityClient<T>;
  /** Entities sharing partitions, read together and grouped by entity. */
  collection<M extends Record<string, AnyEntity>>(
    entities: M,
  ): {
    query<N extends keyof M & string>(
      input: CollectionQueryInput<M, N>,
      options?: CallOptions,
    ): Promise<CollectionPage<M>>;
  };
  /** Atomic writes across entities and tables (built with `tx.*`). */
  transactWrite(items: readonly TransactWriteItem[], options?: TransactWriteOptions): Promise<void>;
  /** Atomic reads (built with `txGet`); `null` for absent items. */
  transactGet(items: readonly TransactGetItem[], options?: CallOptions): Promise<unknown[]>;
  /** Batch reads across entities (built with `batchGetKey`), in request order. */
  batchGet(
    requests: readonly BatchGetRequest[],
    options?: BatchOptions & { consistent?: boolean | undefined },
  ): Promise<unknown[]>;
  /** Batch writes across entities (built with `batchPut` / `batchDelete`). */
  batchWrite(requests: readonly BatchWriteRequest[], options?: BatchOptions): Promise<BatchWriteResult>;
  /** One page of a scan; requires `allowScan: true`. */
  scan<S extends Table | AnyEntity>(
    source: S,
    options: ScanOptions & CallOptions,
  ): Promise<Page<ScanItem<S>>>;
  /** A full, optionally parallel scan; requires `allowScan: true`. */
  scanAll<S extends Table | AnyEntity>(
    source: S,
    options: ScanAllOptions,
  ): AsyncGenerator<Page<ScanItem<S>>, void, undefined>;
  /** Creates the table (GSIs, TTL, on-demand) if missing; true when it was created. */
  ensureTable(table: Table, options?: CreateTableOptions): Promise<boolean>;
  /**
   * Brings a live table to its declaration: creates it or the GSIs and TTL declared since, waits for
   * them, never deletes, and reports what cannot change in place as `drift`.
   */
  syncTable(table: Table, options?: SyncTableOptions): Promise<TableSyncReport>;
  /** Deletes the table if it exists. */
  deleteTable(table: Table | string, options?: CallOptions): Promise<void>;
  /**
   * Releases this client's share of the SDK client dbkit created (its sockets close when no other
   * DynamoClient shares it); a client you passed in is left open. Calling it twice is harmless.
   */
  destroy(): void;
}

function isInstrumentation(value: Instrumentation | InstrumentationOptions): value is Instrumentation {
  return typeof (value as Instrumentation).emit === 'function';
}

/**
 * Creates the dbkit DynamoDB client.
 *
 * @example
 * ```ts
 * const db = createDynamoClient({ local: process.env.DYNAMODB_ENDPOINT, cursorSecret: process.env.CURSOR_SECRET })
 * await db.ensureTable(app)
 * const users = db.entity(User)
 * await users.create({ id: '1', email: 'ada@example.com', name: 'Ada' })
 * ```
 */
export function createDynamoClient(options: DynamoClientOptions = {}): DynamoClient {
  if (options.client !== undefined && options.document !== undefined)
    throw new TypeError('dbkit: pass either `client` or `document` to createDynamoClient, not both');
  let owned: { client: DynamoDBClient; release(): void } | undefined;
  let source: DynamoDBClient | DynamoDBDocumentClient;
  if (options.client !== undefined) source = options.client;
  else if (options.document !== undefined) source = options.document;
  else {
    if (options.shareClient === false) {
      const client = createSdkClient(options);
      owned = {
        client,
        release: () => {
          client.destroy();
        },
      };
    } else owned = acquireSharedClient(options);
    source = owned.client;
  }
  const document = documentFor(source);
  // With a DocumentClient handed in there is no SDK client object to expose: dbkit's DocumentClient
  // sends plain `@aws-sdk/client-dynamodb` commands just as well, over the same configuration.
  const sdk: DynamoDBClient =
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- documented on `DynamoClient.client`: not an instance of DynamoDBClient, but it sends any of its commands
    options.document === undefined ? source : document;
  const instrumentation =
    options.instrumentation === undefined
      ? createInstrumentation()
      : isInstrumentation(options.instrumentation)
        ? options.instrumentation
        : createInstrumentation(options.instrumentation);
  const cursors = createCursorCodec({
    ...(options.cursorSecret === undefined ? {} : { secret: options.cursorSecret }),
    ...(options.cursorTtlMs === undefined ? {} : { ttlMs: options.cursorTtlMs }),
  });
  const retry = options.retry ?? {};
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const telemetry = dynamoTelemetry(options);
  const runtime: Runtime = {
    document,
    client: sdk,
    executor: {
      instrumentation,
      retry,
      mapError: (err, s) => mapDynamoError(err, s),
      timeoutMs,
      ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
      ...(telemetry === undefined ? {} : { telemetry }),
    },
    cursors,
    timeoutMs,
    consumedCapacity: options.consumedCapacity === true,
    batchConcurrency: Math.max(1, options.batchConcurrency ?? 4),
    retry,
  };
  const bound = new WeakMap<object, unknown>();
  const api: DynamoClient = {
    document,
    client: sdk,
    instrumentation,
    cursors,
    capabilities: dynamoCapabilities,
    subscribe: (listener) => instrumentation.subscribe(listener),
    entity<T extends EntityTypes>(entity: Entity<T>): EntityClient<T> {
      let client = bound.get(entity) as EntityClient<T> | undefined;
      if (client === undefined) {
        client = bindEntity(runtime, entity);
        bound.set(entity, client);
      }
      return client;
    },
    collection: (entities) => ({
      query: (input, callOptions) => collectionQuery(runtime, entities, input, callOptions),
    }),
    transactWrite: (items, callOptions) => transactWrite(runtime, items, callOptions),
    transactGet: (items, callOptions) => transactGet(runtime, items, callOptions),
    batchGet: (requests, callOptions) => batchGet(runtime, requests, callOptions),
    batchWrite: (requests, callOptions) => batchWrite(runtime, requests, callOptions),
    scan: (source, scanOptions) => scanPage(runtime, source, scanOptions),
    scanAll: (source, scanOptions) => scanAll(runtime, source, scanOptions),
    ensureTable: (table, tableOptions) => ensureTable(runtime, table, tableOptions),
    syncTable: (table, syncOptions) => syncTableWith(runtime, table, syncOptions),
    deleteTable: (table, callOptions) => deleteTable(runtime, table, callOptions),
    destroy: () => {
      owned?.release();
    },
  };
  // Day-two tools given this client (backfill, journal, syncTable) run with its retry, time limit and telemetry.
  registerRuntime(api, runtime);
  return api;
}

// Where requests go, as the semantic conventions name it, and the HTTP status of a failure.
function dynamoTelemetry(options: DynamoClientOptions): Telemetry | undefined {
  if (options.telemetry === undefined || options.telemetry === false) return undefined;
  const local =
    typeof options.local === 'string'
      ? options.local
      : options.local === true
        ? 'http://localhost:8000'
        : undefined;
  const endpoint = options.endpoint ?? local ?? process.env.DYNAMODB_ENDPOINT;
  const region = options.region ?? process.env.AWS_REGION;
  const target =
    endpoint !== undefined && endpoint !== ''
      ? targetFromUrl(endpoint, endpoint.startsWith('https:') ? 443 : 80)
      : region !== undefined
        ? { serverAddress: `dynamodb.${region}.amazonaws.com`, serverPort: 443 }
        : {};
  return createTelemetry(options.telemetry, {
    ...target,
    statusCodeOf: (err) => {
      let cause: unknown = err.cause;
      while (cause instanceof DbkitError) cause = cause.cause;
      const status = (cause as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata
        ?.httpStatusCode;
      return typeof status === 'number' ? String(status) : undefined;
    },
  });
}
