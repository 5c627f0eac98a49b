// Migrations without the Prisma CLI: apply Prisma-layout migrations, report their status, create the next one with Prisma's Wasm schema engine, check for drift.
export { applyMigrations, PRISMA_MIGRATE_LOCK_KEY } from './apply-migrations.js';
export type { ApplyMigrationsOptions, ApplyMigrationsResult } from './apply-migrations.js';
export { readMigrations } from './migration-files.js';
export type { MigrationFile } from './migration-files.js';
export { sqlSource } from './sql-session.js';
export type { SqlSession, SqlSessionSource, PgPoolLike, PgQueryable, PgliteLike } from './sql-session.js';
export { checkDrift, diffShapes, liveShape } from './check-drift.js';
export type { CheckDriftOptions, DriftDifference, DriftReport } from './check-drift.js';
export { expectedShape, loadDatamodel } from './data-model.js';
export type {
  ColumnShape,
  DmmfDatamodel,
  DmmfField,
  DmmfModel,
  IndexShape,
  SchemaShape,
  TableShape,
} from './data-model.js';
export { migrationChecksumMatches } from './migration-files.js';
export { migrationStatus } from './migration-status.js';
export type {
  SqlMigrationStatus,
  SqlMigrationStatusEntry,
  MigrationStatusOptions,
} from './migration-status.js';
export { mustRunOutsideTransaction, NO_TRANSACTION_MARKER, splitSqlStatements } from './sql-statements.js';
export { transactionPlan } from './transaction-plan.js';
export type { TransactionPlan } from './transaction-plan.js';
export { createMigration, migrationDirectoryName } from './create-migration.js';
export type { CreateMigrationOptions, CreateMigrationResult } from './create-migration.js';
export { engineMigrationList, NO_FILTERS, openSchemaEngine } from './schema-engine.js';
export type { EngineFilters, EngineMigrationList, PrismaSchemaEngine } from './schema-engine.js';
