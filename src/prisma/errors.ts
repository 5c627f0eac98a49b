// Maps what Prisma 7 throws under driver adapters (P-codes, raw DriverAdapterErrors, pg errors) into dbkit errors.
import {
  ConditionFailedError,
  ConflictError,
  ConnectionError,
  DbkitError,
  NotFoundError,
  TimeoutError,
  TransientError,
  ValidationError,
} from '../core/index.js';
import type { DbkitErrorOptions, EngineName } from '../core/index.js';

/** The engines the Prisma module runs on. */
export type PrismaEngine = Extract<EngineName, 'postgres' | 'pglite'>;

/** Where an error happened, as far as the caller knows. */
export interface PrismaErrorContext {
  engine?: PrismaEngine;
  /** The model, e.g. `User` (taken from the error's `meta.modelName` when absent). */
  model?: string;
  /** The Prisma operation, e.g. `create` or `$transaction`. */
  operation?: string;
  /** The fields behind a unique or foreign-key constraint, when the caller resolved them already. */
  conflictFields?: readonly string[];
}

/** The `cause` of a Prisma `DriverAdapterError`: the adapter's description of the database error. */
export interface DriverErrorCause {
  kind: string;
  originalCode?: string;
  originalMessage?: string;
  code?: string;
  constraint?: { index?: string; fields?: string[]; foreignKey?: unknown };
  table?: string;
  message?: string;
}

