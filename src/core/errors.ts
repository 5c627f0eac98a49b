// The one error taxonomy every engine maps its driver errors into.
import { auditErrorCode } from './error-codes.js';
import type { ErrorCode, ErrorFor } from './error-codes.js';

/** The engine an error or event came from; `core` for engine-independent code such as cursors. */
export type EngineName = 'dynamodb' | 'mongodb' | 'postgres' | 'pglite' | 'core';

/** The kinds of failure dbkit tells apart, each with its own class and HTTP status. */
export type ErrorKind =
  | 'conflict'
  | 'not_found'
  | 'version_conflict'
  | 'condition_failed'
  | 'throttled'
  | 'transient'
  | 'connection'
  | 'timeout'
  | 'validation'
  | 'transaction_canceled'
  | 'unsupported'
  | 'limit_exceeded'
  | 'forbidden'
  | 'outcome_unknown'
  | 'internal';

/** Where an error happened: which engine, which operation, which table / collection / model. */
export interface ErrorContext {
  engine?: EngineName;
  operation?: string;
  target?: string;
  cause?: unknown;
}

/** Options shared by every dbkit error constructor. */
export interface DbkitErrorOptions extends ErrorContext {
  /** A stable code from the registry ({@link ErrorCode}), such as `cursor.invalidSignature`; defaults to the kind. */
  code?: ErrorCode;
  /** Overrides the kind's default retryability. */
  retryable?: boolean;
  /**
   * True when the engine certainly did not apply the operation (the request never left, the server
   * refused it, the transaction rolled back). Overrides the kind's default; see {@link DbkitError.notApplied}.
   */
  notApplied?: boolean;
}

const retryableByDefault: Readonly<Record<ErrorKind, boolean>> = {
  conflict: false,
  not_found: false,
  version_conflict: false,
  condition_failed: false,
  throttled: true,
  transient: true,
  connection: true,
  timeout: false,
  validation: false,
  transaction_canceled: false,
  unsupported: false,
  limit_exceeded: false,
  forbidden: false,
  outcome_unknown: false,
  internal: false,
};

// Kinds that, by default, say the engine did nothing: the request was refused or rejected as a whole.
// Connection, transient, timeout and internal failures may have happened after the engine applied
// the write, so they are "unknown" unless the engine that raised them knows better.
const notAppliedByDefault: Readonly<Record<ErrorKind, boolean>> = {
  conflict: true,
  not_found: true,
  version_conflict: true,
  condition_failed: true,
  throttled: true,
  transient: false,
  connection: false,
  timeout: false,
  validation: true,
  transaction_canceled: true,
  unsupported: true,
  limit_exceeded: true,
  forbidden: true,
  outcome_unknown: false,
  internal: false,
};

/**
 * Base class of every error dbkit throws. The driver's error, when there is one, is the `cause`;
 * its message is never rewritten.
 *
 * @example
 * ```ts
 * try { await users.create(input) }
 * catch (err) { if (isDbkitError(err, 'conflict')) reply.code(409).send(err.toProblem()) }
 * ```
 */
export class DbkitError extends Error {
  override readonly name: string = 'DbkitError';
  readonly kind: ErrorKind;
  /** `<family>` or `<family>.<detail>`, from the registry in `errorFamilies`. */
  readonly code: ErrorCode;
  readonly engine: EngineName | undefined;
  readonly operation: string | undefined;
  readonly target: string | undefined;
  readonly retryable: boolean;
  /**
   * True when the engine certainly did not apply the operation, so sending it again cannot apply it
   * twice. False means "not known": a write may have been applied before the failure.
   */
  readonly notApplied: boolean;

  constructor(kind: ErrorKind, message: string, options: DbkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.code = options.code ?? kind;
    this.engine = options.engine;
    this.operation = options.operation;
    this.target = options.target;
    this.retryable = options.retryable ?? retryableByDefault[kind];
    this.notApplied = options.notApplied ?? notAppliedByDefault[kind];
    auditErrorCode(this);
  }
}

/**
 * A unique key or an existing item stood in the way of a write.
 *
 * @example
 * ```ts
 * throw new ConflictError('email already taken', { fields: ['email'], engine: 'mongodb' })
 * ```
 */
export class ConflictError extends DbkitError {
  override readonly name = 'ConflictError';
  /** The fields whose values conflict, when the engine lets dbkit know them. */
  readonly fields: readonly string[];
  constructor(message: string, options: DbkitErrorOptions & { fields?: readonly string[] } = {}) {
    super('conflict', message, { code: 'conflict', ...options });
    this.fields = options.fields ?? [];
  }
}

/**
 * The record addressed by key does not exist.
 *
 * @example
 * ```ts
 * throw new NotFoundError('user 42 not found', { target: 'users' })
 * ```
 */
