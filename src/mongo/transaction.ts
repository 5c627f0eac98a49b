// withTransaction over the driver's convenient API: fresh state per attempt, no fallback without a replica set.
import type {
  ClientSession,
  ReadPreferenceLike,
  TransactionOptions as DriverTransactionOptions,
} from 'mongodb';
import { MongoError, WriteConcern } from 'mongodb';
import { DbkitError, TransactionCanceledError, UnsupportedError } from '../core/errors.js';
import { operationSpec } from '../core/internal.js';
import type { MongoCapabilities } from './capabilities.js';
import type { CollectionDefinition } from './collection.js';
import type { MongoConnection } from './client-options.js';
import { mapMongoError } from './errors.js';
import { mongoOperations } from './operations.js';
import type { MongoRepository } from './repository.js';

/**
 * Options for {@link withTransaction}.
 *
 * @example
 * ```ts
 * await withTransaction(mongo, async (tx) => { ... }, { timeoutMs: 5_000, maxCommitTimeMS: 1_000 })
 * ```
 */
export interface TransactionOptions {
  /** Upper bound for the whole transaction including the driver's retries, in ms (driver `timeoutMS`). */
  timeoutMs?: number;
  /** Bound on the commit, in ms. */
  maxCommitTimeMS?: number;
  /** Default `snapshot`. */
  readConcern?: 'snapshot' | 'majority' | 'local';
  /** Default `primary`: transactions must read from the primary. */
  readPreference?: ReadPreferenceLike;
}

/**
 * The context one attempt of a transaction callback gets. A fresh one is made for every attempt.
 *
 * @example
 * ```ts
 * await withTransaction(mongo, async (tx: TransactionContext) => {
 *   await tx.use(accounts).update(from, { $inc: { balance: -amount } })
 * })
 * ```
 */
export interface TransactionContext {
  /** The driver session, for driver calls dbkit does not wrap. */
  readonly session: ClientSession;
  /** 1 on the first run of the callback, 2 when the driver retries it, and so on. */
  readonly attempt: number;
  /** `repository` bound to this attempt's session; unusable once the attempt ends. */
  use<C extends CollectionDefinition>(repository: MongoRepository<C>): MongoRepository<C>;
}

function transientCause(err: unknown): MongoError | undefined {
  const cause = err instanceof DbkitError ? err.cause : undefined;
  return cause instanceof MongoError && cause.hasErrorLabel('TransientTransactionError') ? cause : undefined;
}

/**
 * The message an UnsupportedError carries when a deployment has no multi-document transactions.
 *
 * @example
 * ```ts
 * transactionsUnsupportedMessage({ flavor: 'ferretdb', topology: 'standalone', ... })
 * ```
 */
export function transactionsUnsupportedMessage(caps: MongoCapabilities): string {
  if (caps.flavor === 'ferretdb') {
    return 'Transactions are not supported by FerretDB v1 (no multi-document transactions); use MongoDB as a replica set or sharded cluster. dbkit never runs the writes without a transaction.';
  }
  if (caps.flavor === 'mongo-java-server') {
    return 'Transactions are not supported by mongo-java-server (no sessions); use MongoDB as a replica set or sharded cluster. dbkit never runs the writes without a transaction.';
  }
  return `Transactions need a MongoDB replica set or sharded cluster; this deployment is ${caps.topology}. Start mongod with --replSet (a single-node replica set works) or use Atlas. dbkit never runs the writes without a transaction.`;
}

/**
 * Throws the UnsupportedError a transaction gets on a deployment without multi-document transactions.
 *
 * @example
 * ```ts
 * requireTransactions(await connection.capabilities())
 * ```
 */
export function requireTransactions(caps: MongoCapabilities): void {
  if (caps.transactions) return;
  throw new UnsupportedError(transactionsUnsupportedMessage(caps), {
    engine: 'mongodb',
    operation: 'transaction',
    feature: 'transactions',
    code: 'unsupported.transactions',
  });
}

