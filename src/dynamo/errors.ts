// Maps AWS SDK DynamoDB errors into dbkit's taxonomy, keeping the SDK error as the cause.
import {
  ConditionFailedError,
  ConflictError,
  ConnectionError,
  DbkitError,
  LimitExceededError,
  NotFoundError,
  ThrottledError,
  TransactionCanceledError,
  TransientError,
  ValidationError,
  VersionConflictError,
} from '../core/index.js';
import type { CancellationReason, DbkitErrorOptions, OperationSpec } from '../core/index.js';

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
]);
const transientNames = new Set([
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionInProgressException',
  'TransactionConflictException',
]);
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

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

/**
 * Maps any error from the AWS SDK into a dbkit error; the SDK error is the `cause`. A
 * ConditionalCheckFailed here (without operation context) is a ConditionFailedError; operations
 * that know better (create, versioned writes) map it themselves.
 *
 * @example
 * ```ts
 * const config = { instrumentation, retry: {}, mapError: mapDynamoError }
 * ```
 */
export function mapDynamoError(
  err: unknown,
  spec: OperationSpec,
  items: readonly TransactionItemInfo[] = [],
): DbkitError {
  if (err instanceof DbkitError) return err;
  const base: DbkitErrorOptions = {
    engine: 'dynamodb',
    operation: spec.operation,
    target: spec.target,
    cause: err,
  };
  const name = awsErrorName(err);
  const message = messageOf(err);
  if (name === 'ConditionalCheckFailedException') {
    return new ConditionFailedError(`The condition on ${spec.operation} in ${spec.target} did not hold`, {
      ...base,
      code: 'condition_failed',
    });
  }
  if (name !== undefined && throttleNames.has(name)) {
    return new ThrottledError(`DynamoDB throttled ${spec.operation} on ${spec.target}: ${message}`, {
      ...base,
      code: `throttled.${name}`,
    });
  }
  if (name === 'ResourceNotFoundException') {
    return new NotFoundError(`DynamoDB table "${spec.target}" (or its index) does not exist: ${message}`, {
      ...base,
      code: 'dynamodb.tableNotFound',
    });
  }
  if (name === 'ValidationException') {
    return new ValidationError([{ path: [], message, code: 'dynamodb.validation' }], {
      ...base,
      code: 'dynamodb.validation',
      message,
    });
  }
  if (name === 'TransactionCanceledException') {
    const reasons = cancellationReasons(err, items);
    const retryable = isRetryableCancellation(reasons);
    const failed = reasons.filter((r) => r.code !== 'None');
    const detail = failed
      .map((r) => `item ${r.index}${r.entity === undefined ? '' : ` (${r.entity})`}: ${r.code}`)
      .join('; ');
    return new TransactionCanceledError(`The transaction was canceled${detail ? `: ${detail}` : ''}`, {
      ...base,
      reasons,
      retryable,
      code: retryable ? 'transaction_canceled.conflict' : 'transaction_canceled',
    });
  }
  if (name === 'ItemCollectionSizeLimitExceededException') {
    return new LimitExceededError(`An item collection in ${spec.target} is over 10 GB: ${message}`, {
      ...base,
      limit: 'itemCollectionSize',
    });
  }
  if (name === 'IdempotentParameterMismatchException') {
    return new ConflictError(`The idempotency token was already used for a different request: ${message}`, {
      ...base,
      code: 'dynamodb.idempotentParameterMismatch',
    });
  }
  if (name !== undefined && transientNames.has(name)) {
    return new TransientError(`DynamoDB ${spec.operation} on ${spec.target} failed transiently: ${message}`, {
      ...base,
      code: `transient.${name}`,
    });
  }
  const code = (err as AwsLikeError | null)?.code;
  if ((typeof code === 'string' && connectionCodes.has(code)) || name === 'TimeoutError') {
    return new ConnectionError(`Cannot reach DynamoDB for ${spec.operation} on ${spec.target}: ${message}`, {
      ...base,
      code: 'connection',
    });
  }
  const status = (err as AwsLikeError | null)?.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) {
    return new TransientError(
      `DynamoDB ${spec.operation} on ${spec.target} failed with HTTP ${status}: ${message}`,
      base,
    );
  }
  return new DbkitError('transient', `DynamoDB ${spec.operation} on ${spec.target} failed: ${message}`, {
    ...base,
    retryable: false,
    code: name === undefined ? 'dynamodb.unknown' : `dynamodb.${name}`,
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

/** One item a batch could not process, pointing at its table, entity and key. */
export interface UnprocessedEntry {
  table: string;
  entity?: string;
  key: Record<string, unknown>;
  /** For writes: `put` or `delete`. */
  action?: 'put' | 'delete' | 'get';
}

/**
 * A batch left items unprocessed after every retry; `unprocessed` lists exactly those. Everything
 * else in the batch was written (or read). Retryable: DynamoDB had no capacity for them.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof UnprocessedItemsError) await retryLater(err.unprocessed) }
 * ```
 */
export class UnprocessedItemsError extends DbkitError {
  override readonly name = 'UnprocessedItemsError';
  readonly unprocessed: readonly UnprocessedEntry[];
  constructor(message: string, options: DbkitErrorOptions & { unprocessed: readonly UnprocessedEntry[] }) {
    super('throttled', message, { code: 'batch.unprocessed', ...options });
    this.unprocessed = options.unprocessed;
  }
}
