// What a repository's operations share: the driver collection, executor, guard settings, session and output mapping.
import type { ClientSession, Collection, Document } from 'mongodb';
import { DbkitError } from '../core/errors.js';
import type { CallOptions, ExecutorConfig } from '../core/internal.js';
import { createTelemetry } from '../core/telemetry.js';
import type { Telemetry, TelemetryTarget } from '../core/telemetry.js';
import type { CollectionDefinition } from './collection.js';
import type { MongoConnection } from './client-options.js';
import { mapMongoError } from './errors.js';
import { ScanWatcher } from './explain.js';
import type { GuardOptions } from './injection-guard.js';

/** @internal The state one repository (or one transaction-bound view of it) works with. */
export interface RepoContext {
  readonly connection: MongoConnection;
  readonly definition: CollectionDefinition;
  readonly collection: Collection;
  readonly executor: ExecutorConfig;
  readonly guard: GuardOptions;
  readonly watcher: ScanWatcher;
  readonly session: ClientSession | undefined;
  /** Throws when a transaction-bound view is used after its attempt ended. */
  readonly assertUsable: () => void;
}

// Resolved once per connection: every repository over it shares one tracer and one histogram.
const telemetryByConnection = new WeakMap<MongoConnection, Telemetry | undefined>();

// Where the connection goes: the database, and the server when there is exactly one to name.
function mongoTarget(connection: MongoConnection): TelemetryTarget {
  const target: TelemetryTarget = { namespace: connection.db.databaseName };
  const { hosts, srvHost } = connection.client.options as {
    hosts?: readonly { host?: string; port?: number }[];
    srvHost?: string;
  };
  const only = hosts?.length === 1 ? hosts[0] : undefined;
  if (srvHost !== undefined) target.serverAddress = srvHost;
  else if (only?.host !== undefined) {
    target.serverAddress = only.host;
    if (only.port !== undefined) target.serverPort = only.port;
  }
  return target;
}

// The server's numeric error code under dbkit's wrappers, e.g. `11000` for a duplicate key.
function mongoStatusCode(error: DbkitError): string | undefined {
  let cause = error.cause;
  while (cause instanceof DbkitError) cause = cause.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? String(code) : undefined;
}

function telemetryOf(connection: MongoConnection): Telemetry | undefined {
  if (telemetryByConnection.has(connection)) return telemetryByConnection.get(connection);
  const telemetry = createTelemetry(connection.telemetry, {
    ...mongoTarget(connection),
    statusCodeOf: mongoStatusCode,
  });
  telemetryByConnection.set(connection, telemetry);
  return telemetry;
}

/** @internal Builds the context for a repository over `definition`. */
export function createContext(connection: MongoConnection, definition: CollectionDefinition): RepoContext {
  const target = definition.name;
  const telemetry = telemetryOf(connection);
  return {
    connection,
    definition,
    collection: connection.db.collection(target),
    executor: {
      instrumentation: connection.instrumentation,
      retry: connection.retry,
      timeoutMs: connection.timeoutMs,
      mapError: (err, spec) =>
        mapMongoError(err, {
          operation: spec.operation,
          target: spec.target,
          uniqueIndexes: definition.uniqueIndexes,
        }),
      ...(connection.tracer === undefined ? {} : { tracer: connection.tracer }),
      ...(telemetry === undefined ? {} : { telemetry }),
    },
    guard: {
      searchable: definition.searchable,
      paths: definition.paths,
      idType: definition.idType,
      idAlias: definition.mapId,
      target,
    },
    watcher: new ScanWatcher(connection.logger),
    session: undefined,
    assertUsable: () => undefined,
  };
}

/** @internal Driver options for a read: session, abort signal and server-side time limit. */
export function readOptions(
  ctx: RepoContext,
  signal: AbortSignal | undefined,
  options: CallOptions,
): Document {
  return {
    ...(ctx.session === undefined ? {} : { session: ctx.session }),
    ...(signal === undefined ? {} : { signal }),
    // The server stops working on a read its caller has given up on.
    maxTimeMS: options.timeoutMs ?? ctx.connection.timeoutMs,
  };
}

/** @internal Driver options for a write: the session when bound to a transaction. */
export function writeOptions(ctx: RepoContext): { session?: ClientSession } {
  return ctx.session === undefined ? {} : { session: ctx.session };
}

/**
 * @internal Turns a stored document into what the repository returns: `_id` mapped to `id` when the
 * collection maps ids. Upgrading older documents is the reads' job (see reads.ts): it needs the full
 * stored document, which a projected result is not.
 */
export function toOutput(ctx: RepoContext, doc: Document): Document {
  if (!ctx.definition.mapId || !('_id' in doc)) return doc;
  const { _id, ...rest } = doc;
  return { id: String(_id), ...rest };
}
