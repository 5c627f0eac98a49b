// Maps AWS SDK DynamoDB errors into dbkit's taxonomy, keeping the SDK error as the cause.
import {
  ConditionFailedError,
  ConflictError,
  ConnectionError,
  DbkitError,
  ForbiddenError,
  InternalError,
  LimitExceededError,
  NotFoundError,
  ThrottledError,
  TransactionCanceledError,
  TransientError,
  ValidationError,
  VersionConflictError,
} from '../core/internal.js';
import type { CancellationReason, DbkitErrorOptions, OperationSpec } from '../core/internal.js';
import { dynamoLimits } from './limits.js';

const dynamoItemBytes = dynamoLimits.itemBytes;

/** Reason codes that mean "try again": the transaction lost a race or was throttled, nothing was checked and failed. */
export const retryableCancellationCodes: ReadonlySet<string> = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

const throttleNames = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'Throttling',
  'LimitExceededException',
]);
// Server errors: DynamoDB may have applied the write before it failed to answer.
const transientNames = new Set([
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionInProgressException',
]);
// Refused before execution: the request named an item that a transaction was writing.
const rejectedTransientNames = new Set(['TransactionConflictException']);
// The caller's identity or permissions: the request was refused before it was executed.
const forbiddenNames = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'NotAuthorized',
]);
// The connection never opened: nothing reached DynamoDB.
const neverConnectedCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// The connection broke while the request may have been in DynamoDB's hands.
const brokenConnectionCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EPROTO']);

/** The retry hint a final throttle carries when DynamoDB gives none: about when capacity comes back. */
export const throttleRetryAfterMs = 1_000;

interface AwsLikeError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  CancellationReasons?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** What the operation that failed concerned, so reasons and messages can point at it. */
export interface TransactionItemInfo {
  entity?: string;
  key?: Record<string, unknown>;
}

/**
 * The cancellation reasons of a TransactionCanceledException, one per item in the caller's order,
 * each pointing at the entity and key it concerns.
 *
 * @example
 * ```ts
 * cancellationReasons(err, [{ entity: 'Account', key: { pk: 'ACCOUNT#1', sk: 'ACCOUNT' } }])
 * ```
 */
export function cancellationReasons(
  err: unknown,
  items: readonly TransactionItemInfo[] = [],
): CancellationReason[] {
  const raw = (err as AwsLikeError).CancellationReasons;
  if (!Array.isArray(raw)) return [];
  return raw.map((r: { Code?: string; Message?: string }, index) => {
    const info = items[index];
    const reason: {
      index: number;
      code: string;
      message?: string;
      entity?: string;
      key?: Record<string, unknown>;
    } = {
      index,
      code: r.Code ?? 'Unknown',
    };
    if (r.Message !== undefined) reason.message = r.Message;
    if (info?.entity !== undefined) reason.entity = info.entity;
    if (info?.key !== undefined) reason.key = info.key;
    return reason;
  });
}

/**
 * True when a canceled transaction failed only for conflicts or throttling, so retrying it is safe;
 * false when any item failed its condition (or for any other reason).
 *
 * @example
 * ```ts
 * isRetryableCancellation([{ index: 0, code: 'None' }, { index: 1, code: 'TransactionConflict' }]) // true
 * ```
 */
export function isRetryableCancellation(reasons: readonly CancellationReason[]): boolean {
  const failed = reasons.filter((r) => r.code !== 'None');
  return failed.length > 0 && failed.every((r) => retryableCancellationCodes.has(r.code));
}

/** The name of an AWS error, or undefined. */
export function awsErrorName(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const name = (err as AwsLikeError).name;
  return typeof name === 'string' ? name : undefined;
}

function messageOf(err: unknown): string {
  const m = (err as AwsLikeError | null)?.message;
  return typeof m === 'string' ? m : String(err);
}

