// The dbkit DynamoDB client: SDK v3 client and DocumentClient configured safely, core executor, cursors, and every operation bound to them.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createCursorCodec, createInstrumentation } from '../core/index.js';
import type {
  CursorCodec,
  Instrumentation,
  InstrumentationOptions,
  OperationListener,
  Page,
  RetryPolicy,
  TracerLike,
} from '../core/index.js';
import { batchGet } from './batch-get.js';
import type { BatchGetRequest } from './batch-get.js';
import { batchWrite } from './batch-write.js';
import type { BatchOptions, BatchWriteRequest, BatchWriteResult } from './batch-write.js';
import { collectionQuery } from './collection.js';
import type { CollectionPage, CollectionQueryInput } from './collection.js';
import { deleteTable, ensureTable } from './create-table.js';
import type { CreateTableOptions } from './create-table.js';
import type { AnyEntity, Entity, EntityTypes } from './entity.js';
import { bindEntity } from './entity-client.js';
import type { EntityClient } from './entity-client.js';
import { mapDynamoError } from './errors.js';
import { unmarshallNumber } from './numbers.js';
import { defaultTimeoutMs } from './runtime.js';
import type { CallOptions, Runtime } from './runtime.js';
import { scanAll, scanPage } from './scan.js';
import type { ScanAllOptions, ScanItem, ScanOptions } from './scan.js';
import type { Table } from './table.js';
import { transactGet, transactWrite } from './transact.js';
import type { TransactGetItem, TransactWriteItem, TransactWriteOptions } from './transact.js';

/** Options of {@link createDynamoClient}. Everything has a production default. */
export interface DynamoClientOptions {
  /** AWS region. Default: `AWS_REGION` / the SDK's resolution; `local` in local mode. */
  region?: string;
  /** Endpoint URL, e.g. DynamoDB Local's. Default: `DYNAMODB_ENDPOINT` when set. */
  endpoint?: string;
  /** Credentials. Default: the SDK's provider chain; dummy credentials in local mode. */
  credentials?: DynamoDBClientConfig['credentials'];
  /** Local mode: talk to DynamoDB Local at this URL (or `http://localhost:8000` for `true`) with dummy credentials. */
  local?: boolean | string;
  /**
   * @deprecated dbkit's operations never let the SDK re-send a request: only dbkit knows whether an
   * operation may be sent twice (an increment may not), so every dbkit operation is one SDK attempt
   * per dbkit attempt, whatever this says. It only configures the SDK client dbkit creates, for what
   * you send through `db.client` yourself. Default 1. Tune `retry` instead.
   */
  maxAttempts?: number;
  /**
   * @deprecated Like `maxAttempts`, this only configures the SDK client dbkit creates, for what you
   * send through `db.client` yourself; dbkit's operations never use the SDK's retries or its adaptive
   * rate limiter (which delays sends past a request's deadline). Default `standard`.
   */
  retryMode?: 'adaptive' | 'standard';
  /**
   * An SDK client you already have. dbkit sends through a DocumentClient over it whose retry layer
   * is one attempt (dbkit's executor decides what is re-sent), so the client's own `maxAttempts` and
   * retry mode apply only to what you send through it yourself. dbkit takes a snapshot of its
   * middleware when the DynamoClient is created, and never changes the client itself. Its HTTP
   * timeouts stay yours; dbkit's `timeoutMs` still bounds every operation.
   */
  client?: DynamoDBClient;
  /**
   * dbkit's retry policy: the only layer that re-sends (throttling, lost answers of reads and
   * idempotent writes, unprocessed batch items, transaction conflicts). Default: core defaults
   * (5 attempts, 50 ms base, 2 s cap). Its deadline never outlasts the operation's `timeoutMs`.
   */
  retry?: RetryPolicy | false;
  /**
   * Time limit of one operation including its retries, in ms. Default 10 000. A call that runs out
   * of time while throttled gets the ThrottledError; one cut while a request was in flight gets a
   * TimeoutError (a read) or an OutcomeUnknownError (a write that may not be repeated). The SDK
   * client dbkit creates also gets HTTP timeouts from it (connection: 3 s at most).
   */
  timeoutMs?: number;
  /** An event bus, or options to create one. */
  instrumentation?: Instrumentation | InstrumentationOptions;
  /** An OpenTelemetry tracer (`trace.getTracer('dbkit')`). */
  tracer?: TracerLike;
  /** Secret(s) for pagination cursors. Default `DBKIT_CURSOR_SECRET`. */
  cursorSecret?: string | readonly string[];
  /** Cursors older than this are refused. Default: no expiry. */
  cursorTtlMs?: number;
  /** Ask DynamoDB for consumed capacity and report it in `succeeded` events. Default false. */
  consumedCapacity?: boolean;
  /** Parallel requests for batch operations. Default 4. */
  batchConcurrency?: number;
}

