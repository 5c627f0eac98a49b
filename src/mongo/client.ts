// connectMongo: one MongoClient per URI with production defaults, a ping before use, pool events, health and close.
import { MongoClient } from 'mongodb';
import type { Db, MongoClientOptions } from 'mongodb';
import { ConnectionError, isDbkitError } from '../core/errors.js';
import type { DbkitError } from '../core/errors.js';
import { createInstrumentation } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import type { Logger } from '../core/logger.js';
import type { RetryPolicy } from '../core/retry.js';
import { stableStringify } from '../core/stable-json.js';
import { createCursorCodec } from '../core/cursor.js';
import type { CursorCodec } from '../core/cursor.js';
import { detectCapabilities } from './capabilities.js';
import type { MongoCapabilities } from './capabilities.js';
import { mapMongoError } from './errors.js';
import { assertSameBsonMajor } from './bson-version.js';
import { insecureTransport } from './transport-check.js';
import type {
  ConnectMongoInput,
  ConnectMongoOptions,
  MongoConnection,
  MongoConnectionSettings,
} from './client-options.js';

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

// Connection strings already warned about: a serverless handler connects on every invocation.
const warnedInsecure = new Set<string>();

// Credentials and data in the clear beyond this machine: dbkit connects, but says so once.
function warnIfInsecure(options: ConnectMongoOptions): void {
  const problem = insecureTransport(options.uri, options.client);
  if (problem === undefined || warnedInsecure.has(options.uri)) return;
  warnedInsecure.add(options.uri);
  (options.logger ?? silentLogger).warn(
    { hosts: redactUri(options.uri) },
    `dbkit: connecting to MongoDB with ${problem}; use TLS and authentication outside loopback (docs/security.md)`,
  );
}

/** One pool dbkit opened, shared by every holder with the same URI and driver options. */
interface PoolEntry {
  readonly client: Promise<MongoClient>;
  holders: number;
}

