// The isolation kit of dbkit/testing: a database, schema or table per test file, reset between tests, typed seeds.
export { ISOLATED_PREFIX, isolatedName, quoteIdent, workerTag } from './names.js';
export { useIsolated } from './lifecycle.js';
export type { HookRegistrar, IsolatedContext, SuiteHooks, UseIsolatedOptions } from './lifecycle.js';
export { dependencyOrder, MIGRATIONS_TABLE, readTableGraph } from './sql-catalog.js';
export type { ForeignKeyEdge, TableGraph } from './sql-catalog.js';
export { sqlContext } from './sql-context.js';
export type { SqlContextParts, SqlResetStrategy, SqlTestContext } from './sql-context.js';
export { createPostgresContext } from './postgres.js';
export type { PostgresContextOptions, PostgresTestContext } from './postgres.js';
export { createPgliteContext } from './pglite.js';
export type { PgliteContextOptions, PgliteTestContext } from './pglite.js';
export { orderKeys, seedSql } from './sql-seed.js';
export type { SqlSeedData } from './sql-seed.js';
export { seedPrisma } from './prisma-seed.js';
export type { CreateManyRow, PrismaModelName, PrismaSeedData, SeedPrismaOptions } from './prisma-seed.js';
export { createDynamoContext } from './dynamo.js';
export type { DynamoContextOptions, DynamoSeedData, DynamoTestContext } from './dynamo.js';
export { deleteAllItems } from './dynamo-reset.js';
export { createMongoContext } from './mongo.js';
export type { MongoContextOptions, MongoSeedData, MongoTestContext } from './mongo.js';
export { engineUrlFor } from './server-url.js';
export {
  builtinProvider,
  CONTAINER_IMAGES,
  defaultProviders,
  memoryServerProvider,
  provideEngine,
  testcontainersProvider,
} from './providers.js';
export type {
  EngineKind,
  EngineProvider,
  ProvidedEngine,
  ProvideOutcome,
  ProviderName,
  ProviderSkip,
} from './providers.js';