export class NotFoundError extends DbkitError {
  override readonly name = 'NotFoundError';
  constructor(message: string, options: DbkitErrorOptions = {}) {
    super('not_found', message, options);
  }
}

/**
 * An optimistic lock was lost: the record exists but at another version than the writer expected.
 *
 * @example
 * ```ts
 * throw new VersionConflictError('user 42 changed', { expectedVersion: 3 })
 * ```
 */
export class VersionConflictError extends DbkitError {
  override readonly name = 'VersionConflictError';
  readonly expectedVersion: number;
  /** The version found, when the engine returned it. */
  readonly actualVersion: number | undefined;
  constructor(
    message: string,
    options: DbkitErrorOptions & { expectedVersion: number; actualVersion?: number },
  ) {
    super('version_conflict', message, options);
    this.expectedVersion = options.expectedVersion;
    this.actualVersion = options.actualVersion;
  }
}

/**
 * A caller-supplied condition on a write did not hold.
 *
 * @example
 * ```ts
 * throw new ConditionFailedError('balance would go negative')
 * ```
 */
export class ConditionFailedError extends DbkitError {
  override readonly name = 'ConditionFailedError';
  constructor(message: string, options: DbkitErrorOptions = {}) {
    super('condition_failed', message, options);
  }
}

/**
 * The engine refused work for capacity reasons; retryable.
 *
 * @example
 * ```ts
 * throw new ThrottledError('table throttled', { retryAfterMs: 200 })
 * ```
 */
