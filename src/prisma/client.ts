// Prisma client lifecycle: one client per process (kept on globalThis outside production), log routing, slow queries, pool figures, graceful shutdown.
import type { Capabilities } from '../core/capabilities.js';
import { createInstrumentation, silentLogger } from '../core/internal.js';
import type { Instrumentation, Logger } from '../core/internal.js';
import { prismaCapabilities } from './capabilities.js';
import type { PrismaEngine } from './errors.js';
import { dbkitExtension } from './extension.js';
import type { DbkitExtension, DbkitExtensionOptions } from './extension.js';
import { applyPoolTimeouts, defaultPoolTimeouts } from './pool-config.js';
import type { ConfigurablePool, PoolTimeouts } from './pool-config.js';
import { guardPool } from './pool-guard.js';
import type { GuardablePool } from './pool-guard.js';
import { monitorPool, poolStats } from './pool-stats.js';
import type { PoolLike, PoolMonitor, PoolMonitorOptions, PoolStats } from './pool-stats.js';
import { slowQueryListener } from './slow-query.js';
import type { PrismaQueryEvent } from './slow-query.js';

/**
 * A driver adapter factory (`new PrismaPg(pool)`, `new PrismaPGlite(pglite)`), as far as dbkit reads it.
 *
 * @example
 * ```ts
 * const adapter: AdapterLike = new PrismaPg(pool) // adapterName '@prisma/adapter-pg'
 * ```
 */
export interface AdapterLike {
  readonly adapterName: string;
  readonly provider: string;
}

/**
 * One entry of Prisma's `log` option, as `createPrisma` builds it.
 *
 * @example
 * ```ts
 * const entry: PrismaLogDefinition = { level: 'warn', emit: 'event' }
 * ```
 */
export interface PrismaLogDefinition {
  level: 'query' | 'info' | 'warn' | 'error';
  emit: 'event';
}

/**
 * What `create` receives: hand it to the generated client's constructor as it is.
 *
 * @example
 * ```ts
 * createPrisma({ adapter, create: (options: ClientConstructorOptions<PrismaPg>) => new PrismaClient(options) })
 * ```
 */
export interface ClientConstructorOptions<A extends AdapterLike> {
  adapter: A;
  log: PrismaLogDefinition[];
}

/**
 * The lifecycle methods every Prisma client has.
 *
 * @example
 * ```ts
 * const base: BaseClientLike = new PrismaClient({ adapter })
 * ```
 */
export interface BaseClientLike {
  $connect(): Promise<void>;
  $disconnect(): Promise<void>;
}

/**
 * Options of {@link createPrisma}.
 *
 * @example
 * ```ts
 * const options: CreatePrismaOptions<PrismaPg, PrismaClient, PrismaClient> = { adapter: new PrismaPg(pool), pool, create: (o) => new PrismaClient(o) }
 * ```
 */
export interface CreatePrismaOptions<A extends AdapterLike, B extends BaseClientLike, C> {
  /** The driver adapter: `new PrismaPg(pool)` or `new PrismaPGlite(pglite)`. */
  adapter: A;
  /** Builds the bare client: `(options) => new PrismaClient(options)`. */
  create: (options: ClientConstructorOptions<A>) => B;
  /** Applies the dbkit extension (and yours): `(base, dbkit) => base.$extends(dbkit)`. Default: none. */
  extend?: (base: B, dbkit: DbkitExtension) => C;
  /** The `pg.Pool` given to `PrismaPg`, for pool figures. */
  pool?: PoolLike;
  /** Called once on close, after `$disconnect`: end the pool, close PGlite. */
  onClose?: () => Promise<void> | void;
  /** Registry key: one client per name per process. Default `default`. */
  name?: string;
  /** Default `process.env.NODE_ENV`. `development` logs every statement at debug and turns N+1 detection on. */
  env?: string;
  logger?: Logger;
  /** Default: a bus over `logger`. */
  instrumentation?: Instrumentation;
  /** Statements at least this slow go to the slow-operation log. Default 500; `false` turns it off. */
  slowQueryMs?: number | false;
  /** Log parameter values of slow statements (default: redacted). */
  logParams?: boolean | ((query: string) => boolean);
  /** Signals that close the clients before the process ends. Default SIGTERM, SIGINT (and beforeExit); `false` for none. */
  shutdownSignals?: readonly NodeJS.Signals[] | false;
  /** Pool figures reporting (needs `pool`). */
  poolMonitor?: PoolMonitorOptions;
  /**
   * Time limits filled into the pg pool's options where unset (the `pool` given, or the config of a
   * `new PrismaPg(config)`), so a silent database ends in errors and frees connections. Default
   * {@link defaultPoolTimeouts}; `false` leaves the pool as it is.
   */
  poolTimeouts?: Partial<PoolTimeouts> | false;
  /** Passed to the dbkit extension. */
  extension?: Omit<DbkitExtensionOptions, 'engine' | 'instrumentation'>;
}

