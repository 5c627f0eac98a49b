// Per-schema plugin state (instrumentation, cursor codec, guard settings) and per-connection capabilities.
import type { Db } from 'mongodb';
import type { Connection, Schema } from 'mongoose';
import { createCursorCodec } from '../core/cursor.js';
import type { CursorCodec } from '../core/cursor.js';
import { ValidationError } from '../core/errors.js';
import { createInstrumentation } from '../core/events.js';
import type { Instrumentation, OperationListener } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { detectCapabilities } from '../mongo/capabilities.js';
import type { MongoCapabilities } from '../mongo/capabilities.js';
import type { MongoConnection } from '../mongo/client-options.js';

/**
 * Options for {@link dbkitPlugin}.
 *
 * @example
 * ```ts
 * userSchema.plugin(dbkitPlugin, { connection: dbkit, searchable: ['name'] } satisfies DbkitPluginOptions)
 * ```
 */
export interface DbkitPluginOptions {
  /**
   * A dbkit connection (usually `connectMongo({ client: mongoose.connection.getClient() })`) whose
   * instrumentation and cursor codec the models share with dbkit repositories.
   */
  connection?: MongoConnection;
  /** Where operation events go when no `connection` is given. */
  instrumentation?: Instrumentation;
  /** Used to build an instrumentation when neither `connection` nor `instrumentation` is given. */
  logger?: Logger;
  /** Queries slower than this are logged at warn (with `logger`). */
  slowOperationMs?: number;
  /** Listeners for every query's started / succeeded / failed events. */
  listeners?: readonly OperationListener[];
  /** Secret(s) signing `paginate` cursors when no `connection` is given. Default `DBKIT_CURSOR_SECRET`. */
  cursorSecret?: string | readonly string[];
  /** Cursor lifetime in ms. Default: no expiry. */
  cursorTtlMs?: number;
  /** Fields where `op.regex` patterns run as given; elsewhere they are escaped to literals. */
  searchable?: readonly string[];
}

/** @internal What the plugin keeps for one schema. */
export interface PluginState {
  readonly instrumentation: Instrumentation;
  cursors(): CursorCodec;
  readonly searchable: ReadonlySet<string>;
}

const states = new WeakMap<Schema, PluginState>();

/** @internal Builds and remembers the state of a schema the plugin is applied to. */
export function attachState(schema: Schema, options: DbkitPluginOptions): PluginState {
  const { connection } = options;
  let codec: CursorCodec | undefined;
  const state: PluginState = {
    instrumentation:
      connection?.instrumentation ??
      options.instrumentation ??
      createInstrumentation({
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        ...(options.slowOperationMs === undefined ? {} : { slowOperationMs: options.slowOperationMs }),
        ...(options.listeners === undefined ? {} : { listeners: options.listeners }),
      }),
    cursors() {
      if (connection !== undefined) return connection.cursors();
      codec ??= createCursorCodec({
        ...(options.cursorSecret === undefined ? {} : { secret: options.cursorSecret }),
        ...(options.cursorTtlMs === undefined ? {} : { ttlMs: options.cursorTtlMs }),
      });
      return codec;
    },
    searchable: new Set(options.searchable ?? []),
  };
  states.set(schema, state);
  return state;
}

/** @internal The state of a schema, or a ValidationError saying the plugin is missing. */
export function stateOf(schema: Schema, model: string): PluginState {
  const state = states.get(schema);
  if (state !== undefined) return state;
  throw new ValidationError(
    [
      {
        path: ['model'],
        message: 'the dbkit plugin is not applied to this schema',
        code: 'mongoose.noPlugin',
      },
    ],
    { code: 'mongoose.noPlugin', engine: 'mongodb', target: model },
  );
}

const capabilities = new WeakMap<object, Promise<MongoCapabilities>>();

/**
 * @internal What the deployment behind a Mongoose connection supports, detected once per
 * connection. Mongoose bundles its own copy of the driver; its `Db` has the same API.
 */
export function capabilitiesOf(connection: Connection): Promise<MongoCapabilities> {
  const client = connection.getClient();
  let detected = capabilities.get(client);
  if (detected === undefined) {
    const db = connection.db as unknown as Db;
    detected = detectCapabilities(db);
    // A failed detection is not cached: the next call asks again.
    detected.catch(() => capabilities.delete(client));
    capabilities.set(client, detected);
  }
  return detected;
}