// Keyed by URI + driver options only: everything else (logger, retry, cursors, ...) is per holder.
const pools = new Map<string, PoolEntry>();

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
 * Connects to MongoDB with production defaults and pings before resolving. Every call returns its
 * own connection object (its logger, events, cursors, retry policy and time limit), while calls
 * with the same URI and driver options share one pool and one connect in flight, so a serverless
 * handler can call it on every invocation; the pool closes when its last holder closes. Pass
 * `client` or `db` instead of `uri` to build on a client the application already has (including
 * Mongoose's `mongoose.connection.getClient()`): one pool serves both, and dbkit never closes it.
 * A bad URI, an unreachable server or failed authentication rejects with a ConnectionError within
 * the connect / server-selection timeouts.
 *
 * @example
 * ```ts
 * const mongo = await connectMongo({ uri: process.env.MONGODB_URI!, logger: pino() })
 * const users = mongoRepository(mongo, Users)
 * process.on('SIGTERM', () => void mongo.close())
 * // alongside Mongoose, on its pool:
 * const shared = await connectMongo({ client: mongoose.connection.getClient() })
 * ```
 */
export async function connectMongo(options: ConnectMongoInput): Promise<MongoConnection> {
  if (options.db !== undefined) {
    const db = options.db as Db;
    const client = (db as Db & { client: MongoClient }).client;
    assertSameBsonMajor(client);
    await ping(client, db, options.logger ?? silentLogger, hostsOf(client));
    return holder(options, client, db, () => Promise.resolve());
  }
  if (options.uri === undefined) {
    // Another copy of the driver has the same API; only its TypeScript class differs.
    const client = options.client as MongoClient;
    assertSameBsonMajor(client);
    await ping(client, client.db(options.dbName), options.logger ?? silentLogger, hostsOf(client));
    return holder(options, client, client.db(options.dbName), () => Promise.resolve());
  }
  const uriOptions = options;
  warnIfInsecure(uriOptions);
  if (uriOptions.shared === false) {
    const client = await openClient(uriOptions, uriOptions.logger ?? silentLogger);
    return holder(uriOptions, client, client.db(uriOptions.dbName), () => closeClient(client, uriOptions));
  }
  const key = stableStringify({ uri: uriOptions.uri, client: uriOptions.client ?? {} });
  let entry = pools.get(key);
  if (entry === undefined) {
    const created: PoolEntry = {
      client: openClient(uriOptions, uriOptions.logger ?? silentLogger),
      holders: 0,
    };
    entry = created;
    pools.set(key, created);
    // A failed connect is forgotten, so the next call tries again.
    created.client.catch(() => {
      if (pools.get(key) === created) pools.delete(key);
    });
  }
  const pool = entry;
  pool.holders += 1;
  let client: MongoClient;
  try {
    client = await pool.client;
  } catch (err) {
    pool.holders -= 1;
    throw err;
  }
  return holder(uriOptions, client, client.db(uriOptions.dbName), async () => {
    pool.holders -= 1;
    if (pool.holders > 0) return;
    if (pools.get(key) === pool) pools.delete(key);
    await closeClient(client, uriOptions);
  });
}

function hostsOf(client: MongoClient): string {
  const hosts = (client.options as { hosts?: readonly { toString(): string }[] } | undefined)?.hosts;
  return hosts === undefined ? 'MongoDB' : hosts.map((h) => h.toString()).join(',');
}

async function openClient(options: ConnectMongoOptions, logger: Logger): Promise<MongoClient> {
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
  // Pool events reach the logger of the caller that opened the pool, for the pool's lifetime.
  forwardEvents(client, logger);
  try {
    await client.connect();
  } catch (err) {
    await boundedClose(client, CLOSE_TIMEOUT_MS);
    throw connectError(err, hosts, clientOptions.serverSelectionTimeoutMS);
  }
  try {
    await ping(client, client.db('admin'), logger, hosts);
  } catch (err) {
    await boundedClose(client, CLOSE_TIMEOUT_MS);
    throw err;
  }
  return client;
}

async function closeClient(client: MongoClient, options: ConnectMongoOptions): Promise<void> {
  const logger = options.logger ?? silentLogger;
  const hosts = redactUri(options.uri);
  // The driver ends its sessions on the server while closing; a server that stopped answering
  // must not hold close() for ever, so it is bounded and the sockets are dropped regardless.
  const clean = await boundedClose(client, CLOSE_TIMEOUT_MS);
  if (clean) logger.info({ hosts }, 'mongodb: disconnected');
  else logger.warn({ hosts, timeoutMs: CLOSE_TIMEOUT_MS }, 'mongodb: closed without the server answering');
}

/** A ping bounded like server selection: a server that accepts but never answers fails too. */
async function ping(client: MongoClient, db: Db, logger: Logger, hosts: string): Promise<void> {
  const timeoutMs = (client.options as { serverSelectionTimeoutMS?: number } | undefined)
    ?.serverSelectionTimeoutMS;
  try {
    await db.command(
      { ping: 1 },
      { signal: AbortSignal.timeout(timeoutMs ?? mongoDefaults.serverSelectionTimeoutMS) },
    );
  } catch (err) {
    throw connectError(err, hosts, timeoutMs);
  }
  logger.info({ hosts }, 'mongodb: connected');
}

/** A failed connect or ping: unreachable servers become one retryable ConnectionError. */
function connectError(err: unknown, hosts: string, timeoutMs: number | undefined): DbkitError {
  const mapped = mapMongoError(err, { operation: 'connect', target: hosts });
  // The ping's own time limit (AbortSignal.timeout) ends as a DOMException named TimeoutError.
  const silent = err instanceof Error && err.name === 'TimeoutError';
  if (silent || (mapped.kind === 'connection' && mapped.retryable)) {
    const limit = timeoutMs ?? mongoDefaults.serverSelectionTimeoutMS;
    return new ConnectionError(`Could not reach MongoDB at ${hosts} within ${limit} ms`, {
      engine: 'mongodb',
      operation: 'connect',
      target: hosts,
      code: 'connection.unreachable',
      notApplied: true,
      cause: err,
    });
  }
  return mapped;
}

/** One caller's connection object over a (possibly shared) client: its own settings and state. */
function holder(
  options: MongoConnectionSettings,
  client: MongoClient,
  db: Db,
  release: () => Promise<void>,
): MongoConnection {
  const logger = options.logger ?? silentLogger;
  const hosts = hostsOf(client);
  const instrumentation = createInstrumentation({
    logger,
    ...(options.slowOperationMs === undefined ? {} : { slowOperationMs: options.slowOperationMs }),
    ...(options.listeners === undefined ? {} : { listeners: options.listeners }),
  });
  let capabilities: Promise<MongoCapabilities> | undefined;
  let codec: CursorCodec | undefined;
  let closing: Promise<void> | undefined;
  const closedError = (operation: string): ConnectionError =>
    new ConnectionError('This MongoDB connection was closed by its holder; connect again to use it', {
      engine: 'mongodb',
      operation,
      code: 'connection.closed',
      retryable: false,
      notApplied: true,
    });
  const connection: MongoConnection = {
    client,
    db,
    logger,
    instrumentation,
    retry: retryPolicy(options.retry),
    timeoutMs: options.timeoutMs ?? DEFAULT_MONGO_TIMEOUT_MS,
    tracer: options.tracer,
    telemetry: options.telemetry,
    warnOnCollectionScan: options.warnOnCollectionScan ?? process.env.NODE_ENV === 'development',
    get closed() {
      return closing !== undefined;
    },
    assertOpen(operation = 'operation') {
      if (closing !== undefined) throw closedError(operation);
    },
    cursors() {
      codec ??= createCursorCodec({
        ...(options.cursorSecret === undefined ? {} : { secret: options.cursorSecret }),
        ...(options.cursorTtlMs === undefined ? {} : { ttlMs: options.cursorTtlMs }),
      });
      return codec;
    },
    capabilities() {
      if (closing !== undefined) return Promise.reject(closedError('capabilities'));
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
      if (closing !== undefined) return { ok: false, latencyMs: 0, error: closedError('health') };
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
      closing ??= release();
      return closing;
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
