// dbkit/prisma: Prisma 7 on PostgreSQL and PGlite with client lifecycle, the dbkit extension and migrations without the CLI.
export { createPrisma } from './client.js';
export type {
  AdapterLike,
  BaseClientLike,
  ClientConstructorOptions,
  CreatePrismaOptions,
  DbkitPrisma,
  PrismaLogDefinition,
} from './client.js';
export { dbkitExtension } from './extension.js';
export type { DbkitExtension, DbkitExtensionOptions, PaginateModelArgs } from './extension.js';
export { prismaCapabilities } from './capabilities.js';
export { defaultPoolTimeouts } from './pool-config.js';
export type { PoolTimeouts } from './pool-config.js';
export type { PrismaEngine } from './errors.js';
export type { IsolationLevel, TransactionOptions } from './transaction.js';
export { createNPlusOneDetector } from './n-plus-one.js';
export type { NPlusOneDetector, NPlusOneOptions, NPlusOneReport } from './n-plus-one.js';
export type { KeysetOrder, SortDirection } from './pagination.js';
export type { PoolLike, PoolMonitorOptions, PoolStats } from './pool-stats.js';
export { prismaRepository } from './repository.js';
export type { PrismaRepositoryOptions, RepositoryDelegate } from './repository.js';
export { applyMigrations, checkDrift, sqlSource } from './migrate/index.js';
export type {
  ApplyMigrationsOptions,
  ApplyMigrationsResult,
  CheckDriftOptions,
  DriftDifference,
  DriftReport,
  PgliteLike,
  PgPoolLike,
  PgQueryable,
  SqlSessionSource,
} from './migrate/index.js';
export { backfill } from './backfill/index.js';
export type { SqlBackfillOptions, SqlRow } from './backfill/index.js';
export { createMigration, migrationStatus } from './migrate/index.js';
export type {
  CreateMigrationOptions,
  CreateMigrationResult,
  SqlMigrationStatus,
  SqlMigrationStatusEntry,
  MigrationStatusOptions,
} from './migrate/index.js';
export { sqlTarget } from './migration-target.js';
export type { SqlTargetOptions } from './migration-target.js';
