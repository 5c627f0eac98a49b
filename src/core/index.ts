// dbkit core: the engine-independent contract (errors, problem details, retry, cursors, validation, events, repository).
export {
  DbkitError,
  ConflictError,
  NotFoundError,
  VersionConflictError,
  ConditionFailedError,
  ThrottledError,
  TransientError,
  ConnectionError,
  TimeoutError,
  ValidationError,
  TransactionCanceledError,
  UnsupportedError,
  LimitExceededError,
  ForbiddenError,
  OutcomeUnknownError,
  InternalError,
  isDbkitError,
} from './errors.js';
export type {
  EngineName,
  ErrorKind,
  ErrorContext,
  DbkitErrorOptions,
  ValidationIssue,
  CancellationReason,
} from './errors.js';
export { errorFamilies } from './error-codes.js';
export type { ErrorCode, ErrorFamily, ErrorFor, ErrorClassOfKind } from './error-codes.js';
export { toProblemDetails, httpStatusOf } from './problem-details.js';
export type { ProblemDetails, ProblemDetailsOptions } from './problem-details.js';
export { retry, defaultRetryPolicy } from './retry.js';
export type { RetryPolicy, RetryOptions, RetryEvent } from './retry.js';
export { createCursorCodec } from './cursor.js';
export type { CursorCodec, CursorCodecOptions, CursorBinding } from './cursor.js';
export { validate, validateSync } from './validation.js';
export type { StandardSchemaV1, SchemaInput, SchemaOutput } from './validation.js';
export { createInstrumentation } from './events.js';
export type {
  OperationSpec,
  OperationEvent,
  OperationStarted,
  OperationSucceeded,
  OperationFailed,
  OperationRetry,
  OperationListener,
  ConsumedCapacity,
  Instrumentation,
  InstrumentationOptions,
} from './events.js';
export type { Logger, LogFn } from './logger.js';
export type { CallOptions } from './operations.js';
export type {
  TelemetryOption,
  TelemetryProviders,
  TracerLike,
  TracerProviderLike,
  SpanLike,
  MeterLike,
  MeterProviderLike,
  HistogramLike,
} from './telemetry.js';
export type { Repository, Page, ListOptions, VersionedWriteOptions } from './repository.js';
export type { Capabilities } from './capabilities.js';
export { migrationChecksumOf } from './migrations.js';
export type {
  Migration,
  MigrationRun,
  MigrationState,
  MigrationStatus,
  MigrationStatusEntry,
  DeployOptions,
  DeployResult,
} from './migrations.js';
export type { ModuleImporter } from './migration-files.js';
export type { BackfillProgress, BackfillReport, BackfillRunOptions } from './backfill.js';
export { defineConfig } from './config.js';
export type {
  BackfillJob,
  BackfillJobRun,
  CreatedMigration,
  DbkitConfig,
  MigrationTarget,
} from './config.js';
