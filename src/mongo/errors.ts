// Maps MongoDB driver and server errors into dbkit's taxonomy, keeping the original as `cause`.
import {
  MongoClientClosedError,
  MongoError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoParseError,
  MongoServerClosedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
} from 'mongodb';
import {
  ConflictError,
  ConnectionError,
  DbkitError,
  ForbiddenError,
  InternalError,
  LimitExceededError,
  ThrottledError,
  TimeoutError,
  TransientError,
  UnsupportedError,
  ValidationError,
} from '../core/errors.js';
import type { DbkitErrorOptions } from '../core/errors.js';
import { beforeSend, CONNECT_ERRNO, systemError } from './network-errors.js';

/** A unique index as declared on a collection: its key fields and name. */
export interface UniqueIndexInfo {
  readonly name: string;
  readonly fields: readonly string[];
}

/** Where an error happened and what the collection declares, for a precise mapping. */
export interface MongoErrorContext {
  operation?: string;
  target?: string;
  /** The collection's declared unique indexes, to name the fields of a duplicate key. */
  uniqueIndexes?: readonly UniqueIndexInfo[];
}

// Server errors that refuse a command before it runs, or abort it and roll it back: the write was
// certainly not applied (a primary that is not writable rejects at dispatch; a write conflict or a
// lock timeout aborts the storage transaction).
const NOT_APPLIED_CODES = new Set([
  24, // LockTimeout
  46, // LockBusy
  112, // WriteConflict
  10107, // NotWritablePrimary
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);
const TRANSIENT_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  24, // LockTimeout
  46, // LockBusy
  64, // WriteConcernFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  112, // WriteConflict
  189, // PrimarySteppedDown
  251, // NoSuchTransaction
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);
const UNSUPPORTED_CODES = new Set([20, 59, 115, 238, 303]);
const VALIDATION_CODES = new Set([2, 9, 14, 17, 40, 52, 53, 56, 57, 66, 121, 16755]);
const TIMEOUT_CODES = new Set([50, 262, 11601]);
const THROTTLE_CODES = new Set([16500, 462]);
const SIZE_CODES = new Set([10334, 17419, 17420]);
const MAX_BSON_BYTES = 16 * 1024 * 1024;

/** The parts of a server error (or one write error of a bulk write) the mapping reads. */
interface ServerErrorShape {
  code?: unknown;
  codeName?: unknown;
  message?: unknown;
  errmsg?: unknown;
  keyPattern?: unknown;
  keyValue?: unknown;
}

function base(ctx: MongoErrorContext, cause: unknown): DbkitErrorOptions {
  return {
    engine: 'mongodb',
    cause,
    ...(ctx.operation === undefined ? {} : { operation: ctx.operation }),
    ...(ctx.target === undefined ? {} : { target: ctx.target }),
  };
}

/**
 * Names the fields of a duplicate-key error: from the server's `keyPattern` (or `keyValue`), else
 * from the declared unique index the message names, else from every declared unique index.
 *
 * @example
 * ```ts
 * duplicateKeyFields({ code: 11000, message: 'E11000 ... index: email_1 dup key: ...' }, [{ name: 'email_1', fields: ['email'] }])
 * // ['email']
 * ```
 */
export function duplicateKeyFields(
  err: ServerErrorShape,
  declared: readonly UniqueIndexInfo[] = [],
): string[] {
  for (const candidate of [err.keyPattern, err.keyValue]) {
    if (typeof candidate === 'object' && candidate !== null && Object.keys(candidate).length > 0) {
      return Object.keys(candidate);
    }
  }
  const text = messageOf(err);
  const named = /index: (\S+)/.exec(text)?.[1];
  if (named !== undefined) {
    if (named === '_id_') return ['_id'];
    const index = declared.find((i) => i.name === named);
    if (index) return [...index.fields];
  }
  return [...new Set(declared.flatMap((i) => i.fields))];
}

function messageOf(err: ServerErrorShape): string {
  if (typeof err.errmsg === 'string') return err.errmsg;
  return typeof err.message === 'string' ? err.message : '';
}

/**
 * True for a duplicate-key error (E11000) from the server or from one write of a bulk write.
 *
 * @example
 * ```ts
 * if (isDuplicateKey(err)) { ... }
 * ```
 */
export function isDuplicateKey(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const shape = err as ServerErrorShape;
  return shape.code === 11000 || shape.code === 11001 || messageOf(shape).startsWith('E11000');
}

/**
 * The ConflictError for a duplicate key, naming the conflicting fields (never their values).
 *
 * @example
 * ```ts
 * throw duplicateKeyError(err, { target: 'users', operation: 'create', uniqueIndexes })
 * ```
 */
