// Core for dbkit's own engine modules: the public surface plus the plumbing engines share (executor, declared operations, telemetry). Not an entry point of the package.
export * from './index.js';
export { backoffDelay, sleep } from './retry.js';
export { silentLogger } from './logger.js';
export type { ExecutorConfig } from './executor.js';
export { declareOperations, operationSpec, runOperation } from './operations.js';
export type { OperationDeclaration, Operation, RunExtras } from './operations.js';
export { createTelemetry, targetFromUrl } from './telemetry.js';
export type { Telemetry, TelemetryTarget } from './telemetry.js';
export { pageSize } from './repository.js';
export { deployWithJournal, journalStatus, planMigrations, resolveWithJournal } from './migrations.js';
export type { JournalRecord, MigrationJournal } from './migrations.js';
export { defaultImporter, loadMigrationFolder, writeMigrationFile } from './migration-files.js';
export { runBackfill } from './backfill.js';
export type {
  BackfillCheckpoint,
  BackfillPage,
  BackfillSource,
  BackfillTransform,
  BackfillWriteResult,
  CheckpointStore,
} from './backfill.js';
export type { CreatedMigration, MigrationTarget } from './config.js';
