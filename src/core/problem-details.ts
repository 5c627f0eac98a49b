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
  timeout: 504,
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
};

/** The HTTP status dbkit uses for each error kind. */
export function httpStatusOf(kind: ErrorKind): number {
  return statusByKind[kind];
}

/**
 * Turns any thrown value into problem details. A dbkit error keeps its message and typed details;
 * anything else becomes a generic 500 whose detail never includes the original message or stack,
 * so driver internals cannot leak.
 *
 * @example
 * ```ts
 * app.setErrorHandler((err, _req, reply) => {
 *   const problem = toProblemDetails(err)
 *   reply.code(problem.status).type('application/problem+json').send(problem)
 * })
 * ```
 */
export function toProblemDetails(err: unknown, options: { instance?: string } = {}): ProblemDetails {
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
    detail: err.message,
    code: err.code,
    retryable: err.retryable,
  };
  if (options.instance !== undefined) problem.instance = options.instance;
  if (err.target !== undefined) problem.target = err.target;
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
