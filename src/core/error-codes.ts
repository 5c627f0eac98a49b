// The registry of error codes: every code is `<family>` or `<family>.<detail>`, each family carries the kinds listed here, and no code names an engine.
import type {
  ConditionFailedError,
  ConflictError,
  ConnectionError,
  DbkitError,
  ErrorKind,
  ForbiddenError,
  InternalError,
  LimitExceededError,
  NotFoundError,
  OutcomeUnknownError,
  ThrottledError,
  TimeoutError,
  TransactionCanceledError,
  TransientError,
  UnsupportedError,
  ValidationError,
  VersionConflictError,
} from './errors.js';

/**
 * Every code family dbkit throws, with the error kinds a code of that family can have. A code is
 * the family itself (`conflict`) or the family and a detail (`conflict.unique`, `cursor.expired`,
 * `throttled.ProvisionedThroughputExceededException`); the detail may name a driver's error, never
 * the engine. `isDbkitError(err, code)` narrows to the classes of the family's kinds.
 *
 * @example
 * ```ts
 * errorFamilies.cursor // ['validation']
 * ```
 */
export const errorFamilies = {
  // One family per kind, named as the kind (`limit` for limit_exceeded, as in `limit.itemSize`).
  conflict: ['conflict'],
  not_found: ['not_found'],
  version_conflict: ['version_conflict'],
  condition_failed: ['condition_failed'],
  throttled: ['throttled'],
  transient: ['transient'],
  connection: ['connection'],
  timeout: ['timeout'],
  validation: ['validation'],
  transaction_canceled: ['transaction_canceled'],
  unsupported: ['unsupported'],
  limit: ['limit_exceeded'],
  limit_exceeded: ['limit_exceeded'],
  forbidden: ['forbidden'],
  outcome_unknown: ['outcome_unknown'],
  internal: ['internal'],
  // Input rejected before it reached the engine, by topic.
  bulk: ['validation'],
  condition: ['validation'],
  cursor: ['validation'],
  delete: ['validation'],
  document: ['validation'],
  expression: ['validation'],
  filter: ['validation'],
  id: ['validation'],
  injection: ['validation'],
  item: ['validation'],
  key: ['validation'],
  mongoose: ['validation'],
  number: ['validation'],
  objectId: ['validation'],
  pagination: ['validation'],
  pipeline: ['validation'],
  query: ['validation'],
  scan: ['validation'],
  schema: ['validation'],
  update: ['validation'],
  version: ['validation'],
  // Families whose codes report several outcomes.
  batch: ['validation', 'throttled', 'timeout', 'transient', 'connection', 'outcome_unknown', 'internal'],
  migration: ['condition_failed', 'conflict', 'timeout', 'validation'],
  backfill: ['condition_failed', 'conflict', 'validation'],
  transaction: ['transaction_canceled'],
} as const satisfies Record<string, readonly ErrorKind[]>;

/** A family of error codes; see {@link errorFamilies}. */
export type ErrorFamily = keyof typeof errorFamilies;

/**
 * A dbkit error code: a family (`conflict`), a family and detail (`conflict.unique`), or a family
 * prefix with its dot (`cursor.`) for matching every code of the family.
 *
 * @example
 * ```ts
 * const code: ErrorCode = 'cursor.expired'
 * ```
 */
export type ErrorCode = ErrorFamily | `${ErrorFamily}.${string}`;

/** The error class of each kind. */
export interface ErrorClassOfKind {
  conflict: ConflictError;
  not_found: NotFoundError;
  version_conflict: VersionConflictError;
  condition_failed: ConditionFailedError;
  throttled: ThrottledError;
  transient: TransientError;
  connection: ConnectionError;
  timeout: TimeoutError;
  validation: ValidationError;
  transaction_canceled: TransactionCanceledError;
  unsupported: UnsupportedError;
  limit_exceeded: LimitExceededError;
  forbidden: ForbiddenError;
  outcome_unknown: OutcomeUnknownError;
  internal: InternalError;
}

// A family of one kind narrows to that kind's class; a family of several to DbkitError, whose
// `kind` then tells them apart (a batch report is one class whatever its kind).
type ClassOfFamily<F extends ErrorFamily> = (typeof errorFamilies)[F] extends readonly [
  infer K extends ErrorKind,
]
  ? ErrorClassOfKind[K]
  : DbkitError;

/**
 * The error a kind or code narrows to: `'conflict.unique'` gives `ConflictError` (with its
 * `fields`), `'cursor.'` gives `ValidationError`, `'batch.'` the union of the batch family's kinds.
 *
 * @example
 * ```ts
 * type E = ErrorFor<'limit.itemSize'> // LimitExceededError
 * ```
 */
export type ErrorFor<C extends string> = C extends ErrorKind
  ? ErrorClassOfKind[C]
  : C extends ErrorFamily
    ? ClassOfFamily<C>
    : C extends `${infer F}.${string}`
      ? F extends ErrorFamily
        ? ClassOfFamily<F>
        : DbkitError
      : DbkitError;

/**
 * The family of a code (`cursor` for `cursor.expired`), or `undefined` when it is not registered.
 *
 * @example
 * ```ts
 * familyOf('conflict.unique') // 'conflict'
 * ```
 */
export function familyOf(code: string): ErrorFamily | undefined {
  const dot = code.indexOf('.');
  const family = dot === -1 ? code : code.slice(0, dot);
  return Object.hasOwn(errorFamilies, family) ? (family as ErrorFamily) : undefined;
}

/**
 * Why `code` breaks the registry for an error of `kind`, or `undefined` when it obeys it.
 *
 * @example
 * ```ts
 * codeProblem('cursor.expired', 'validation') // undefined
 * codeProblem('validation.engine', 'validation') // 'unregistered family "dynamodb"'
 * ```
 */
export function codeProblem(code: string, kind: ErrorKind): string | undefined {
  const family = familyOf(code);
  if (family === undefined) return `unregistered family "${code.split('.')[0] ?? code}"`;
  const kinds: readonly ErrorKind[] = errorFamilies[family];
  if (!kinds.includes(kind)) return `family "${family}" carries ${kinds.join(', ')}, not ${kind}`;
  if (/(^|\.)(dynamodb|mongodb|mongo|prisma|postgres|pglite|dynamoose)(\.|$)/i.test(code))
    return 'a code must not name an engine';
  return undefined;
}

const AUDIT = Symbol.for('dbkit.errorCodeAudit');

/** @internal Reports every constructed error to the audit hook the test suite installs, if any. */
export function auditErrorCode(error: DbkitError): void {
  const hook = (globalThis as { [AUDIT]?: (error: DbkitError) => void })[AUDIT];
  if (hook !== undefined) hook(error);
}
