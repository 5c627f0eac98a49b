// The dbkit Prisma extension: mapped errors and events on every operation, versioned writes, keyset pages, retried transactions, N+1 warnings.
import { Prisma } from '@prisma/client/extension';
import type { ITXClientDenyList } from '@prisma/client/runtime/client';
import {
  createCursorCodec,
  createInstrumentation,
  createTelemetry,
  DbkitError,
  runOperation,
  targetFromUrl,
} from '../core/internal.js';
import type {
  CursorCodec,
  CursorCodecOptions,
  ExecutorConfig,
  Instrumentation,
  Page,
  RetryPolicy,
  TelemetryOption,
  TelemetryTarget,
} from '../core/internal.js';
import { modelCatalog } from './conflict-fields.js';
import { constraintLookup } from './constraint-lookup.js';
import { markDatabaseError, prismaErrorFacts, prismaErrorMapper } from './errors.js';
import type { PrismaEngine } from './errors.js';
import { createNPlusOneDetector } from './n-plus-one.js';
import type { NPlusOneDetector, NPlusOneOptions } from './n-plus-one.js';
import { deleteVersioned, updateVersioned } from './optimistic-lock.js';
import type { VersionedDelegate } from './optimistic-lock.js';
import { operationFor } from './operations.js';
import { paginate } from './pagination.js';
import type { FindManyDelegate, KeysetOrder } from './pagination.js';
import { transactionWithRetry } from './transaction.js';
import type { TransactionClient, TransactionOptions } from './transaction.js';

/**
 * Options of {@link dbkitExtension}.
 *
 * @example
 * ```ts
 * const prisma = new PrismaClient({ adapter }).$extends(dbkitExtension({ timeoutMs: 5_000, nPlusOne: false }))
 * ```
 */
export interface DbkitExtensionOptions {
  /** `postgres` (adapter-pg) or `pglite`; tags errors and events. Default: read from the client's adapter. */
  engine?: PrismaEngine;
  /** Receives started / succeeded / failed events for every operation. Default: a silent bus. */
  instrumentation?: Instrumentation;
  /** The codec (or its options) sealing `paginate` cursors. Default: `createCursorCodec()` on first use. */
  cursors?: CursorCodec | CursorCodecOptions;
  /** N+1 detection: a detector, its options, or `false`. Default: on when `NODE_ENV` is `development`. */
  nPlusOne?: NPlusOneDetector | NPlusOneOptions | false;
  /** Query the catalog for a constraint's columns when its name does not follow Prisma's convention. Default true. */
  constraintLookup?: boolean;
  /** Default retry policy of `$transactionWithRetry`. */
  transactionRetry?: RetryPolicy | false;
  /** The optimistic-locking column. Default `version`. */
  versionField?: string;
  /**
   * Time limit of one operation, in ms: past it the call fails with a TimeoutError (for a write,
   * an OutcomeUnknownError: it may have been applied) even if the database never answers.
   * Default 10 s. Keep it above the pool's `query_timeout`
   * and `statement_timeout` (see `defaultPoolTimeouts`), so those end a slow statement first.
   */
  timeoutMs?: number;
  /**
   * OpenTelemetry spans and the `db.client.operation.duration` histogram for every operation:
   * `true` for the global providers of `@opentelemetry/api`, or `{ tracerProvider, meterProvider }`.
   * Default off. No statement text or values are recorded.
   */
  telemetry?: TelemetryOption;
}

/** The default time limit of one operation run by the extension, in ms. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;

/**
 * Keyset pagination arguments of the model method `paginate`.
 *
 * @example
 * ```ts
 * await prisma.post.paginate({ where: { published: true }, orderBy: [{ id: 'asc' }], limit: req.query.limit, cursor: req.query.cursor })
 * ```
 */
export type PaginateModelArgs<T, A> = A & {
  orderBy: KeysetOrder<keyof Prisma.Result<T, object, 'findFirstOrThrow'> & string>;
  /** Page size, clamped by core's `pageSize` (default 25, max 1000). */
  limit?: number | undefined;
  /** The `cursor` of the previous page (`req.query.cursor` as it comes); absent, `undefined` or `null` for the first. */
  cursor?: string | null | undefined;
};