function errorCode(err: unknown): string | undefined {
  const code = (err as AwsLikeError | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function httpStatus(err: unknown): number | undefined {
  const status = (err as AwsLikeError | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * What an operation declared that decides what its failed condition means: the entity it wrote, a
 * create (the item must not exist), an expected version, whether the item must exist; and for a
 * transaction, the items in order (for per-item cancellation reasons).
 */
export interface ErrorContext {
  /** The entity written, named in messages. */
  entity?: string;
  /** The attributes of the entity's primary key, reported as the conflicting fields of a create. */
  keyFields?: readonly string[];
  /** A create: a failed condition means an item with this key exists. */
  create?: boolean;
  /** The version a versioned write expected. */
  expectedVersion?: number | undefined;
  /** The write needs the item to exist (update, delete, versioned put). */
  mustExist?: boolean;
  /** A transaction's items, in the caller's order. */
  items?: readonly TransactionItemInfo[];
}

// Writes with a condition ask for ReturnValuesOnConditionCheckFailure=ALL_OLD, so no Item means no item.
function oldVersion(err: unknown): { exists: boolean; version: number | undefined } {
  const item = (err as { Item?: Record<string, { N?: string } | number> }).Item;
  if (item === undefined) return { exists: false, version: undefined };
  const v = item.version;
  const version = typeof v === 'number' ? v : v?.N === undefined ? undefined : Number(v.N);
  return { exists: Object.keys(item).length > 0, version };
}

// A ConditionalCheckFailed, read by what the operation declared: conflict, not found, version conflict or condition failed.
function conditionFailed(
  err: unknown,
  spec: OperationSpec,
  context: ErrorContext,
  base: DbkitErrorOptions,
): DbkitError {
  const entity = context.entity ?? 'The item';
  if (context.create === true) {
    return new ConflictError(`${entity} already exists with this key`, {
      ...base,
      code: 'conflict.exists',
      fields: [...(context.keyFields ?? [])],
    });
  }
  const old = oldVersion(err);
  if (!old.exists && context.mustExist === true)
    return new NotFoundError(`${entity} not found`, { ...base, code: 'not_found' });
  const expected = context.expectedVersion;
  if (expected !== undefined && (old.version === undefined || old.version !== expected))
    return versionConflict(spec, entity, expected, old.version, err);
  return new ConditionFailedError(`The condition on ${spec.operation} did not hold`, {
    ...base,
    code: 'condition_failed',
  });
}

/**
 * Maps any error from the AWS SDK into a dbkit error; the SDK error is the `cause`. This is the one
 * place DynamoDB errors are refined: a ConditionalCheckFailed becomes a ConflictError (a create),
 * NotFoundError (the item had to exist), VersionConflictError (an expected version) or
 * ConditionFailedError, from what the operation declared in `context`.
 *
 * `notApplied` is true only where DynamoDB certainly did nothing: throttling, a connection that never
 * opened, a request refused as invalid or forbidden, a canceled transaction. A 5xx, a reset
 * connection or a socket timeout leave the outcome unknown. Messages of the kinds an API client sees
 * (validation, condition failed, limits, conflicts) name the operation and entity, never the
 * physical table or the driver's text; those stay in `target` and `cause`.
 *
 * @example
 * ```ts
 * const config = { instrumentation, retry: {}, mapError: mapDynamoError }
 * ```
 */
export function mapDynamoError(err: unknown, spec: OperationSpec, context: ErrorContext = {}): DbkitError {
  if (err instanceof DbkitError) return err;
  const base: DbkitErrorOptions = {
    engine: 'dynamodb',
    operation: spec.operation,
    target: spec.target,
    cause: err,
  };
  const name = awsErrorName(err);
  const message = messageOf(err);
  const status = httpStatus(err);
  if (name === 'ConditionalCheckFailedException') return conditionFailed(err, spec, context, base);
  if (name !== undefined && throttleNames.has(name)) {
    return new ThrottledError(`DynamoDB throttled ${spec.operation} on ${spec.target}: ${message}`, {
      ...base,
      code: `throttled.${name}`,
      notApplied: true,
    });
  }
  if (name === 'ResourceNotFoundException') {
    // A missing table or index is the deployment's fault, not something an API client asked for.
    return new InternalError(`DynamoDB table "${spec.target}" (or its index) does not exist: ${message}`, {
      ...base,
      code: 'internal.tableNotFound',
      notApplied: true,
    });
  }
  if (name !== undefined && forbiddenNames.has(name)) {
    return new ForbiddenError(`DynamoDB refused ${spec.operation} on ${spec.target}: ${message}`, {
      ...base,
      code: `forbidden.${name}`,
    });
  }
  if (name === 'ValidationException') {
    if (/item size/i.test(message)) {
      return new LimitExceededError(
        `The item written by ${spec.operation} is over DynamoDB's ${dynamoItemBytes} bytes per item`,
        { ...base, limit: 'itemSize', max: dynamoItemBytes },
      );
    }
    const text = `DynamoDB rejected the ${spec.operation} request as invalid`;
    return new ValidationError([{ path: [], message: text, code: 'validation.engine' }], {
      ...base,
      code: 'validation.engine',
      message: text,
    });
  }
  if (name === 'TransactionCanceledException') {
    const reasons = cancellationReasons(err, context.items);
    const retryable = isRetryableCancellation(reasons);
    const failed = reasons.filter((r) => r.code !== 'None');
    const detail = failed
      .map((r) => `item ${r.index}${r.entity === undefined ? '' : ` (${r.entity})`}: ${r.code}`)
      .join('; ');
    return new TransactionCanceledError(`The transaction was canceled${detail ? `: ${detail}` : ''}`, {
      ...base,
      reasons,
      retryable,
      notApplied: true,
      code: retryable ? 'transaction_canceled.conflict' : 'transaction_canceled',
    });
  }
  if (name === 'ItemCollectionSizeLimitExceededException') {
    return new LimitExceededError(`An item collection written by ${spec.operation} is over 10 GB`, {
      ...base,
      limit: 'itemCollectionSize',
    });
  }
  if (name === 'IdempotentParameterMismatchException') {
    return new ConflictError('The idempotency token was already used for a different request', {
      ...base,
      code: 'conflict.idempotencyToken',
    });
  }
  if (name !== undefined && rejectedTransientNames.has(name)) {
    return new TransientError(`DynamoDB ${spec.operation} on ${spec.target} conflicted with a transaction`, {
      ...base,
      code: `transient.${name}`,
      notApplied: true,
    });
  }
  if (name !== undefined && transientNames.has(name)) {
    return new TransientError(`DynamoDB ${spec.operation} on ${spec.target} failed transiently: ${message}`, {
      ...base,
      code: `transient.${name}`,
    });
  }
  const code = errorCode(err);
  if (code !== undefined && neverConnectedCodes.has(code)) {
    return new ConnectionError(`Cannot reach DynamoDB for ${spec.operation} on ${spec.target}: ${message}`, {
      ...base,
      code: 'connection',
      notApplied: true,
    });
  }
  if (name === 'TimeoutError' && code === undefined && /establish a connection/.test(message)) {
    // the SDK's connectionTimeout: the socket never connected, so nothing was sent
    return new ConnectionError(`Cannot reach DynamoDB for ${spec.operation} on ${spec.target}: ${message}`, {
      ...base,
      code: 'connection.timeout',
      notApplied: true,
    });
  }
  if ((code !== undefined && brokenConnectionCodes.has(code)) || name === 'TimeoutError') {
    return new ConnectionError(
      `Lost the connection to DynamoDB during ${spec.operation} on ${spec.target}: ${message}`,
      {
        ...base,
        code: 'connection',
      },
    );
  }
  if (status !== undefined && status >= 500) {
    return new TransientError(
      `DynamoDB ${spec.operation} on ${spec.target} failed with HTTP ${status}: ${message}`,
      base,
    );
  }
  // Unrecognised: a 4xx was refused before execution; anything else (no answer at all) is unknown.
  return new InternalError(`DynamoDB ${spec.operation} on ${spec.target} failed: ${message}`, {
    ...base,
    code: name === undefined ? 'internal.unknown' : `internal.${name}`,
    notApplied: status !== undefined && status >= 400 && status < 500,
  });
}

/** Builds the version-conflict error for a versioned write that lost its race. */
export function versionConflict(
  spec: OperationSpec,
  entity: string,
  expected: number,
  actual: number | undefined,
  cause: unknown,
): VersionConflictError {
  return new VersionConflictError(
    `${entity} changed since version ${expected}${actual === undefined ? '' : ` (now at ${actual})`}`,
    {
      engine: 'dynamodb',
      operation: spec.operation,
      target: spec.target,
      cause,
      expectedVersion: expected,
      ...(actual === undefined ? {} : { actualVersion: actual }),
    },
  );
}
