// Maps MongoDB driver and server errors into dbkit's taxonomy, keeping the original as `cause`.
import {
  MongoClientClosedError,
  MongoError,
  MongoNetworkError,
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
  LimitExceededError,
  ThrottledError,
  TimeoutError,
  TransientError,
  UnsupportedError,
  ValidationError,
} from '../core/errors.js';
import type { DbkitErrorOptions } from '../core/errors.js';

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
  return new ConflictError(`${ctx.target ?? 'collection'}: a document with the same ${what} already exists`, {
    ...base(ctx, err),
    code: 'conflict.duplicateKey',
    fields: names,
  });
}

function hasLabel(err: unknown, label: string): boolean {
  return err instanceof MongoError && err.hasErrorLabel(label);
}

/**
 * Maps any error from the MongoDB driver into a dbkit error: E11000 → ConflictError (fields named),
 * network and server-selection errors → ConnectionError (retryable), write-concern and transient
 * transaction errors → TransientError, time limits → TimeoutError, too-large documents →
 * LimitExceededError, unimplemented commands → UnsupportedError, rejected input → ValidationError.
 * The original error is always the `cause`.
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
  if (err instanceof MongoOperationTimeoutError) {
    return new TimeoutError(`${where} exceeded its time limit`, { ...opts, code: 'timeout.operation' });
  }
  if (err instanceof MongoServerSelectionError) {
    return new ConnectionError(
      `${where}: no MongoDB server available (${err.reason?.type ?? 'unknown topology'})`,
      {
        ...opts,
        code: 'connection.serverSelection',
      },
    );
  }
  if (err instanceof MongoNetworkError) {
    return new ConnectionError(`${where}: the network connection to MongoDB failed`, {
      ...opts,
      code: 'connection.network',
    });
  }
  if (
    err instanceof MongoTopologyClosedError ||
    err instanceof MongoClientClosedError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoServerClosedError
  ) {
    return new ConnectionError(`${where}: the MongoDB client is closed`, {
      ...opts,
      code: 'connection.closed',
      retryable: false,
    });
  }
  if (err instanceof MongoParseError) {
    return new ConnectionError('The MongoDB connection string is invalid', {
      ...opts,
      code: 'connection.invalidUri',
      retryable: false,
    });
  }
  if (err instanceof MongoWriteConcernError || hasWriteConcernError(err)) {
    return new TransientError(
      `${where}: the write concern was not satisfied; the write may or may not have been applied`,
      {
        ...opts,
        code: 'transient.writeConcern',
      },
    );
  }
  if (hasLabel(err, 'TransientTransactionError') || hasLabel(err, 'RetryableWriteError')) {
    return new TransientError(`${where} failed transiently`, { ...opts, code: 'transient.retryable' });
  }
  const shape = (typeof err === 'object' && err !== null ? err : {}) as ServerErrorShape;
  const message = messageOf(shape);
  if (typeof shape.code === 'number')
    return byCode(shape.code, typeof shape.codeName === 'string' ? shape.codeName : '', message, where, opts);
  if (/larger than the maximum size|too large/i.test(message)) {
    return new LimitExceededError(`${where}: the document exceeds MongoDB's 16 MB limit`, {
      ...opts,
      limit: 'documentSize',
      max: MAX_BSON_BYTES,
    });
  }
  return new DbkitError(
    'transient',
    `${where} failed: ${err instanceof Error ? err.name : 'unknown error'}`,
    {
      ...opts,
      code: 'mongodb.unexpected',
      retryable: false,
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
    return new ConnectionError('MongoDB authentication failed: check the user, password and authSource', {
      ...opts,
      code: 'connection.authenticationFailed',
      retryable: false,
    });
  }
  if (code === 13) {
    return new ConnectionError(`${where}: the MongoDB user is not authorized for this operation`, {
      ...opts,
      code: 'connection.unauthorized',
      retryable: false,
    });
  }
  if (TRANSIENT_CODES.has(code))
    return new TransientError(`${where} failed transiently (${label})`, {
      ...opts,
      code: `transient.${label}`,
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
  if (SIZE_CODES.has(code)) {
    return new LimitExceededError(`${where}: the document exceeds MongoDB's 16 MB limit`, {
      ...opts,
      limit: 'documentSize',
      max: MAX_BSON_BYTES,
    });
  }
  if (UNSUPPORTED_CODES.has(code)) {
    return new UnsupportedError(
      `${where}: this MongoDB deployment does not support the request (${label}: ${message})`,
      {
        ...opts,
        code: 'unsupported.server',
        feature: label,
      },
    );
  }
  if (VALIDATION_CODES.has(code)) {
    return new ValidationError(
      [{ path: [], message: `the server rejected the request (${label})`, code: `mongodb.${label}` }],
      {
        ...opts,
        code: `validation.${label}`,
      },
    );
  }
  return new DbkitError('transient', `${where} failed (${label})`, {
    ...opts,
    code: `mongodb.${label}`,
    retryable: false,
  });
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