export class ThrottledError extends DbkitError {
  override readonly name = 'ThrottledError';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: DbkitErrorOptions & { retryAfterMs?: number } = {}) {
    super('throttled', message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * A failure that may go away by itself: serialization failure, deadlock, write-concern error.
 *
 * @example
 * ```ts
 * throw new TransientError('serialization failure', { code: 'transient.serialization' })
 * ```
 */
export class TransientError extends DbkitError {
  override readonly name = 'TransientError';
  constructor(message: string, options: DbkitErrorOptions = {}) {
    super('transient', message, options);
  }
}

/**
 * The engine could not be reached, or the connection was lost.
 *
 * @example
 * ```ts
 * throw new ConnectionError('cannot reach mongodb://db:27017 within 5000 ms')
 * ```
 */
export class ConnectionError extends DbkitError {
  override readonly name = 'ConnectionError';
  constructor(message: string, options: DbkitErrorOptions = {}) {
    super('connection', message, options);
  }
}

/**
 * An operation, or a transaction, ran past its time limit.
 *
 * @example
 * ```ts
 * throw new TimeoutError('transaction exceeded its 5000 ms timeout', { timeoutMs: 5000 })
 * ```
 */
export class TimeoutError extends DbkitError {
  override readonly name = 'TimeoutError';
  readonly timeoutMs: number | undefined;
  constructor(message: string, options: DbkitErrorOptions & { timeoutMs?: number } = {}) {
    super('timeout', message, options);
    this.timeoutMs = options.timeoutMs;
  }
}

/** One problem found in input: where it is (`path`) and what is wrong. */
export interface ValidationIssue {
  /** Path segments from the root of the input, e.g. `['addresses', 0, 'city']`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** A short machine-readable code, e.g. `invalid_type` or `cursor.expired`. */
  readonly code?: string;
}

/**
 * Input was rejected before it reached the engine (or the engine rejected it as malformed).
 *
 * @example
 * ```ts
 * throw new ValidationError([{ path: ['email'], message: 'Invalid email' }])
 * ```
 */
export class ValidationError extends DbkitError {
  override readonly name = 'ValidationError';
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[], options: DbkitErrorOptions & { message?: string } = {}) {
    super('validation', options.message ?? describeIssues(issues), options);
    this.issues = issues;
  }
}

function describeIssues(issues: readonly ValidationIssue[]): string {
  if (issues.length === 0) return 'Invalid input';
  const parts = issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return `Invalid input: ${parts.join('; ')}${more}`;
}

/** Why one item of a canceled transaction failed. */
export interface CancellationReason {
  /** Position of the item in the transaction as the caller gave it. */
  readonly index: number;
  /** The engine's reason code, e.g. `ConditionalCheckFailed`, `TransactionConflict`, `None`. */
  readonly code: string;
  readonly message?: string;
  /** The entity or model the item concerns, when known. */
  readonly entity?: string;
  /** The key of the item, when known. */
  readonly key?: Readonly<Record<string, unknown>>;
}

/**
 * A transaction was canceled; `reasons` has one entry per item, pointing at the one(s) that failed.
 *
 * @example
 * ```ts
 * const failed = err.reasons.filter((r) => r.code !== 'None')
 * ```
 */
export class TransactionCanceledError extends DbkitError {
  override readonly name = 'TransactionCanceledError';
  readonly reasons: readonly CancellationReason[];
  constructor(message: string, options: DbkitErrorOptions & { reasons: readonly CancellationReason[] }) {
    super('transaction_canceled', message, options);
    this.reasons = options.reasons;
  }
}

/**
 * The engine (or this deployment of it) lacks a feature; the message says what is needed.
 *
 * @example
 * ```ts
 * throw new UnsupportedError('transactions need a replica set', { feature: 'transactions' })
 * ```
 */
export class UnsupportedError extends DbkitError {
  override readonly name = 'UnsupportedError';
  readonly feature: string;
  constructor(message: string, options: DbkitErrorOptions & { feature: string }) {
    super('unsupported', message, options);
    this.feature = options.feature;
  }
}

/**
 * A request would break an engine limit (item size, items per transaction or batch, key length).
 *
 * @example
 * ```ts
 * throw new LimitExceededError('item is 512000 bytes; DynamoDB allows 409600', { limit: 'itemSize', max: 409600, actual: 512000 })
 * ```
 */
export class LimitExceededError extends DbkitError {
  override readonly name = 'LimitExceededError';
  /** The limit's name, e.g. `itemSize` or `transactionItems`. */
  readonly limit: string;
  readonly max: number | undefined;
  readonly actual: number | undefined;
  constructor(
    message: string,
    options: DbkitErrorOptions & { limit: string; max?: number; actual?: number },
  ) {
    super('limit_exceeded', message, { code: `limit.${options.limit}`, ...options });
    this.limit = options.limit;
    this.max = options.max;
    this.actual = options.actual;
  }
}

/**
 * The engine refused the operation for lack of permission (IAM AccessDenied, MongoDB Unauthorized,
 * PostgreSQL insufficient_privilege). Not retryable: it fails the same way until the grant changes.
 *
 * @example
 * ```ts
 * throw new ForbiddenError('not allowed to write users', { engine: 'mongodb' })
 * ```
 */
export class ForbiddenError extends DbkitError {
  override readonly name = 'ForbiddenError';
  constructor(message: string, options: DbkitErrorOptions = {}) {
    super('forbidden', message, options);
  }
}

/**
 * A write failed after it may have reached the engine (the connection dropped, the answer was lost,
 * the deadline passed while it was in flight): it may or may not have been applied. Never retried
 * by dbkit and never `retryable`; the `cause` is the failure itself. Make such writes idempotent
 * (client-chosen keys, idempotency tokens) so the caller can safely send them again.
 *
 * @example
 * ```ts
 * catch (err) { if (isDbkitError(err, 'outcome_unknown')) await reconcile(order.id) }
 * ```
 */
export class OutcomeUnknownError extends DbkitError {
  override readonly name = 'OutcomeUnknownError';
  constructor(message: string, options: DbkitErrorOptions = {}) {
    super('outcome_unknown', message, { ...options, retryable: false, notApplied: false });
  }
}

/**
 * A failure dbkit does not recognise. Reported as HTTP 500 with nothing of the original leaked;
 * the original is the `cause`, for logs.
 *
 * @example
 * ```ts
 * throw new InternalError('DynamoDB get on app failed unexpectedly', { cause: err })
 * ```
 */
export class InternalError extends DbkitError {
  override readonly name = 'InternalError';
  constructor(message: string, options: DbkitErrorOptions = {}) {
    super('internal', message, { ...options, retryable: false });
  }
}

/**
 * Narrows an unknown value to a dbkit error; with a kind or a code, to the error class that kind or
 * code's family has. A code matches itself and, ending in a dot, every code of its family.
 *
 * @example
 * ```ts
 * if (isDbkitError(err, 'conflict.unique')) reply.code(409).send({ fields: err.fields })
 * if (isDbkitError(err, 'cursor.')) { ... }         // any cursor problem: a ValidationError
 * if (isDbkitError(err, 'version_conflict')) { ... } // by kind: a VersionConflictError
 * ```
 */
export function isDbkitError(err: unknown): err is DbkitError;
export function isDbkitError<C extends ErrorKind | ErrorCode>(
  err: unknown,
  kindOrCode: C,
): err is ErrorFor<C>;
export function isDbkitError(err: unknown, kindOrCode?: string): boolean {
  if (!(err instanceof DbkitError)) return false;
  if (kindOrCode === undefined) return true;
  if (err.kind === kindOrCode || err.code === kindOrCode) return true;
  return kindOrCode.endsWith('.') ? err.code.startsWith(kindOrCode) : err.code.startsWith(`${kindOrCode}.`);
}
