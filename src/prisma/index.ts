// dbkit/prisma: Prisma 7 on PostgreSQL and PGlite with client lifecycle, the dbkit extension and migrations without the CLI.
export { createPrisma, logDefinitions } from './client.js';
export type {
  AdapterLike,
  BaseClientLike,
  ClientConstructorOptions,
  CreatePrismaOptions,
  DbkitPrisma,
  PrismaLogDefinition,
} from './client.js';
export { dbkitExtension, DEFAULT_OPERATION_TIMEOUT_MS } from './extension.js';
export { applyPoolTimeouts, defaultPoolTimeouts } from './pool-config.js';
export type { ConfigurablePool, PoolTimeouts } from './pool-config.js';
export type { DbkitExtension, DbkitExtensionOptions, PaginateModelArgs } from './extension.js';
export { mapPrismaError, prismaErrorFacts } from './errors.js';
export type { DriverErrorCause, PrismaEngine, PrismaErrorContext, PrismaErrorFacts } from './errors.js';
export {
  columnsFromConstraintName,
  columnsToFields,
  conflictFieldsOf,
  modelCatalog,
} from './conflict-fields.js';
export type { ConstraintColumnsLookup, ModelCatalog, ModelInfo } from './conflict-fields.js';
export { updateVersioned, deleteVersioned } from './optimistic-lock.js';
export type {
  VersionedContext,
  VersionedDelegate,
  VersionedDeleteArgs,
  VersionedUpdateArgs,
} from './optimistic-lock.js';
export { transactionWithRetry, defaultTransactionRetry } from './transaction.js';
export type {
  IsolationLevel,
  TransactionClient,
  TransactionContext,
  TransactionOptions,
} from './transaction.js';
export { slowQueryListener, redactParams } from './slow-query.js';
export type { PrismaQueryEvent, SlowQueryOptions } from './slow-query.js';
export { createNPlusOneDetector, queryShape } from './n-plus-one.js';
export type { NPlusOneDetector, NPlusOneOptions, NPlusOneReport } from './n-plus-one.js';
export { paginate, keysetWhere } from './pagination.js';
export type { FindManyDelegate, KeysetOrder, PaginateArgs, SortDirection } from './pagination.js';
export { monitorPool, poolStats } from './pool-stats.js';
export type { PoolLike, PoolMonitor, PoolMonitorOptions, PoolStats } from './pool-stats.js';
export { prismaRepository } from './repository.js';
export type { PrismaRepositoryOptions, RepositoryDelegate } from './repository.js';
export * from './migrate/index.js';
