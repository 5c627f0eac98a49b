// Maps what Prisma 7 throws under driver adapters (P-codes, raw DriverAdapterErrors, pg errors) into dbkit errors.
import type { ErrorCode } from '../core/error-codes.js';
import {
  ConditionFailedError,
  ConflictError,
  ConnectionError,
  DbkitError,
  ForbiddenError,
  InternalError,
  NotFoundError,
  OutcomeUnknownError,
  TimeoutError,
  TransientError,
  ValidationError,
} from '../core/internal.js';
import type { DbkitErrorOptions, EngineName, OperationSpec } from '../core/internal.js';
import { conflictFieldsFrom } from './conflict-fields.js';
import type { KnownConstraintColumns, ModelCatalog } from './conflict-fields.js';
import { connectionFailure, timeLimitFailure } from './connection-errors.js';

/**
 * The engines the Prisma module runs on.
 *
 * @example
 * ```ts
 * const engine: PrismaEngine = db.engine // 'postgres' or 'pglite'
 * ```
 */
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
  /** The client's models: a constraint violation is named by model and fields, not table and columns. */
  catalog?: ModelCatalog;
  /** Columns of constraints looked up in the database catalog (names outside Prisma's convention). */
  constraintColumns?: KnownConstraintColumns;
  /** The failure ended an interactive transaction before its COMMIT was sent: it rolled back. */
  rolledBack?: boolean;
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

const VALIDATION_MESSAGES: Readonly<Record<string, string>> = {
  P2000: 'a value is too long for its field',
  P2005: 'a value is of the wrong type for its field',
  P2006: 'a value is not valid for its field',
  P2007: 'the data did not pass validation',
  P2011: 'a required field is null',
  P2012: 'a required value is missing',
  P2013: 'a required argument is missing',
  P2019: 'the input was not valid',
  P2020: 'a value is out of range for its field',
  '23502': 'a required field is null',
};
const FORBIDDEN_SQLSTATES: Readonly<Record<string, ErrorCode>> = {
  '42501': 'forbidden.privilege',
  '28000': 'forbidden.authentication',
  '28P01': 'forbidden.authentication',
};
const FORBIDDEN_PRISMA_CODES: Readonly<Record<string, ErrorCode>> = {
  P1000: 'forbidden.authentication',
  P1010: 'forbidden.privilege',
};
const FORBIDDEN_DRIVER_KINDS: Readonly<Record<string, ErrorCode>> = {
  AuthenticationFailed: 'forbidden.authentication',
  DatabaseAccessDenied: 'forbidden.authentication',
};

/**
 * Maps anything Prisma, its driver adapter or `pg` throws into dbkit's taxonomy; the original is the
 * `cause`, its message untouched. Client-facing messages name models and fields, never tables,
 * hosts or driver text. Each error says whether the database certainly did nothing (`notApplied`):
 *
 * - P2002 / 23505 and P2003 / 23503 → ConflictError naming the fields (pass `conflictFields` when
 *   resolved from the constraint, see {@link conflictFieldsOf}); P2025 → NotFoundError.
 * - P2034 / 40001 / 40P01 (as a P-code or a raw DriverAdapterError) → retryable TransientError,
 *   `notApplied` (the database rolled the transaction back).
 * - 57014 → TimeoutError `timeout.statement` (`notApplied`); pg's `query_timeout` →
 *   `timeout.query` (outcome unknown); a pool with every connection busy → `timeout.pool`;
 *   P2028 → `timeout.transaction` / `timeout.transactionStart` (rolled back / never started).
 * - Refused, unreachable, connect timeout → ConnectionError, `notApplied`; a connection dropped
 *   mid-statement → ConnectionError `connection.lost`, outcome unknown.
 * - 42501, 28000, 28P01, P1000, P1010 → ForbiddenError; anything unrecognised → InternalError.
 *
 * @example
 * ```ts
 * try { await prisma.user.create({ data }) }
 * catch (err) { throw mapPrismaError(err, { engine: 'postgres', model: 'User', operation: 'create' }) }
 * ```
 */
export function mapPrismaError(err: unknown, context: PrismaErrorContext = {}): DbkitError {
  if (err instanceof DbkitError) return err;
  const mapped = refine(err, context);
  return context.rolledBack === true ? rolledBackError(mapped, context.engine) : mapped;
}