export function duplicateKeyError(
  err: unknown,
  ctx: MongoErrorContext,
  fields?: readonly string[],
): ConflictError {
  const names = fields ?? duplicateKeyFields(err as ServerErrorShape, ctx.uniqueIndexes);
  const what = names.length > 0 ? names.join(', ') : 'a unique key';
  // Shown to API clients (409): names fields, never the collection or the driver's text.
  return new ConflictError(`a document with the same ${what} already exists`, {
    ...base(ctx, err),
    code: 'conflict.duplicateKey',
    fields: names,
  });
}

function hasLabel(err: unknown, label: string): boolean {
  return isMongo(err, MongoError) && err.hasErrorLabel(label);
}

/**
 * `instanceof` for driver errors, also for errors from another installed copy of the driver (Mongoose
 * bundles its own): their classes differ, their names along the prototype chain do not.
 *
 * @example
 * ```ts
 * isMongo(mongooseClientError, MongoNetworkError) // true for Mongoose's copy of the class too
 * ```
 */
export function isMongo<E extends Error>(err: unknown, cls: abstract new (...args: never[]) => E): err is E {
  if (err instanceof cls) return true;
  if (typeof err !== 'object' || err === null) return false;
  for (
    let p: unknown = Object.getPrototypeOf(err);
    p !== null && p !== Error.prototype;
    p = Object.getPrototypeOf(p)
  )
    if ((p as { constructor?: { name?: unknown } }).constructor?.name === cls.name) return true;
  return false;
}

/**
 * Maps any error from the MongoDB driver into a dbkit error, keeping the original as `cause`:
 *
 * - E11000 → ConflictError naming the fields (never their values, the collection or the driver text).
 * - Server selection, a refused or failed connect, a pool cleared or exhausted before the operation
 *   got a connection → ConnectionError, retryable, `notApplied: true` (nothing was sent).
 * - A network error or socket timeout after the request may have been sent → ConnectionError /
 *   TimeoutError with `notApplied: false`: the write's outcome is not known (the executor turns it
 *   into OutcomeUnknownError for writes that are not idempotent).
 * - Write-concern errors → TransientError (applied on the primary, not known to be durable).
 * - Unauthorized (13) / AuthenticationFailed (18) → ForbiddenError.
 * - Anything not recognised → InternalError (500, not retryable).
 *
 * @example
 * ```ts
 * try { await col.insertOne(doc) } catch (err) { throw mapMongoError(err, { target: 'users', operation: 'create' }) }
 * ```
 */
export function mapMongoError(err: unknown, ctx: MongoErrorContext = {}): DbkitError {
  if (err instanceof DbkitError) return err;
  const opts = base(ctx, err);
  const where = `${ctx.operation ?? 'operation'} on ${ctx.target ?? 'MongoDB'}`;
  if (isDuplicateKey(err)) return duplicateKeyError(err, ctx);
  if (isMongo(err, MongoOperationTimeoutError)) {
    return new TimeoutError(`${where} exceeded its time limit`, { ...opts, code: 'timeout.operation' });
  }
  if (isMongo(err, MongoServerSelectionError)) {
    return new ConnectionError(
      `${where}: no MongoDB server available (${err.reason?.type ?? 'unknown topology'})`,
      { ...opts, code: 'connection.serverSelection', notApplied: true },
    );
  }
  // The driver does not export its pool errors; their names are stable (`MongoWaitQueueTimeoutError`).
  if (err instanceof Error && /^(Mongo)?WaitQueueTimeoutError$/.test(err.name)) {
    // Every pooled connection stayed busy until waitQueueTimeoutMS: the operation was never sent.
    return new ConnectionError(`${where}: no pooled connection became free in time`, {
      ...opts,
      code: 'connection.poolTimeout',
      notApplied: true,
    });
  }
  if (isMongo(err, MongoNetworkError)) {
    const notApplied = beforeSend(err);
    if (isMongo(err, MongoNetworkTimeoutError) && !notApplied) {
      return new TimeoutError(`${where}: the server did not answer within socketTimeoutMS`, {
        ...opts,
        code: 'timeout.socket',
        retryable: true,
      });
    }
    return new ConnectionError(
      notApplied
        ? `${where}: could not open a connection to MongoDB`
        : `${where}: the network connection to MongoDB failed`,
      { ...opts, code: notApplied ? 'connection.connect' : 'connection.network', notApplied },
    );
  }
  const system = systemError(err);
  if (system !== undefined) {
    // A raw socket error the driver let through. A failed write means the peer had already reset
    // the connection, so the command never arrived whole and cannot have run.
    const notApplied =
      system.syscall === 'write' || system.syscall === 'connect' || CONNECT_ERRNO.has(system.code);
    return new ConnectionError(`${where}: the network connection to MongoDB failed (${system.code})`, {
      ...opts,
      code: notApplied ? 'connection.connect' : 'connection.network',
      notApplied,
    });
  }
  if (hasLabel(err, 'SystemOverloadedError') && hasLabel(err, 'RetryableError')) {
    // The server shed the operation before running it (Atlas overload protection).
    return new ThrottledError(`${where} was refused by an overloaded server`, {
      ...opts,
      code: 'throttled.overloaded',
    });
  }
  if (
    isMongo(err, MongoTopologyClosedError) ||
    isMongo(err, MongoClientClosedError) ||
    isMongo(err, MongoNotConnectedError) ||
    isMongo(err, MongoServerClosedError) ||
    (err instanceof Error && /^(Mongo)?PoolClosedError$/.test(err.name))
  ) {
    return new ConnectionError(`${where}: the MongoDB client is closed`, {
      ...opts,
      code: 'connection.closed',
      retryable: false,
      notApplied: true,
    });
  }
  if (isMongo(err, MongoParseError)) {
    return new ConnectionError('The MongoDB connection string is invalid', {
      ...opts,
      code: 'connection.invalidUri',
      retryable: false,
      notApplied: true,
    });
  }
  if (isMongo(err, MongoWriteConcernError) || hasWriteConcernError(err)) {
    return new TransientError(
      `${where}: the write concern was not satisfied; the write may or may not have been applied`,
      { ...opts, code: 'transient.writeConcern' },
    );
  }
  const shape = (typeof err === 'object' && err !== null ? err : {}) as ServerErrorShape;
  const code = typeof shape.code === 'number' ? shape.code : undefined;
  if (hasLabel(err, 'TransientTransactionError')) {
    // The server aborted the whole transaction: none of its writes were applied.
    return new TransientError(`${where} failed transiently; the transaction was rolled back`, {
      ...opts,
      code: 'transient.transaction',
      notApplied: true,
    });
  }
  if (hasLabel(err, 'RetryableWriteError')) {
    return new TransientError(`${where} failed transiently`, {
      ...opts,
      code: 'transient.retryable',
      notApplied: code !== undefined && NOT_APPLIED_CODES.has(code),
    });
  }
  const message = messageOf(shape);
  if (code !== undefined)
    return byCode(code, typeof shape.codeName === 'string' ? shape.codeName : '', message, where, opts);
  if (/larger than the maximum size|too large/i.test(message)) {
    return new LimitExceededError("the document exceeds MongoDB's 16 MB limit", {
      ...opts,
      limit: 'documentSize',
      max: MAX_BSON_BYTES,
    });
  }
  return new InternalError(
    `${where} failed unexpectedly (${err instanceof Error ? err.name : 'unknown error'})`,
    {
      ...opts,
      code: 'internal.unexpected',
    },
  );
}