const N_PLUS_ONE_OPS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
]);
interface RawClient {
  $queryRawUnsafe(sql: string, ...values: unknown[]): PromiseLike<unknown>;
  _runtimeDataModel?: unknown;
  _engineConfig?: { adapter?: { adapterName?: string; config?: unknown } };
}

// Where a `pg` adapter connects, from its pool configuration (host, port, database or a URL).
function pgTarget(client: RawClient): Pick<TelemetryTarget, 'namespace' | 'serverAddress' | 'serverPort'> {
  const config = client._engineConfig?.adapter?.config;
  if (typeof config !== 'object' || config === null) return {};
  const { connectionString, host, port, database } = config as Record<string, unknown>;
  const target: TelemetryTarget =
    typeof connectionString === 'string' ? targetFromUrl(connectionString, 5432) : {};
  if (typeof host === 'string' && !host.startsWith('/')) target.serverAddress = host;
  if (typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port)))
    target.serverPort = Number(port);
  else if (target.serverAddress !== undefined) target.serverPort ??= 5432;
  if (typeof database === 'string') target.namespace = database;
  return target;
}

function detectEngine(client: RawClient): PrismaEngine {
  return /pglite/i.test(client._engineConfig?.adapter?.adapterName ?? '') ? 'pglite' : 'postgres';
}

/** The stack Prisma captured where the caller made the query (kept unless `errorFormat: 'minimal'`). */
function callSiteStack(params: object): string | undefined {
  const internal = (params as { __internalParams?: { callsite?: { _error?: { stack?: unknown } } } })
    .__internalParams;
  const stack = internal?.callsite?._error?.stack;
  return typeof stack === 'string' ? stack : undefined;
}

function detectorOf(option: DbkitExtensionOptions['nPlusOne']): NPlusOneDetector | undefined {
  if (option === false) return undefined;
  if (option !== undefined && 'record' in option) return option;
  if (option === undefined && process.env.NODE_ENV !== 'development') return undefined;
  return createNPlusOneDetector(option);
}

/**
 * The dbkit extension for a Prisma 7 client. Every operation (model and raw) runs through core's
 * `execute` with Prisma's errors mapped into dbkit's taxonomy (P2002 names the conflicting fields on
 * both adapters) and events emitted; models gain `updateVersioned`, `deleteVersioned` and `paginate`;
 * the client gains `$transactionWithRetry`. Statements are not retried one by one (inside an
 * interactive transaction that would be wrong); whole transactions are.
 *
 * @example
 * ```ts
 * const prisma = new PrismaClient({ adapter }).$extends(dbkitExtension({ instrumentation }))
 * const page = await prisma.post.paginate({ where: { published: true }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: 50 })
 * await prisma.user.updateVersioned({ where: { id }, data: { name: 'Ada' }, expectedVersion: user.version })
 * ```
 */
