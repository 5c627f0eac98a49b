// Core for dbkit's own engine modules: the public surface plus the plumbing engines share (executor, operations, cursors' hashing, telemetry). Not an entry point of the package.
export * from './index.js';
export { auditErrorCode, codeProblem, familyOf } from './error-codes.js';
export { backoffDelay, sleep, isRetryable } from './retry.js';
export { bindingHash } from './cursor.js';
export { stableStringify } from './stable-json.js';
export { isStandardSchema } from './validation.js';
export { silentLogger } from './logger.js';
export { execute } from './executor.js';
export type { ExecutorConfig, ExecuteOptions } from './executor.js';
export { declareOperations, operationSpec, runOperation } from './operations.js';
export type { OperationDeclaration, Operation, RunExtras } from './operations.js';
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
  TelemetryTarget,
  TelemetryAttributes,
  TelemetryAttributeValue,
  OperationTelemetry,
} from './telemetry.js';
export { pageSize, pageLimits } from './repository.js';
export { requireCapability } from './capabilities.js';
