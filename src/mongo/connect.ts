// connectMongo: one MongoClient per URI with production defaults, a ping before use, pool events, health and close.
import { MongoClient } from 'mongodb';
import type { Db, MongoClientOptions } from 'mongodb';
import { ConnectionError, isDbkitError } from '../core/errors.js';
import type { DbkitError } from '../core/errors.js';
import { createInstrumentation } from '../core/events.js';
import type { Instrumentation, OperationListener } from '../core/events.js';
import type { TracerLike } from '../core/executor.js';
import { silentLogger } from '../core/logger.js';
import type { Logger } from '../core/logger.js';
import type { RetryPolicy } from '../core/retry.js';
import { stableStringify } from '../core/stable-json.js';
import { createCursorCodec } from '../core/cursor.js';
import type { CursorCodec } from '../core/cursor.js';
import { detectCapabilities } from './capabilities.js';
import type { MongoCapabilities } from './capabilities.js';
import { mapMongoError } from './errors.js';

/**
 * The production defaults dbkit gives every client; each can be overridden through `client`.
 *
 * Every wait the driver can get stuck in is bounded, so a silent network ends in an error:
 * finding a server (`serverSelectionTimeoutMS`), opening a connection (`connectTimeoutMS`, also the
 * heartbeat's limit, which notices a dead server and clears the pool), waiting for a pooled
 * connection (`waitQueueTimeoutMS`) and waiting for an answer (`socketTimeoutMS`, a backstop that
 * frees a connection whose request was abandoned; each call's own deadline is
 * {@link ConnectMongoOptions.timeoutMs}). The installed driver (7.x) ignores the client-side
 * operation timeout `timeoutMS`, so dbkit does not rely on it.
 *
 * The driver's own retries: `retryReads` resends a read once after a network error (safe);
 * `retryWrites` resends a write once on a replica set or sharded cluster, where the server
 * deduplicates it by transaction number (safe); on a standalone server, FerretDB or
 * mongo-java-server the driver does not retry writes.
 *
 * @example
 * ```ts
 * await connectMongo({ uri, client: { ...mongoDefaults, maxPoolSize: 50 } })
 * ```
 */
export const mongoDefaults = {
  maxPoolSize: 20,
  minPoolSize: 2,
  maxIdleTimeMS: 30_000,
  connectTimeoutMS: 5_000,
  serverSelectionTimeoutMS: 5_000,
  waitQueueTimeoutMS: 5_000,
  socketTimeoutMS: 30_000,
  retryWrites: true,
  retryReads: true,
  writeConcern: { w: 'majority' },
  readPreference: 'primaryPreferred',
} as const satisfies MongoClientOptions;

/** Options for {@link connectMongo}. */
export interface ConnectMongoOptions {
  /** A `mongodb://` or `mongodb+srv://` connection string. */
  uri: string;
  /** Database name; defaults to the one in the URI, else `test`. */
  dbName?: string;
  /** Driver options layered over {@link mongoDefaults}. */
  client?: MongoClientOptions;
  /** Where connection, pool and slow-operation logs go. Default: silent. */
  logger?: Logger;
  /** Operations slower than this are logged at warn. */
  slowOperationMs?: number;
  /** Listeners for every operation's started / succeeded / failed / retry events. */
  listeners?: readonly OperationListener[];
  /**
   * dbkit's retry policy over the driver's own single retry; `false` turns it off. Default 3
   * attempts. dbkit retries reads and idempotent writes on retryable errors, and any write only when
   * the error says the server certainly did not apply it. It never retries a failed server
   * selection: the driver already waited `serverSelectionTimeoutMS` for a server.
   */
  retry?: RetryPolicy | false;
  /**
   * Default time limit of one repository call including its retries, in ms (default
   * {@link DEFAULT_MONGO_TIMEOUT_MS}, 10 s); a call's own `timeoutMs` overrides it. When it passes,
   * a read rejects with TimeoutError and a write that is not idempotent with OutcomeUnknownError.
   */
  timeoutMs?: number;
  /** An OpenTelemetry tracer (`trace.getTracer('dbkit')`). */
  tracer?: TracerLike;
  /** Secret(s) signing pagination cursors. Default `DBKIT_CURSOR_SECRET`. */
  cursorSecret?: string | readonly string[];
  /** Cursor lifetime in ms. Default: no expiry. */
  cursorTtlMs?: number;
  /**
   * Explain repository queries in the background and warn once per query shape when one scans the
   * whole collection or sorts in memory. Default: on when `NODE_ENV` is `development`.
   */
  warnOnCollectionScan?: boolean;
  /** Reuse one client for every call with the same URI and options (default true). */
  shared?: boolean;
}