export function dbkitExtension(options: DbkitExtensionOptions = {}) {
  const instrumentation = options.instrumentation ?? createInstrumentation();
  const detector = detectorOf(options.nPlusOne);
  const versionField = options.versionField ?? 'version';
  let codec: CursorCodec | undefined;
  const cursors = (): CursorCodec => {
    const given = options.cursors;
    codec ??= given !== undefined && 'encode' in given ? given : createCursorCodec(given);
    return codec;
  };

  return Prisma.defineExtension((base) => {
    const raw = base as unknown as RawClient;
    const engine = options.engine ?? detectEngine(raw);
    const catalog = modelCatalog(raw._runtimeDataModel);
    const lookup = constraintLookup(options.constraintLookup === false ? undefined : raw, catalog);
    const config: ExecutorConfig = {
      instrumentation,
      retry: false,
      // Prisma cannot cancel a query: the executor only stops waiting at the limit.
      cancellable: false,
      timeoutMs: options.timeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS,
      // The one place a failure is refined, with the catalog to name a conflict's fields.
      mapError: prismaErrorMapper(engine, catalog, lookup.known),
    };
    const telemetry = createTelemetry(options.telemetry, {
      ...(engine === 'postgres' ? pgTarget(raw) : {}),
      // The table, not the model; a raw query names none.
      collectionOf: (spec) =>
        spec.target === 'raw' ? undefined : (catalog.byModel(spec.target)?.table ?? spec.target),
      statusCodeOf: (error) => {
        // The driver's error under dbkit's wrappers (an unknown outcome wraps the mapped error).
        let cause = error.cause;
        while (cause instanceof DbkitError) cause = cause.cause;
        const facts = prismaErrorFacts(cause);
        return facts.sqlState ?? facts.prismaCode;
      },
    });
    if (telemetry !== undefined) config.telemetry = telemetry;

    return base.$extends({
      name: 'dbkit',
      query: {
        $allOperations(params) {
          const { model, operation, args, query } = params;
          if (detector !== undefined && model !== undefined && N_PLUS_ONE_OPS.has(operation)) {
            detector.record(model, operation, args, () => callSiteStack(params));
          }
          // A conflict whose constraint only the catalog can name is looked up before the error
          // reaches `mapError` (which is synchronous); the error itself is rethrown as it came.
          const send = (): Promise<unknown> =>
            query(args).then(undefined, async (err: unknown) => {
              await lookup.prepare(err, model);
              throw err;
            });
          // Every error out of here is the database's: marked so that `$transactionWithRetry` tells
          // it from the caller's own errors thrown in its callback.
          return runOperation(config, operationFor(engine, operation, args), model ?? 'raw', send).catch(
            (err: unknown) => {
              throw markDatabaseError(err);
            },
          );
        },
      },
      model: {
        $allModels: {
          /** Updates only at `expectedVersion`, bumping it; VersionConflictError or NotFoundError otherwise. */
          async updateVersioned<T, A extends Prisma.Args<T, 'update'>>(
            this: T,
            args: A & { expectedVersion: number },
          ): Promise<Prisma.Result<T, A, 'update'>> {
            const ctx = Prisma.getExtensionContext(this) as unknown as VersionedDelegate & { $name: string };
            return updateVersioned(ctx, args, { model: ctx.$name, engine, versionField });
          },
          /** Deletes only at `expectedVersion`; VersionConflictError or NotFoundError otherwise. */
          async deleteVersioned<T>(
            this: T,
            args: { where: Prisma.Args<T, 'delete'>['where']; expectedVersion: number },
          ): Promise<void> {
            const ctx = Prisma.getExtensionContext(this) as unknown as VersionedDelegate & { $name: string };
            await deleteVersioned(ctx, args, { model: ctx.$name, engine, versionField });
          },
          /** One keyset page and the signed cursor of the next (`null` on the last page). */
          async paginate<T, A extends Pick<Prisma.Args<T, 'findMany'>, 'where' | 'select' | 'include'>>(
            this: T,
            args: PaginateModelArgs<T, A>,
          ): Promise<Page<Prisma.Result<T, A, 'findFirstOrThrow'>>> {
            const ctx = Prisma.getExtensionContext(this) as unknown as FindManyDelegate & { $name: string };
            return paginate(ctx, args, { model: ctx.$name, codec: cursors() });
          },
        },
      },
      client: {
        /** An interactive transaction retried on serialization failures and deadlocks. */
        $transactionWithRetry<T, R>(
          this: T,
          fn: (tx: Omit<T, ITXClientDenyList>, attempt: number) => Promise<R>,
          txOptions: TransactionOptions = {},
        ): Promise<R> {
          const client = Prisma.getExtensionContext(this) as unknown as TransactionClient<
            Omit<T, ITXClientDenyList>
          >;
          const retry = txOptions.retry ?? options.transactionRetry;
          return transactionWithRetry(
            client,
            fn,
            { ...txOptions, ...(retry === undefined ? {} : { retry }) },
            { engine, instrumentation, ...(telemetry === undefined ? {} : { telemetry }) },
          );
        },
      },
    });
  });
}

/**
 * The dbkit extension's type, for helpers that take it.
 *
 * @example
 * ```ts
 * function withDbkit(base: PrismaClient, dbkit: DbkitExtension) { return base.$extends(dbkit) }
 * ```
 */
export type DbkitExtension = ReturnType<typeof dbkitExtension>;