/**
 * Runs `fn` in a transaction through the driver's convenient API (snapshot read concern, majority
 * write concern, the driver's retries of TransientTransactionError and UnknownTransactionCommitResult).
 * The callback may run more than once: each attempt gets a fresh context, repositories bound with
 * `tx.use()` are unusable after their attempt, and dbkit caches nothing between attempts, so every
 * attempt starts from fresh reads. Errors thrown by `fn` itself abort the transaction and reach the
 * caller unchanged. On a standalone server or FerretDB it throws an UnsupportedError before
 * running anything.
 *
 * @example
 * ```ts
 * await withTransaction(mongo, async (tx) => {
 *   const from = await tx.use(accounts).findById(fromId)
 *   if (!from || from.balance < amount) throw new InsufficientFunds()
 *   await tx.use(accounts).update(fromId, { $inc: { balance: -amount } }, { returnDocument: false })
 *   await tx.use(accounts).update(toId, { $inc: { balance: amount } }, { returnDocument: false })
 *   await tx.use(transfers).create({ fromId, toId, amount })
 * })
 * ```
 */
export async function withTransaction<R>(
  connection: MongoConnection,
  fn: (tx: TransactionContext) => Promise<R>,
  options: TransactionOptions = {},
): Promise<R> {
  requireTransactions(await connection.capabilities());
  const { instrumentation } = connection;
  // Not run through the executor: the driver retries the callback and bounds it (timeoutMS).
  const spec = operationSpec(mongoOperations.transaction, connection.db.databaseName);
  const id = instrumentation.nextId();
  const begun = performance.now();
  instrumentation.emit({ ...spec, type: 'started', id, at: Date.now() });
  const session = connection.client.startSession();
  let attempts = 0;
  const driverOptions: DriverTransactionOptions = {
    readConcern: { level: options.readConcern ?? 'snapshot' },
    writeConcern: new WriteConcern('majority'),
    readPreference: options.readPreference ?? 'primary',
    ...(options.maxCommitTimeMS === undefined ? {} : { maxCommitTimeMS: options.maxCommitTimeMS }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMS: options.timeoutMs }),
  };
  try {
    const result = await session.withTransaction(async (s) => {
      attempts += 1;
      let live = true;
      const attempt = attempts;
      const assertUsable = (): void => {
        if (!live) {
          throw new TransactionCanceledError(
            `a repository bound to attempt ${attempt} of a transaction was used after that attempt ended`,
            {
              engine: 'mongodb',
              operation: 'transaction',
              code: 'transaction.staleContext',
              reasons: [],
            },
          );
        }
      };
      const tx: TransactionContext = {
        session: s,
        attempt,
        use: (repository) => repository.withSession(s, assertUsable),
      };
      try {
        return await fn(tx);
      } catch (err) {
        // The driver retries the callback only for its own error carrying the TransientTransactionError
        // label; a repository call inside the callback wrapped it, so hand the original back.
        throw transientCause(err) ?? err;
      } finally {
        live = false;
      }
    }, driverOptions);
    instrumentation.emit({
      ...spec,
      type: 'succeeded',
      id,
      at: Date.now(),
      durationMs: performance.now() - begun,
      attempts,
    });
    return result;
  } catch (err) {
    const driverError = err instanceof MongoError;
    const error =
      err instanceof DbkitError
        ? err
        : driverError
          ? mapMongoError(err, { operation: 'transaction' })
          : undefined;
    instrumentation.emit({
      ...spec,
      type: 'failed',
      id,
      at: Date.now(),
      durationMs: performance.now() - begun,
      attempts,
      error:
        error ??
        new TransactionCanceledError('the transaction callback threw', {
          engine: 'mongodb',
          operation: 'transaction',
          reasons: [],
          cause: err,
        }),
    });
    throw error ?? err;
  } finally {
    await session.endSession();
  }
}
