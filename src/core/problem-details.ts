// Serialises dbkit errors as RFC 9457 problem details, safe to return from an HTTP API as they are.
import {
  ConflictError,
  DbkitError,
  LimitExceededError,
  ThrottledError,
  TransactionCanceledError,
  UnsupportedError,
  ValidationError,
  VersionConflictError,
} from './errors.js';
import type { ErrorKind } from './errors.js';

/** An RFC 9457 problem-details object with dbkit's extension members. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** dbkit's dotted error code. */
  code: string;
  retryable: boolean;
  [extension: string]: unknown;
}

const statusByKind: Readonly<Record<ErrorKind, number>> = {
  validation: 400,
  not_found: 404,
  conflict: 409,
  condition_failed: 409,
  transaction_canceled: 409,
  version_conflict: 412,
  limit_exceeded: 413,
  throttled: 429,
  unsupported: 501,
  transient: 503,
  connection: 503,
  // A database that did not answer in time is unavailable to this request; 504 is for gateways.
  timeout: 503,
  outcome_unknown: 503,
  forbidden: 403,
  internal: 500,
};

const titleByKind: Readonly<Record<ErrorKind, string>> = {
  validation: 'Invalid input',
  not_found: 'Not found',
  conflict: 'Conflict',
  condition_failed: 'Condition failed',
  transaction_canceled: 'Transaction canceled',
  version_conflict: 'Version conflict',
  limit_exceeded: 'Limit exceeded',
  throttled: 'Too many requests',
  unsupported: 'Not supported',
  transient: 'Temporarily unavailable',
  connection: 'Database unavailable',
  timeout: 'Timed out',
  outcome_unknown: 'Outcome unknown',
  forbidden: 'Forbidden',
  internal: 'Internal Server Error',
};

// Failures on the server's side of the API: their messages name tables, hosts and driver details,
// so API clients get a fixed sentence instead.
const publicDetailByKind: Readonly<Partial<Record<ErrorKind, string>>> = {
  throttled: 'The database is receiving too many requests; try again later.',
  transient: 'The database is temporarily unavailable; try again later.',
  connection: 'The database is unavailable; try again later.',
  timeout: 'The database did not answer in time; try again later.',
  outcome_unknown:
    'The write may or may not have been applied; check its result before sending it again, or send it again with the same idempotency key.',
  forbidden: 'The service is not allowed to perform this operation.',
  internal: 'An unexpected error occurred.',
};

/** Options of {@link toProblemDetails}. */
export interface ProblemDetailsOptions {
  /** The `instance` member: usually the request path. */
  instance?: string;
  /**
   * Include the table / collection / model name (`target`) and the error's own message for
   * server-side failures. Default false: API clients learn nothing of the schema or the driver.
   */
  exposeInternals?: boolean;
}

/** The HTTP status dbkit uses for each error kind. */
export function httpStatusOf(kind: ErrorKind): number {
  return statusByKind[kind];
}

/**
 * Turns any thrown value into problem details. A dbkit error about the request (validation,
 * conflict, not found, version conflict, ...) keeps its message and typed details; a server-side
 * failure (unavailable, timed out, throttled, forbidden, outcome unknown, internal) gets a fixed
 * sentence, and anything else a generic 500, so neither driver messages nor table and collection
 * names reach API clients unless `exposeInternals` is set.
 *
 * @example
 * ```ts
 * app.setErrorHandler((err, _req, reply) => {
 *   const problem = toProblemDetails(err)
 *   reply.code(problem.status).type('application/problem+json').send(problem)
 * })
 * ```
 */
export function toProblemDetails(err: unknown, options: ProblemDetailsOptions = {}): ProblemDetails {
  if (!(err instanceof DbkitError)) {
    return {
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred.',
      code: 'internal',
      retryable: false,
      ...(options.instance === undefined ? {} : { instance: options.instance }),
    };
  }
  const problem: ProblemDetails = {
    type: `https://dbkit.dev/problems/${err.kind.replaceAll('_', '-')}`,
    title: titleByKind[err.kind],
    status: statusByKind[err.kind],
    detail: (options.exposeInternals === true ? undefined : publicDetailByKind[err.kind]) ?? err.message,
    code: err.code,
    retryable: err.retryable,
  };
  if (options.instance !== undefined) problem.instance = options.instance;
  if (options.exposeInternals === true && err.target !== undefined) problem.target = err.target;
  Object.assign(problem, extensionsOf(err));
  return problem;
}

function extensionsOf(err: DbkitError): Record<string, unknown> {
  if (err instanceof ValidationError) {
    return {
      issues: err.issues.map((i) => ({
        path: [...i.path],
        message: i.message,
        ...(i.code ? { code: i.code } : {}),
      })),
    };
  }
  if (err instanceof ConflictError) return { fields: [...err.fields] };
  if (err instanceof VersionConflictError) {
    return {
      expectedVersion: err.expectedVersion,
      ...(err.actualVersion === undefined ? {} : { actualVersion: err.actualVersion }),
    };
  }
  if (err instanceof ThrottledError && err.retryAfterMs !== undefined)
    return { retryAfterMs: err.retryAfterMs };
  if (err instanceof TransactionCanceledError) {
    return {
      reasons: err.reasons.map((r) => ({
        index: r.index,
        code: r.code,
        ...(r.entity ? { entity: r.entity } : {}),
      })),
    };
  }
  if (err instanceof UnsupportedError) return { feature: err.feature };
  if (err instanceof LimitExceededError) {
    return {
      limit: err.limit,
      ...(err.max === undefined ? {} : { max: err.max }),
      ...(err.actual === undefined ? {} : { actual: err.actual }),
    };
  }
  return {};
}