/** Result of {@link MongoConnection.health}. */
export interface MongoHealth {
  ok: boolean;
  /** Round trip of a `ping`, in ms. */
  latencyMs: number;
  /** Set when `ok` is false. */
  error?: DbkitError;
}

/** A connected client and everything repositories share: logger, events, cursors, capabilities. */
export interface MongoConnection {
  readonly client: MongoClient;
  readonly db: Db;
  readonly logger: Logger;
  readonly instrumentation: Instrumentation;
  readonly retry: RetryPolicy | false;
  /** Default time limit of one repository call including retries, in ms. */
  readonly timeoutMs: number;
  readonly tracer: TracerLike | undefined;
  readonly warnOnCollectionScan: boolean;
  /** The pagination cursor codec, created on first use. */
  cursors(): CursorCodec;
  /** What this deployment supports (topology, transactions, $lookup, index kinds); detected once. */
  capabilities(): Promise<MongoCapabilities>;
  /** Pings the server within `timeoutMs` (default 2000); never throws. */
  health(timeoutMs?: number): Promise<MongoHealth>;
  /** Closes the client (graceful: waits for in-flight operations) and forgets the shared instance. */
  close(): Promise<void>;
}

/**
 * The default deadline of one repository call, retries included: long enough for a slow query
 * and a retry, short enough that a silent network answers a request before a client gives up.
 *
 * @example
 * ```ts
 * await connectMongo({ uri, timeoutMs: DEFAULT_MONGO_TIMEOUT_MS * 3 }) // a batch job
 * ```
 */
export const DEFAULT_MONGO_TIMEOUT_MS = 10_000;

/** How long `close()` waits for the driver before giving up on a server that does not answer. */
const CLOSE_TIMEOUT_MS = 2_000;

const shared = new Map<string, Promise<MongoConnection>>();

/**
 * dbkit's retry policy over the driver: the caller's (default 3 attempts), except that a failed
 * server selection is not retried, since the driver already waited serverSelectionTimeoutMS.
 */
function retryPolicy(given: RetryPolicy | false | undefined): RetryPolicy | false {
  if (given === false) return false;
  const policy = given ?? { maxAttempts: 3 };
  return {
    ...policy,
    shouldRetry: (err, attempt) =>
      !isDbkitError(err, 'connection.serverSelection') && (policy.shouldRetry?.(err, attempt) ?? true),
  };
}

/**
 * Hosts of a connection string without credentials, for messages and logs.
 *
 * @example
 * ```ts
 * redactUri('mongodb://app:secret@db1:27017,db2:27017/app') // 'db1:27017,db2:27017'
 * ```
 */
export function redactUri(uri: string): string {
  return /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(uri)?.[1] ?? '(unparseable connection string)';
}

/**
 * Connects to MongoDB with production defaults and pings before resolving. Calls with the same URI
 * and options share one client and one connect in flight, so a serverless handler can call it on
 * every invocation. A bad URI, an unreachable server or failed authentication rejects with a
 * ConnectionError within the connect / server-selection timeouts.
 *
 * @example
 * ```ts
 * const mongo = await connectMongo({ uri: process.env.MONGODB_URI!, logger: pino() })
 * const users = mongoRepository(mongo, Users)
 * process.on('SIGTERM', () => void mongo.close())
 * ```
 */
export function connectMongo(options: ConnectMongoOptions): Promise<MongoConnection> {
  if (options.shared === false) return open(options, undefined);
  const key = stableStringify({
    uri: options.uri,
    db: options.dbName,
    client: options.client ?? {},
    timeoutMs: options.timeoutMs,
  });
  const existing = shared.get(key);
  if (existing) return existing;
  const pending = open(options, key);
  shared.set(key, pending);
  pending.catch(() => shared.delete(key));
  return pending;
}