function byCode(
  code: number,
  codeName: string,
  message: string,
  where: string,
  opts: DbkitErrorOptions,
): DbkitError {
  const label = codeName === '' ? `code ${code}` : codeName;
  if (code === 18) {
    return new ForbiddenError('MongoDB authentication failed: check the user, password and authSource', {
      ...opts,
      code: 'forbidden.authenticationFailed',
    });
  }
  if (code === 13) {
    return new ForbiddenError(`${where}: the MongoDB user is not authorized for this operation`, {
      ...opts,
      code: 'forbidden.unauthorized',
    });
  }
  if (TRANSIENT_CODES.has(code))
    return new TransientError(`${where} failed transiently (${label})`, {
      ...opts,
      code: `transient.${label}`,
      notApplied: NOT_APPLIED_CODES.has(code),
    });
  if (TIMEOUT_CODES.has(code))
    return new TimeoutError(`${where} exceeded its time limit (${label})`, {
      ...opts,
      code: 'timeout.server',
    });
  if (THROTTLE_CODES.has(code)) {
    const retryAfter = /RetryAfterMs=(\d+)/.exec(message)?.[1];
    return new ThrottledError(`${where} was throttled by the server`, {
      ...opts,
      code: 'throttled.server',
      ...(retryAfter === undefined ? {} : { retryAfterMs: Number(retryAfter) }),
    });
  }
  // Client-facing kinds below (413, 501, 400): their messages reach API clients, so they carry no
  // collection, database, host or driver text; the driver's error stays the `cause`, for logs.
  if (SIZE_CODES.has(code)) {
    return new LimitExceededError("the document exceeds MongoDB's 16 MB limit", {
      ...opts,
      limit: 'documentSize',
      max: MAX_BSON_BYTES,
    });
  }
  if (UNSUPPORTED_CODES.has(code)) {
    return new UnsupportedError(`this database deployment does not support the request (${label})`, {
      ...opts,
      code: 'unsupported.server',
      feature: label,
    });
  }
  if (VALIDATION_CODES.has(code)) {
    return new ValidationError(
      [{ path: [], message: `the server rejected the request (${label})`, code: `mongodb.${label}` }],
      { ...opts, code: `validation.${label}` },
    );
  }
  return new InternalError(`${where} failed (${label})`, { ...opts, code: `internal.${label}` });
}

function hasWriteConcernError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as {
    writeConcernError?: unknown;
    errInfo?: { writeConcernError?: unknown };
    result?: { writeConcernErrors?: unknown[] };
  };
  return e.writeConcernError !== undefined || e.errInfo?.writeConcernError !== undefined;
}