/**
 * A managed client: the client to use, its lifecycle, its engine and capabilities.
 *
 * @example
 * ```ts
 * const db = createPrisma({ adapter, create: (o) => new PrismaClient(o), extend: (base, dbkit) => base.$extends(dbkit) })
 * await db.client.user.findMany()
 * await db.close()
 * ```
 */
export interface DbkitPrisma<B, C> {
  /** The client to use: extended by `extend`, else the bare client. */
  readonly client: C;
  /** The bare client (for `$on`, and for what extensions cannot do). */
  readonly base: B;
  readonly engine: PrismaEngine;
  /** What the engine supports ({@link prismaCapabilities}): transactions, partial indexes and joins. */
  readonly capabilities: Readonly<Capabilities>;
  readonly instrumentation: Instrumentation;
  /** The pool's figures now, when a `pool` was given. */
  poolStats(): PoolStats | undefined;
  /** Disconnects, runs `onClose`, and forgets the client (a later `createPrisma` builds a new one). */
  close(): Promise<void>;
}

interface Registry {
  clients: Map<string, DbkitPrisma<unknown, unknown>>;
  shutdownInstalled: boolean;
}

const REGISTRY = Symbol.for('dbkit.prisma.registry');
const moduleRegistry: Registry = { clients: new Map(), shutdownInstalled: false };

/** Outside production the registry lives on globalThis, so a hot reload finds the client instead of leaking a pool. */
function registry(env: string | undefined): Registry {
  if (env === 'production') return moduleRegistry;
  const holder = globalThis as typeof globalThis & { [REGISTRY]?: Registry };
  const found = holder[REGISTRY] ?? { clients: new Map(), shutdownInstalled: false };
  holder[REGISTRY] = found;
  return found;
}

/**
 * The `log` option by environment: statements as events everywhere the slow-query log or development
 * needs them, `info` in development, `warn` and `error` always; all routed to the logger, never stdout.
 *
 * @example
 * ```ts
 * logDefinitions('production', 500) // query, warn, error
 * ```
 */
export function logDefinitions(env: string | undefined, slowQueryMs: number | false): PrismaLogDefinition[] {
  const levels: PrismaLogDefinition['level'][] = ['warn', 'error'];
  if (env === 'development') levels.unshift('info');
  if (env === 'development' || slowQueryMs !== false) levels.unshift('query');
  return levels.map((level) => ({ level, emit: 'event' }));
}

/** The config of a `new PrismaPg(config)` that builds its own pool on connect, if that is the adapter. */
function ownPoolConfig(adapter: AdapterLike): ConfigurablePool | undefined {
  const factory = adapter as AdapterLike & { externalPool?: unknown; config?: unknown };
  if (factory.externalPool !== null || typeof factory.config !== 'object' || factory.config === null)
    return undefined;
  return { options: factory.config };
}

/**
 * Installs {@link guardPool} on every pg pool behind the adapter: the one given, the one given to
 * `new PrismaPg(pool)`, or the one `new PrismaPg(config)` builds when Prisma connects.
 */
function guardAdapterPools(adapter: AdapterLike, pool: unknown, onDiscard: (reason: string) => void): void {
  const factory = adapter as AdapterLike & {
    externalPool?: unknown;
    connect?: () => Promise<{ underlyingDriver?: () => unknown }>;
  };
  guardPool(pool as GuardablePool | undefined, onDiscard);
  if (factory.externalPool !== undefined && factory.externalPool !== null) {
    guardPool(factory.externalPool, onDiscard);
    return;
  }
  if (factory.externalPool !== null || typeof factory.connect !== 'function') return;
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const connected = await connect();
    guardPool(connected.underlyingDriver?.() as GuardablePool | undefined, onDiscard);
    return connected;
  };
}

type EventClient = { $on(event: string, listener: (e: unknown) => void): void };

