// The options and the connection object of connectMongo: what each caller chooses, and what repositories share.
import type { Db, MongoClient, MongoClientOptions } from 'mongodb';
import type { DbkitError } from '../core/errors.js';
import type { Instrumentation, OperationListener } from '../core/events.js';
import type { TracerLike } from '../core/telemetry.js';
import type { Logger } from '../core/logger.js';
import type { RetryPolicy } from '../core/retry.js';
import type { CursorCodec } from '../core/cursor.js';
import type { TelemetryOption } from '../core/telemetry.js';
import type { MongoCapabilities } from './capabilities.js';

/**
 * What every {@link connectMongo} caller chooses for itself, whoever owns the client.
 *
 * @example
 * ```ts
 * const settings: MongoConnectionSettings = { dbName: 'app', timeoutMs: 5_000 }
 * ```
 */
export interface MongoConnectionSettings {
  /** Database name; defaults to the one in the URI (or the given client's default), else `test`. */
  dbName?: string;
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
  /**
   * OpenTelemetry spans and the `db.client.operation.duration` histogram by the database semantic
   * conventions: `true` for the global providers, or `{ tracerProvider, meterProvider }`. Default off.
   */
  telemetry?: TelemetryOption;
  /** Secret(s) signing pagination cursors. Default `DBKIT_CURSOR_SECRET`. */
  cursorSecret?: string | readonly string[];
  /** Cursor lifetime in ms. Default: no expiry. */
  cursorTtlMs?: number;
  /**
   * Explain repository queries in the background and warn once per query shape when one scans the
   * whole collection or sorts in memory. Default: on when `NODE_ENV` is `development`.
   */
  warnOnCollectionScan?: boolean;
}

/**
 * {@link connectMongo} with a connection string: dbkit opens (or shares) the pool and owns it.
 *
 * @example
 * ```ts
 * const options: ConnectMongoOptions = { uri: process.env.MONGODB_URI!, dbName: 'app' }
 * ```
 */
export interface ConnectMongoOptions extends MongoConnectionSettings {
  /** A `mongodb://` or `mongodb+srv://` connection string. */
  uri: string;
  /** Driver options layered over {@link mongoDefaults}. */
  client?: MongoClientOptions;
  /**
   * Share one pool among every caller with the same URI and driver options (default true). Each
   * caller still gets its own connection object (logger, events, cursors, retry, time limit); the
   * pool closes when the last of them closes.
   */
  shared?: boolean;
  db?: never;
}

/**
 * {@link connectMongo} on a client the application already has (its own, or Mongoose's
 * `mongoose.connection.getClient()`): one pool serves both, and dbkit never closes it.
 *
 * @example
 * ```ts
 * const options: ConnectMongoClientOptions = { client: mongoose.connection.getClient() }
 * ```
 */
export interface ConnectMongoClientOptions extends MongoConnectionSettings {
  /**
   * The application's MongoClient. dbkit does not own it: `close()` leaves it open. A client from
   * another copy of the driver (Mongoose bundles its own) is accepted as a {@link ForeignMongoClient}.
   */
  client: MongoClient | ForeignMongoClient;
  uri?: never;
  db?: never;
  shared?: never;
}

/**
 * A MongoClient from another installed copy of the driver, such as the one Mongoose depends on
 * (`mongoose.connection.getClient()`): same API, but TypeScript sees a different class.
 *
 * @example
 * ```ts
 * const foreign: ForeignMongoClient = mongoose.connection.getClient()
 * ```
 */
export interface ForeignMongoClient {
  db(dbName?: string): unknown;
  startSession(...args: never[]): unknown;
  readonly options: unknown;
}

/**
 * A `Db` from another installed copy of the driver (Mongoose's `connection.db`).
 *
 * @example
 * ```ts
 * const foreign: ForeignDb = mongoose.connection.db!
 * ```
 */
export interface ForeignDb {
  readonly databaseName: string;
  collection(name: string): unknown;
}

/**
 * {@link connectMongo} on a `Db` the application already has; its client is used and never closed.
 *
 * @example
 * ```ts
 * const options: ConnectMongoDbOptions = { db: client.db('app') }
 * ```
 */
export interface ConnectMongoDbOptions extends Omit<MongoConnectionSettings, 'dbName'> {
  /** The application's database handle. dbkit does not own its client: `close()` leaves it open. */
  db: Db | ForeignDb;
  uri?: never;
  client?: never;
  shared?: never;
  dbName?: never;
}

/**
 * What {@link connectMongo} accepts: a connection string, or a client or database you already have.
 *
 * @example
 * ```ts
 * function open(input: ConnectMongoInput) { return connectMongo(input) }
 * ```
 */
export type ConnectMongoInput = ConnectMongoOptions | ConnectMongoClientOptions | ConnectMongoDbOptions;

/**
 * Result of {@link MongoConnection.health}.
 *
 * @example
 * ```ts
 * const health: MongoHealth = await mongo.health()
 * if (!health.ok) logger.warn(health, 'mongo unhealthy')
 * ```
 */
export interface MongoHealth {
  ok: boolean;
  /** Round trip of a `ping`, in ms. */
  latencyMs: number;
  /** Set when `ok` is false. */
  error?: DbkitError;
}

/**
 * A connected client and everything repositories share: logger, events, cursors, capabilities.
 *
 * @example
 * ```ts
 * const mongo: MongoConnection = await connectMongo({ uri: process.env.MONGODB_URI! })
 * const users = mongoRepository(mongo, Users)
 * ```
 */
export interface MongoConnection {
  readonly client: MongoClient;
  readonly db: Db;
  readonly logger: Logger;
  readonly instrumentation: Instrumentation;
  readonly retry: RetryPolicy | false;
  /** Default time limit of one repository call including retries, in ms. */
  readonly timeoutMs: number;
  readonly tracer: TracerLike | undefined;
  /** This holder's telemetry option; repositories turn it into spans and metrics. */
  readonly telemetry: TelemetryOption | undefined;
  readonly warnOnCollectionScan: boolean;
  /** The pagination cursor codec, created on first use. */
  cursors(): CursorCodec;
  /** What this deployment supports (topology, transactions, $lookup, index kinds); detected once. */
  capabilities(): Promise<MongoCapabilities>;
  /** Pings the server within `timeoutMs` (default 2000); never throws. */
  health(timeoutMs?: number): Promise<MongoHealth>;
  /**
   * Releases this holder. A pool dbkit opened closes when its last holder closes (graceful: waits
   * for in-flight operations); a client or Db you passed in is never closed. Idempotent.
   */
  close(): Promise<void>;
  /** True once this holder's `close()` was called. */
  readonly closed: boolean;
  /** Throws a ConnectionError (`connection.closed`) once this holder is closed; repositories call it first. */
  assertOpen(operation?: string): void;
}