/**
 * The executor's `mapError` for one client: every failure of an operation is refined here, once,
 * with the client's model catalog and the constraint columns looked up so far.
 *
 * @example
 * ```ts
 * const config: ExecutorConfig = { ..., mapError: prismaErrorMapper('postgres', catalog, lookup.known) }
 * ```
 */
export function prismaErrorMapper(
  engine: PrismaEngine,
  catalog?: ModelCatalog,
  constraintColumns?: KnownConstraintColumns,
): (err: unknown, spec: OperationSpec) => DbkitError {
  return (err, spec) =>
    mapPrismaError(err, {
      engine,
      operation: spec.operation,
      // A raw query names no model: the catalog finds it from the table, if the error names one.
      ...(spec.target === 'raw' || spec.target === 'transaction' ? {} : { model: spec.target }),
      ...(catalog === undefined ? {} : { catalog }),
      ...(constraintColumns === undefined ? {} : { constraintColumns }),
    });
}

const CONSTRAINT_KINDS: ReadonlySet<string> = new Set([
  'UniqueConstraintViolation',
  'ForeignKeyConstraintViolation',
]);

function refine(err: unknown, context: PrismaErrorContext): DbkitError {
  const facts = prismaErrorFacts(err);
  const { prismaCode: p, driver, sqlState } = facts;
  let model = context.model ?? facts.modelName;
  let conflictFields = context.conflictFields;
  if (
    conflictFields === undefined &&
    context.catalog !== undefined &&
    (CONSTRAINT_KINDS.has(driver?.kind ?? '') || p === 'P2002')
  ) {
    const info =
      (model === undefined ? undefined : context.catalog.byModel(model)) ??
      (driver?.table === undefined ? undefined : context.catalog.byTable(driver.table));
    if (info !== undefined) model = info.name;
    conflictFields = conflictFieldsFrom(driver, info, context.constraintColumns);
  }
  const base: DbkitErrorOptions = {
    ...(context.engine === undefined ? {} : { engine: context.engine }),
    ...(context.operation === undefined ? {} : { operation: context.operation }),
    ...(model === undefined ? {} : { target: model }),
    cause: err,
  };
  const where = `${context.operation ?? 'operation'}${model === undefined ? '' : ` on ${model}`}`;

  if (p === 'P2002' || driver?.kind === 'UniqueConstraintViolation' || sqlState === '23505') {
    const fields = conflictFields ?? [];
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
      fields: conflictFields ?? [],
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
      { ...base, code: deadlock ? 'transient.deadlock' : 'transient.serialization', notApplied: true },
    );
  }
  if (sqlState === '55P03') {
    // The statement failed to take its lock: it did nothing (and its transaction cannot commit).
    return new TransientError(`${where}: a lock was not available`, {
      ...base,
      code: 'transient.lockNotAvailable',
      notApplied: true,
    });
  }
  if (p === 'P2028') return transactionTimeout(facts, base, where);
  const forbidden =
    (sqlState === undefined ? undefined : FORBIDDEN_SQLSTATES[sqlState]) ??
    (p === undefined ? undefined : FORBIDDEN_PRISMA_CODES[p]) ??
    (driver === undefined ? undefined : FORBIDDEN_DRIVER_KINDS[driver.kind]);
  if (forbidden !== undefined) {
    const what =
      forbidden === 'forbidden.authentication' ? 'the database refused the credentials' : 'permission denied';
    return new ForbiddenError(`${where}: ${what}`, { ...base, code: forbidden });
  }
  const limit = timeLimitFailure(facts);
  if (limit !== undefined) {
    return new TimeoutError(`${where}: ${limit.message}`, {
      ...base,
      code: limit.code,
      notApplied: limit.notApplied,
    });
  }
  const connection = connectionFailure(facts);
  if (connection !== undefined) {
    return new ConnectionError(`${where}: the database connection failed (${connection.code})`, {
      ...base,
      ...connection,
    });
  }
  if (sqlState === '23514') {
    return new ConditionFailedError(`${where}: a check constraint did not hold`, {
      ...base,
      code: 'condition_failed.check',
    });
  }
  const validation =
    (p === undefined ? undefined : VALIDATION_MESSAGES[p]) ??
    (sqlState === undefined ? undefined : VALIDATION_MESSAGES[sqlState]) ??
    (record(err)?.['name'] === 'PrismaClientValidationError'
      ? 'the arguments of the call are not valid for the model'
      : undefined);
  if (validation !== undefined) {
    // A fixed message per code: Prisma's own text may quote columns, values and source code.
    const path = model === undefined ? [] : [model];
    return new ValidationError([{ path, message: validation, code: p ?? sqlState ?? 'prisma.validation' }], {
      ...base,
      code: 'validation.engine',
    });
  }
  return new InternalError(`${where} failed unexpectedly (${p ?? sqlState ?? nameOf(err)})`, {
    ...base,
    code: 'internal.unexpected',
  });
}