/** The dbkit DynamoDB client. */
export interface DynamoClient {
  /** The underlying DocumentClient, for anything dbkit does not cover. */
  readonly document: DynamoDBDocumentClient;
  /** The underlying SDK client. */
  readonly client: DynamoDBClient;
  readonly instrumentation: Instrumentation;
  readonly cursors: CursorCodec;
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
    options?: BatchOptions & { consistent?: boolean },
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
  /** Deletes the table if it exists. */
  deleteTable(table: Table | string, options?: CallOptions): Promise<void>;
  /** Releases the SDK client's sockets (only when dbkit created it). */
  destroy(): void;
}

function isInstrumentation(value: Instrumentation | InstrumentationOptions): value is Instrumentation {
  return typeof (value as Instrumentation).emit === 'function';
}

/**
 * The SDK client dbkit would create for these options: one SDK attempt in standard retry mode (dbkit
 * owns retries), HTTP connection and request timeouts from `timeoutMs`, region, endpoint and
 * credentials from the options or the environment, or local mode.
 *
 * @example
 * ```ts
 * const sdk = createSdkClient({ local: 'http://localhost:8000' })
 * ```
 */
export function createSdkClient(options: DynamoClientOptions = {}): DynamoDBClient {
  const localUrl =
    options.local === true
      ? 'http://localhost:8000'
      : typeof options.local === 'string'
        ? options.local
        : undefined;
  const endpoint = options.endpoint ?? localUrl ?? process.env.DYNAMODB_ENDPOINT;
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const config: DynamoDBClientConfig = {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- still honoured for db.client
    retryMode: options.retryMode ?? 'standard',
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- still honoured for db.client
    maxAttempts: options.maxAttempts ?? 1,
    // A silent network must end in an error even for requests sent around dbkit's executor.
    requestHandler: {
      connectionTimeout: Math.min(connectTimeoutMs, timeoutMs),
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
    },
  };
  const region = options.region ?? (localUrl !== undefined ? 'local' : process.env.AWS_REGION);
  if (region !== undefined) config.region = region;
  if (endpoint !== undefined && endpoint !== '') config.endpoint = endpoint;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  else if (localUrl !== undefined) config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  return new DynamoDBClient(config);
}

const connectTimeoutMs = 3_000;

// Replaces the SDK's retry middleware (same name, step and priority) with one that sends once: the
// SDK cannot know that an UpdateItem whose answer was lost must not be sent again; dbkit's executor can.
const singleAttempt =
  <A, R>(next: (args: A) => Promise<R>) =>
  (args: A): Promise<R> =>
    next(args);
const singleAttemptOptions = {
  name: 'retryMiddleware',
  step: 'finalizeRequest',
  priority: 'high',
  tags: ['RETRY'],
  override: true,
};

interface StackedCommand {
  middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
}

/**
 * Wraps an SDK client in a DocumentClient with dbkit's marshalling: undefined values removed,
 * class instances converted to maps, empty strings kept, and numbers unmarshalled exactly (any
 * number a double cannot hold is resolved per attribute by the entity, never silently rounded).
 *
 * Every command sent through it is sent once: the SDK's retry step is replaced, on that command
 * only, by a single attempt, so dbkit's executor alone decides what is re-sent. The client you pass
 * keeps its own retries for what you send through it, and its middleware (tracing, logging) still
 * applies to dbkit's requests.
 *
 * @example
 * ```ts
 * const doc = createDocumentClient(new DynamoDBClient({}))
 * ```
 */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  const document = DynamoDBDocumentClient.from(client, {
    marshallOptions: {
      removeUndefinedValues: true,
      convertClassInstanceToMap: true,
      convertEmptyValues: false,
    },
    unmarshallOptions: { wrapNumbers: unmarshallNumber },
  });
  // The DocumentClient shares the client's middleware stack, so the override goes on each command.
  const send = document.send.bind(document) as (...args: unknown[]) => unknown;
  const sendOnce = (command: StackedCommand, ...rest: unknown[]): unknown => {
    command.middlewareStack.add(singleAttempt, singleAttemptOptions);
    return send(command, ...rest);
  };
  Object.defineProperty(document, 'send', { value: sendOnce, configurable: true, writable: true });
  return document;
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
  const sdk = options.client ?? createSdkClient(options);
  const document = createDocumentClient(sdk);
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
  const runtime: Runtime = {
    document,
    client: sdk,
    executor: {
      instrumentation,
      retry,
      mapError: (err, s) => mapDynamoError(err, s),
      timeoutMs,
      ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
    },
    cursors,
    timeoutMs,
    consumedCapacity: options.consumedCapacity === true,
    batchConcurrency: Math.max(1, options.batchConcurrency ?? 4),
    retry,
  };
  const bound = new WeakMap<object, unknown>();
  return {
    document,
    client: sdk,
    instrumentation,
    cursors,
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
    deleteTable: (table, callOptions) => deleteTable(runtime, table, callOptions),
    destroy: () => {
      if (options.client === undefined) sdk.destroy();
    },
  };
}