async function open(options: ConnectMongoOptions, key: string | undefined): Promise<MongoConnection> {
  const logger = options.logger ?? silentLogger;
  const hosts = redactUri(options.uri);
  const clientOptions: MongoClientOptions = { ...mongoDefaults, ...options.client };
  let client: MongoClient;
  try {
    client = new MongoClient(options.uri, clientOptions);
  } catch (err) {
    throw new ConnectionError(`The MongoDB connection string is invalid (${hosts})`, {
      engine: 'mongodb',
      operation: 'connect',
      code: 'connection.invalidUri',
      retryable: false,
      cause: err,
    });
  }
  forwardEvents(client, logger);
  const timeoutMs = clientOptions.serverSelectionTimeoutMS ?? mongoDefaults.serverSelectionTimeoutMS;
  try {
    await client.connect();
    // The ping has the same bound as the selection: a server that accepts but never answers fails too.
    await client.db('admin').command({ ping: 1 }, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    await boundedClose(client, CLOSE_TIMEOUT_MS);
    const mapped = mapMongoError(err, { operation: 'connect', target: hosts });
    // The ping's own time limit (AbortSignal.timeout) ends as a DOMException named TimeoutError.
    const silent = err instanceof Error && err.name === 'TimeoutError';
    if (silent || (mapped.kind === 'connection' && mapped.retryable)) {
      throw new ConnectionError(`Could not reach MongoDB at ${hosts} within ${timeoutMs} ms`, {
        engine: 'mongodb',
        operation: 'connect',
        target: hosts,
        code: 'connection.unreachable',
        notApplied: true,
        cause: err,
      });
    }
    throw mapped;
  }
  logger.info({ hosts }, 'mongodb: connected');
  const db = client.db(options.dbName);
  const instrumentation = createInstrumentation({
    logger,
    ...(options.slowOperationMs === undefined ? {} : { slowOperationMs: options.slowOperationMs }),
    ...(options.listeners === undefined ? {} : { listeners: options.listeners }),
  });
  let capabilities: Promise<MongoCapabilities> | undefined;
  let codec: CursorCodec | undefined;
  let closed: Promise<void> | undefined;
  const connection: MongoConnection = {
    client,
    db,
    logger,
    instrumentation,
    retry: retryPolicy(options.retry),
    timeoutMs: options.timeoutMs ?? DEFAULT_MONGO_TIMEOUT_MS,
    tracer: options.tracer,
    warnOnCollectionScan: options.warnOnCollectionScan ?? process.env.NODE_ENV === 'development',
    cursors() {
      codec ??= createCursorCodec({
        ...(options.cursorSecret === undefined ? {} : { secret: options.cursorSecret }),
        ...(options.cursorTtlMs === undefined ? {} : { ttlMs: options.cursorTtlMs }),
      });
      return codec;
    },
    capabilities() {
      if (capabilities === undefined) {
        const detecting = detectCapabilities(db);
        // A failed detection is not cached: the next call asks again.
        detecting.catch(() => {
          if (capabilities === detecting) capabilities = undefined;
        });
        capabilities = detecting;
      }
      return capabilities;
    },
    async health(timeoutMs = 2_000) {
      const begun = performance.now();
      try {
        await db.command({ ping: 1 }, { signal: AbortSignal.timeout(timeoutMs), timeoutMS: timeoutMs });
        return { ok: true, latencyMs: performance.now() - begun };
      } catch (err) {
        return {
          ok: false,
          latencyMs: performance.now() - begun,
          error: mapMongoError(err, { operation: 'health', target: hosts }),
        };
      }
    },
    close() {
      if (key !== undefined) shared.delete(key);
      // The driver ends its sessions on the server while closing; a server that stopped answering
      // must not hold close() for ever, so it is bounded and the sockets are dropped regardless.
      closed ??= boundedClose(client, CLOSE_TIMEOUT_MS).then((clean) => {
        if (clean) logger.info({ hosts }, 'mongodb: disconnected');
        else
          logger.warn({ hosts, timeoutMs: CLOSE_TIMEOUT_MS }, 'mongodb: closed without the server answering');
      });
      return closed;
    },
  };
  return connection;
}

async function boundedClose(client: MongoClient, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([
      client.close().then(
        () => true,
        () => false,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function forwardEvents(client: MongoClient, logger: Logger): void {
  client.on('connectionPoolCleared', (e) => {
    logger.warn({ address: e.address }, 'mongodb: connection pool cleared');
  });
  client.on('connectionCheckOutFailed', (e) => {
    logger.warn({ address: e.address, reason: e.reason }, 'mongodb: connection check-out failed');
  });
  client.on('connectionPoolCreated', (e) => {
    logger.debug({ address: e.address }, 'mongodb: connection pool created');
  });
  client.on('connectionPoolClosed', (e) => {
    logger.debug({ address: e.address }, 'mongodb: connection pool closed');
  });
  client.on('serverHeartbeatFailed', (e) => {
    logger.warn({ address: e.connectionId, error: e.failure.message }, 'mongodb: server heartbeat failed');
  });
  client.on('topologyDescriptionChanged', (e) => {
    if (e.previousDescription.type !== e.newDescription.type) {
      logger.info(
        { from: e.previousDescription.type, to: e.newDescription.type },
        'mongodb: topology changed',
      );
    }
  });
  client.on('serverDescriptionChanged', (e) => {
    if (e.previousDescription.type !== e.newDescription.type) {
      logger.info(
        { address: e.address, from: e.previousDescription.type, to: e.newDescription.type },
        'mongodb: server changed',
      );
    }
  });
}