function transactionTimeout(facts: PrismaErrorFacts, base: DbkitErrorOptions, where: string): TimeoutError {
  const timeout = facts.meta['timeout'];
  const starting = /Unable to start a transaction/i.test(facts.message);
  // Started too late, or expired and rolled back by Prisma: either way nothing was committed.
  const certain = starting || /expired|timeout|timed out/i.test(facts.message);
  const message = starting
    ? `${where}: the transaction could not start within its maxWait`
    : `${where}: the transaction ran past its timeout${typeof timeout === 'number' ? ` of ${timeout} ms` : ''} and was rolled back`;
  return new TimeoutError(message, {
    ...base,
    code: starting ? 'timeout.transactionStart' : 'timeout.transaction',
    notApplied: certain,
    ...(typeof timeout === 'number' ? { timeoutMs: timeout } : {}),
  });
}

/**
 * A database failure before COMMIT was requested (while starting, or inside the callback) means the
 * interactive transaction rolled back: reported as not applied, whatever the statement's own error
 * said. Kinds that carry no outcome (conflict, validation, ...) are returned as they are.
 *
 * @example
 * ```ts
 * rolledBackError(connectionLostMidStatement, 'postgres').notApplied // true
 * ```
 */
export function rolledBackError(err: DbkitError, engine: PrismaEngine | undefined): DbkitError {
  if (err.notApplied) return err;
  const inner = err instanceof OutcomeUnknownError && err.cause instanceof DbkitError ? err.cause : err;
  const options: DbkitErrorOptions = {
    ...(engine === undefined ? {} : { engine }),
    operation: '$transaction',
    target: 'transaction',
    code: inner.code,
    retryable: inner.retryable,
    notApplied: true,
    cause: err,
  };
  const message = `$transaction was rolled back: ${inner.message}`;
  switch (inner.kind) {
    case 'connection':
      return markDatabaseError(new ConnectionError(message, options));
    case 'timeout':
      return markDatabaseError(new TimeoutError(message, options));
    case 'transient':
      return markDatabaseError(new TransientError(message, options));
    default:
      return err;
  }
}

// Errors that came out of a dbkit operation on the database (mapped by the extension), as opposed
// to errors the caller's own code threw with the same classes.
const fromDatabase = new WeakSet<object>();

/**
 * Records that `err` came from the database (dbkit marks every error its extension's operations
 * throw), so that {@link isDatabaseError} tells it from the caller's own errors. Returns `err`.
 *
 * @example
 * ```ts
 * throw markDatabaseError(mapPrismaError(err))
 * ```
 */
export function markDatabaseError<E>(err: E): E {
  if (typeof err === 'object' && err !== null) fromDatabase.add(err);
  return err;
}

/**
 * True when `err` is the database's: thrown by Prisma, its adapter or `pg`, or by a dbkit
 * operation on the database. False for errors the caller's code threw itself (a plain `Error`,
 * a dbkit `ConditionFailedError` raised by business logic): those must pass through untouched.
 *
 * @example
 * ```ts
 * isDatabaseError(new Error('insufficient funds')) // false
 * ```
 */
export function isDatabaseError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if (fromDatabase.has(err)) return true;
  if (err instanceof DbkitError) return false;
  const name = record(err)?.['name'];
  if (typeof name === 'string' && /^(PrismaClient\w*Error|DriverAdapterError)$/.test(name)) return true;
  const mapped = mapPrismaError(err);
  return mapped.kind !== 'internal';
}

function nameOf(err: unknown): string {
  return err instanceof Error ? err.name : 'unknown error';
}