function installShutdown(reg: Registry, signals: readonly NodeJS.Signals[]): void {
  if (reg.shutdownInstalled) return;
  reg.shutdownInstalled = true;
  const closeAll = async (): Promise<void> => {
    await Promise.allSettled([...reg.clients.values()].map((c) => c.close()));
  };
  for (const signal of signals) {
    process.once(signal, () => {
      void closeAll().finally(() => {
        // Nobody else handles the signal: restore its default effect (the process ends).
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    });
  }
  process.once('beforeExit', () => {
    void closeAll();
  });
}

/**
 * Creates (or returns the existing) managed Prisma client: one per process and name, kept on
 * `globalThis` outside production so hot reloads reuse it, and reused across warm serverless
 * invocations; disconnected on SIGTERM / SIGINT / beforeExit. Prisma's log goes to `logger` by
 * `NODE_ENV`, slow statements to the slow-operation log (parameters redacted), pool figures to the
 * instrumentation. The pool gets safe time limits where it sets none ({@link defaultPoolTimeouts}) and
 * every operation a 10 s limit (`extension.timeoutMs`), so a silent database ends in typed errors.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })
 * export const db = createPrisma({
 *   adapter: new PrismaPg(pool), pool, onClose: () => pool.end(), logger: pino(),
 *   create: (options) => new PrismaClient(options),
 *   extend: (base, dbkit) => base.$extends(dbkit),
 * })
 * const user = await db.client.user.findUnique({ where: { id } })
 * ```
 */
export function createPrisma<A extends AdapterLike, B extends BaseClientLike, C = B>(
  options: CreatePrismaOptions<A, B, C>,
): DbkitPrisma<B, C> {
  const env = options.env ?? process.env.NODE_ENV;
  const name = options.name ?? 'default';
  const reg = registry(env);
  const existing = reg.clients.get(name);
  if (existing !== undefined) return existing as DbkitPrisma<B, C>;

  const logger = options.logger ?? options.instrumentation?.logger ?? silentLogger;
  const instrumentation = options.instrumentation ?? createInstrumentation({ logger });
  const engine: PrismaEngine = /pglite/i.test(options.adapter.adapterName) ? 'pglite' : 'postgres';
  const slowQueryMs = options.slowQueryMs ?? 500;
  const base = options.create({ adapter: options.adapter, log: logDefinitions(env, slowQueryMs) });
  const events = base as unknown as EventClient;
  const onQuery = slowQueryListener({
    thresholdMs: slowQueryMs === false ? Number.POSITIVE_INFINITY : slowQueryMs,
    logger,
    engine,
    logAll: env === 'development',
    ...(options.logParams === undefined ? {} : { logParams: options.logParams }),
  });
  if (env === 'development' || slowQueryMs !== false)
    events.$on('query', (e) => {
      onQuery(e as PrismaQueryEvent);
    });
  for (const level of ['info', 'warn', 'error'] as const) {
    if (level === 'info' && env !== 'development') continue;
    events.$on(level, (e) => {
      logger[level]({ engine, message: (e as { message?: unknown }).message }, `prisma: ${level}`);
    });
  }
  const extension = dbkitExtension({
    ...options.extension,
    engine,
    instrumentation,
    ...(options.extension?.nPlusOne === undefined && env === 'development' ? { nPlusOne: { logger } } : {}),
  });
  const client = options.extend ? options.extend(base, extension) : (base as unknown as C);
  const { pool } = options;
  if (options.poolTimeouts !== false) {
    // Before the first query: pg reads these whenever it opens a connection.
    const target = pool ?? ownPoolConfig(options.adapter);
    const applied =
      target === undefined ? [] : applyPoolTimeouts(target, options.poolTimeouts ?? defaultPoolTimeouts);
    // Connections opened before (e.g. by migrations) keep running without these limits until replaced.
    if (applied.length > 0 && pool !== undefined && pool.totalCount > 0)
      logger.warn(
        { engine, applied, open: pool.totalCount },
        'dbkit: pool time limits set after connections were opened; pass them to new pg.Pool() instead',
      );
  }
  // A connection handed back inside a transaction (its ROLLBACK lost on a silent network) is closed,
  // never reused: the next transaction on it would commit the abandoned one's writes.
  const onDiscard = (reason: string): void => {
    logger.warn({ engine, reason }, 'dbkit: closed a pooled connection handed back mid-transaction');
  };
  guardAdapterPools(options.adapter, pool, onDiscard);
  // An idle client dropped by the server (restart, failover, admin kill) must not crash the process:
  // pg.Pool emits it as an 'error' event, fatal without a listener. The pool replaces the client.
  pool?.on?.('error', (err) => {
    logger.warn({ err, engine }, 'dbkit: the database closed an idle pooled connection');
  });
  const monitor: PoolMonitor | undefined = pool
    ? monitorPool(pool, instrumentation, options.poolMonitor)
    : undefined;

  let closing: Promise<void> | undefined;
  const managed: DbkitPrisma<B, C> = {
    client,
    base,
    engine,
    capabilities: prismaCapabilities,
    instrumentation,
    poolStats: () => (pool ? poolStats(pool) : undefined),
    close() {
      closing ??= (async () => {
        if (reg.clients.get(name) === managed) reg.clients.delete(name);
        monitor?.stop();
        try {
          await base.$disconnect();
        } finally {
          await options.onClose?.();
        }
      })();
      return closing;
    },
  };
  reg.clients.set(name, managed);
  if (options.shutdownSignals !== false)
    installShutdown(reg, options.shutdownSignals ?? ['SIGTERM', 'SIGINT']);
  return managed;
}
