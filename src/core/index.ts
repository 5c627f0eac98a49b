// dbkit core: the engine-independent contract (errors, retry, cursors, validation, events, telemetry, repository).
export * from './errors.js';
export { toProblemDetails, httpStatusOf } from './problem-details.js';
export type { ProblemDetails, ProblemDetailsOptions } from './problem-details.js';
export { retry, backoffDelay, sleep, isRetryable, defaultRetryPolicy } from './retry.js';
export type { RetryPolicy, RetryOptions, RetryEvent } from './retry.js';
export { createCursorCodec, bindingHash } from './cursor.js';
export type { CursorCodec, CursorCodecOptions, CursorBinding } from './cursor.js';
export { stableStringify } from './stable-json.js';
export { validate, validateSync, isStandardSchema } from './validation.js';
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
export { silentLogger } from './logger.js';
export type { Logger, LogFn } from './logger.js';
export { execute } from './executor.js';
export type { ExecutorConfig, ExecuteOptions } from './executor.js';
export {
  createTelemetry,
  tracerTelemetry,
  targetFromUrl,
  dbSystemName,
  DURATION_BUCKETS,
  TELEMETRY_SCOPE,
} from './telemetry.js';
export type {
  Telemetry,
  TelemetryOption,
  TelemetryProviders,
  TelemetryTarget,
  TelemetryAttributes,
  TelemetryAttributeValue,
  OperationTelemetry,
  TracerLike,
  TracerProviderLike,
  SpanLike,
  MeterLike,
  MeterProviderLike,
  HistogramLike,
} from './telemetry.js';
export { pageSize, pageLimits } from './repository.js';
export type { Repository, Page, ListOptions, VersionedWriteOptions } from './repository.js';
export { requireCapability } from './capabilities.js';
export type { Capabilities } from './capabilities.js';
