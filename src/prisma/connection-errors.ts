// Classifies connection, pool and time-limit failures of Prisma, @prisma/adapter-pg, pg and PGlite: which code, whether retryable, whether the database certainly did nothing.
import type { ErrorCode } from '../core/error-codes.js';
import type { PrismaErrorFacts } from './errors.js';

/** How one connection failure is reported. */
export interface ConnectionFailure {
  /** Dotted code, e.g. `connection.timeout`. */
  code: ErrorCode;
  retryable: boolean;
  /** True when nothing reached the database (never connected, refused before sending). */
  notApplied: boolean;
}

/** How one time-limit failure is reported. */
export interface TimeLimitFailure {
  /** Dotted code, e.g. `timeout.pool`. */
  code: ErrorCode;
  /** What happened, without driver text. */
  message: string;
  notApplied: boolean;
}

function failure(code: ErrorCode, retryable: boolean, notApplied: boolean): ConnectionFailure {
  return { code, retryable, notApplied };
}

// Prisma's connection P-codes. P1001 (unreachable), P1003 (no such database), P1011 (TLS) and
// P2037 (too many connections) fail while connecting, so nothing was sent.
const BY_PRISMA_CODE: Readonly<Record<string, ConnectionFailure>> = {
  P1001: failure('connection.unreachable', true, true),
  P1002: failure('connection.timeout', true, false),
  P1003: failure('connection.databaseMissing', false, true),
  P1008: failure('connection.socketTimeout', true, false),
  P1011: failure('connection.tls', false, true),
  P1017: failure('connection.closed', true, false),
  P2037: failure('connection.tooMany', true, true),
};

// The adapter's DriverAdapterError kinds for connection problems.
const BY_DRIVER_KIND: Readonly<Record<string, ConnectionFailure>> = {
  DatabaseNotReachable: failure('connection.unreachable', true, true),
  DatabaseDoesNotExist: failure('connection.databaseMissing', false, true),
  TlsConnectionError: failure('connection.tls', false, true),
  TooManyConnections: failure('connection.tooMany', true, true),
  ConnectionClosed: failure('connection.closed', true, false),
  SocketTimeout: failure('connection.socketTimeout', true, false),
};

// Messages of errors pg, pg-pool and PGlite throw without a code (the adapter rethrows them raw).
// Order matters: the connect timeout's message also starts with "Connection terminated".
const BY_MESSAGE: readonly [RegExp, ConnectionFailure][] = [
  // pg-pool's connectionTimeoutMillis hit while opening a new connection: nothing was sent.
  [/Connection terminated due to connection timeout/i, failure('connection.timeout', true, true)],
  // pg refuses to send on a client that already failed: nothing was sent.
  [/Client has encountered a connection error and is not queryable/i, failure('connection.lost', true, true)],
  [/ECONNREFUSED|ENOTFOUND|getaddrinfo/i, failure('connection.unreachable', true, true)],
  [/Connection terminated|ECONNRESET|socket hang up/i, failure('connection.lost', true, false)],
  [
    /PGlite is closed|Cannot use a pool after calling end on the pool/i,
    failure('connection.closed', false, true),
  ],
];

/**
 * The connection failure an error reports, or undefined when it is not one.
 *
 * @example
 * ```ts
 * connectionFailure(prismaErrorFacts(new Error('Connection terminated unexpectedly')))
 * // { code: 'connection.lost', retryable: true, notApplied: false }
 * ```
 */
export function connectionFailure(facts: PrismaErrorFacts): ConnectionFailure | undefined {
  const { prismaCode: p, driver, sqlState } = facts;
  if (p !== undefined) {
    const known = BY_PRISMA_CODE[p];
    if (known !== undefined) return known;
  }
  const byKind = driver === undefined ? undefined : BY_DRIVER_KIND[driver.kind];
  if (byKind !== undefined) return byKind;
  if (sqlState !== undefined) {
    // 08001 / 08004: the server refused to establish the connection; 57P03: it is starting up.
    if (['08001', '08004', '57P03'].includes(sqlState)) return failure('connection.refused', true, true);
    // 57P01 / 57P02 (backend terminated) and other 08xxx may strike after a statement committed.
    if (sqlState.startsWith('08') || sqlState === '57P01' || sqlState === '57P02')
      return failure('connection.lost', true, false);
  }
  for (const [pattern, found] of BY_MESSAGE) if (pattern.test(facts.message)) return found;
  switch (facts.otherCode) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
      return failure('connection.unreachable', true, true);
    case 'ECONNRESET':
      return failure('connection.lost', true, false);
    case 'ETIMEDOUT':
      return failure('connection.socketTimeout', true, false);
    default:
      return undefined;
  }
}

/**
 * The time-limit failure an error reports (statement timeout, pg's `query_timeout`, pool wait),
 * or undefined. Transaction timeouts (P2028) are read separately, from the Prisma error's meta.
 *
 * @example
 * ```ts
 * timeLimitFailure(prismaErrorFacts(new Error('Query read timeout')))
 * // { code: 'timeout.query', notApplied: false, ... }
 * ```
 */
export function timeLimitFailure(facts: PrismaErrorFacts): TimeLimitFailure | undefined {
  if (facts.sqlState === '57014') {
    // The server cancelled the statement and rolled back its effects (in a transaction, the
    // transaction can no longer commit): nothing of it was applied.
    return {
      code: 'timeout.statement',
      message: 'the statement was cancelled by the server (statement timeout or cancel request)',
      notApplied: true,
    };
  }
  if (/Query read timeout/i.test(facts.message)) {
    // pg's client-side query_timeout: the statement may still run, and commit, on the server.
    return {
      code: 'timeout.query',
      message: 'no answer from the database within the query timeout',
      notApplied: false,
    };
  }
  if (/timeout exceeded when trying to connect/i.test(facts.message)) {
    // pg-pool gives this only to a caller queued for a connection while all are busy.
    return {
      code: 'timeout.pool',
      message: 'no pooled connection became free in time (all connections busy)',
      notApplied: true,
    };
  }
  return undefined;
}