/** The facts dbkit reads off any error Prisma (or its adapter) throws. */
export interface PrismaErrorFacts {
  /** The P-code (`P2002`), when there is one. */
  prismaCode: string | undefined;
  /** The adapter's cause, from `meta.driverAdapterError.cause` or a raw DriverAdapterError. */
  driver: DriverErrorCause | undefined;
  /** The PostgreSQL SQLSTATE, when known. */
  sqlState: string | undefined;
  /** `meta.modelName`, when Prisma set it. */
  modelName: string | undefined;
  meta: Record<string, unknown>;
  message: string;
  /** The error's own `code` when it is neither a P-code nor a SQLSTATE (e.g. `ECONNREFUSED`). */
  otherCode: string | undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function driverCause(value: unknown): DriverErrorCause | undefined {
  const err = record(value);
  if (err?.['name'] !== 'DriverAdapterError') return undefined;
  const cause = record(err['cause']);
  return typeof cause?.['kind'] === 'string' ? (cause as unknown as DriverErrorCause) : undefined;
}

/**
 * Reads the P-code, the adapter's cause and the SQLSTATE off an error, whichever form it takes.
 *
 * @example
 * ```ts
 * const { prismaCode, sqlState } = prismaErrorFacts(err) // 'P2034', '40001'
 * ```
 */
export function prismaErrorFacts(err: unknown): PrismaErrorFacts {
  const e = record(err) ?? {};
  const meta = record(e['meta']) ?? {};
  const code = str(e['code']) ?? str(e['errorCode']);
  const prismaCode = code !== undefined && /^P\d{4}$/.test(code) ? code : undefined;
  const driver = driverCause(meta['driverAdapterError']) ?? driverCause(err);
  const pgCode =
    prismaCode === undefined && code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  return {
    prismaCode,
    driver,
    sqlState: driver?.originalCode ?? driver?.code ?? pgCode,
    modelName: str(meta['modelName']),
    meta,
    message: str(e['message']) ?? String(err),
    otherCode: prismaCode === undefined && pgCode === undefined ? code : undefined,
  };
}

const CONNECTION_CODES: Readonly<Record<string, string>> = {
  P1000: 'connection.authenticationFailed',
  P1001: 'connection.unreachable',
  P1002: 'connection.timeout',
  P1003: 'connection.databaseMissing',
  P1008: 'connection.socketTimeout',
  P1011: 'connection.tls',
  P1017: 'connection.closed',
  P2037: 'connection.tooMany',
};
const NOT_RETRYABLE_CONNECTION = new Set(['P1000', 'P1003', 'P1011']);
const CONNECTION_MESSAGES: readonly [RegExp, string, boolean][] = [
  [
    /Client has encountered a connection error|Connection terminated|ECONNRESET|ECONNREFUSED/i,
    'connection.lost',
    true,
  ],
  [/PGlite is closed|Cannot use a pool after calling end on the pool/i, 'connection.closed', false],
];
const VALIDATION_CODES = new Set([
  'P2000',
  'P2005',
  'P2006',
  'P2007',
  'P2011',
  'P2012',
  'P2013',
  'P2019',
  'P2020',
]);

/**
 * Maps anything Prisma, its driver adapter or `pg` throws into dbkit's taxonomy; the original is the
 * `cause`, its message untouched. P2002 → ConflictError naming the fields (pass `conflictFields` when
 * resolved from the constraint, see {@link conflictFieldsOf}); P2025 → NotFoundError; P2034 /
 * 40001 / 40P01 (as a P-code or a raw DriverAdapterError) → TransientError; P2028 → TimeoutError;
 * P1001 / P1017 / dropped connections → ConnectionError.
 *
 * @example
 * ```ts
 * try { await prisma.user.create({ data }) }
 * catch (err) { throw mapPrismaError(err, { engine: 'postgres', model: 'User', operation: 'create' }) }
 * ```
 */
export function mapPrismaError(err: unknown, context: PrismaErrorContext = {}): DbkitError {
  if (err instanceof DbkitError) return err;
  const facts = prismaErrorFacts(err);
  const { prismaCode: p, driver, sqlState } = facts;
  const model = context.model ?? facts.modelName;
  const base: DbkitErrorOptions = {
    ...(context.engine === undefined ? {} : { engine: context.engine }),
    ...(context.operation === undefined ? {} : { operation: context.operation }),
    ...(model === undefined ? {} : { target: model }),
    cause: err,
  };
  const where = `${context.operation ?? 'operation'}${model === undefined ? '' : ` on ${model}`}`;

  if (p === 'P2002' || driver?.kind === 'UniqueConstraintViolation' || sqlState === '23505') {
    const fields = context.conflictFields ?? [];
    const named = fields.length > 0 ? ` (${fields.join(', ')})` : '';
    return new ConflictError(`${where}: a record with the same unique value${named} already exists`, {
      ...base,
      code: 'conflict.unique',
      fields,
    });
  }
  if (p === 'P2003' || driver?.kind === 'ForeignKeyConstraintViolation' || sqlState === '23503') {
    return new ConflictError(`${where}: a foreign-key constraint stood in the way`, {
      ...base,
      code: 'conflict.foreignKey',
      fields: context.conflictFields ?? [],
    });
  }
  if (p === 'P2025') {
    return new NotFoundError(`${where}: the record addressed does not exist`, { ...base, code: 'not_found' });
  }
  if (
    p === 'P2034' ||
    driver?.kind === 'TransactionWriteConflict' ||
    sqlState === '40001' ||
    sqlState === '40P01'
  ) {
    const deadlock = sqlState === '40P01';
    return new TransientError(
      `${where}: ${deadlock ? 'deadlock detected' : 'serialization failure'}; retry the transaction`,
      {
        ...base,
        code: deadlock ? 'transient.deadlock' : 'transient.serialization',
      },
    );
  }
  if (sqlState === '55P03') {
    return new TransientError(`${where}: a lock was not available`, {
      ...base,
      code: 'transient.lockNotAvailable',
    });
  }
  if (p === 'P2028') return transactionTimeout(facts, base, where);
  if (sqlState === '57014') {
    return new TimeoutError(`${where}: the statement was canceled (statement timeout)`, {
      ...base,
      code: 'timeout.statement',
    });
  }
  const connection = connectionCode(facts);
  if (connection !== undefined) {
    return new ConnectionError(`${where}: the database connection failed (${connection[0]})`, {
      ...base,
      code: connection[0],
      retryable: connection[1],
    });
  }
  if (/timeout exceeded when trying to connect/i.test(facts.message)) {
    return new TimeoutError(`${where}: no pooled connection became free in time`, {
      ...base,
      code: 'timeout.pool',
    });
  }
  if (sqlState === '23514') {
    return new ConditionFailedError(`${where}: a check constraint did not hold`, {
      ...base,
      code: 'condition.check',
    });
  }
  if (
    (p !== undefined && VALIDATION_CODES.has(p)) ||
    sqlState === '23502' ||
    record(err)?.['name'] === 'PrismaClientValidationError'
  ) {
    const path = model === undefined ? [] : [model];
    return new ValidationError(
      [{ path, message: firstLine(facts.message), code: p ?? sqlState ?? 'prisma.validation' }],
      {
        ...base,
        code: 'validation.prisma',
      },
    );
  }
  return new DbkitError('transient', `${where} failed (${p ?? sqlState ?? nameOf(err)})`, {
    ...base,
    code: 'prisma.unexpected',
    retryable: false,
  });
}

function transactionTimeout(facts: PrismaErrorFacts, base: DbkitErrorOptions, where: string): TimeoutError {
  const timeout = facts.meta['timeout'];
  const starting = /Unable to start a transaction/i.test(facts.message);
  const message = starting
    ? `${where}: the transaction could not start within its maxWait`
    : `${where}: the transaction ran past its timeout${typeof timeout === 'number' ? ` of ${timeout} ms` : ''} and was rolled back`;
  return new TimeoutError(message, {
    ...base,
    code: starting ? 'timeout.transactionStart' : 'timeout.transaction',
    ...(typeof timeout === 'number' ? { timeoutMs: timeout } : {}),
  });
}

function connectionCode(facts: PrismaErrorFacts): [string, boolean] | undefined {
  const { prismaCode: p, driver, sqlState } = facts;
  if (p !== undefined && p in CONNECTION_CODES)
    return [CONNECTION_CODES[p] ?? 'connection', !NOT_RETRYABLE_CONNECTION.has(p)];
  if (driver?.kind === 'DatabaseNotReachable') return ['connection.unreachable', true];
  if (driver?.kind === 'ConnectionClosed') return ['connection.closed', true];
  if (
    sqlState !== undefined &&
    (sqlState.startsWith('08') || ['57P01', '57P02', '57P03'].includes(sqlState))
  ) {
    return ['connection.lost', true];
  }
  for (const [pattern, code, retryable] of CONNECTION_MESSAGES) {
    if (pattern.test(facts.message)) return [code, retryable];
  }
  if (facts.otherCode === 'ECONNREFUSED' || facts.otherCode === 'ECONNRESET')
    return ['connection.lost', true];
  return undefined;
}

function firstLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? message;
}

function nameOf(err: unknown): string {
  return err instanceof Error ? err.name : 'unknown error';
}
