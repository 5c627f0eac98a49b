// dbkit/mongo: the official MongoDB driver with the safety rails built in.
export { connectMongo, mongoDefaults, redactUri } from './client.js';
export type {
  ConnectMongoClientOptions,
  ConnectMongoDbOptions,
  ConnectMongoInput,
  ConnectMongoOptions,
  ForeignDb,
  ForeignMongoClient,
  MongoConnection,
  MongoConnectionSettings,
  MongoHealth,
} from './client-options.js';
export type { MongoCapabilities, MongoFlavor } from './capabilities.js';
export { defineCollection } from './collection.js';
export type {
  CollectionDefinition,
  CollectionOptions,
  CreateInput,
  OutputDocument,
  StoredDocument,
} from './collection.js';
export { MongoRepository, mongoRepository } from './repository.js';
export type {
  ExplainOptions,
  Filter,
  FilterInput,
  FindOptions,
  ManyOptions,
  PageOptions,
  Selected,
  SortSpec,
  UpdateOptions,
  WriteOptions,
} from './repository-types.js';
export { op, or, and, nor, trusted, textSearch, escapeRegex } from './operators.js';
export type { Op, Logical, Trusted } from './operators.js';
export { each } from './update-builder.js';
export type { UpdateSpec, Each } from './update-builder.js';
export type { BulkOperation, BulkWriteReport, BulkFailure, BulkWriteOptions } from './bulk-write.js';
export type { IndexSpec, IndexSyncReport, IndexDrift, SyncIndexesOptions } from './indexes.js';
export type { ExplainSummary } from './explain.js';
export type { AggregateOptions, PipelineStage } from './aggregate.js';
export { withTransaction } from './transaction.js';
export type { TransactionOptions, TransactionContext } from './transaction.js';
export { ObjectId } from './object-id.js';
export {
  applicationRole,
  migrationRole,
  collectionAccess,
  createUserCommand,
  atlasCustomRole,
} from './roles.js';
export type {
  CollectionOperation,
  CollectionAccess,
  CreateRoleCommand,
  ApplicationRoleInput,
  MigrationRoleInput,
  CreateUserCommand,
  AtlasCustomRole,
} from './roles.js';
export { deployMigrations, migrationStatus, resolveMigration } from './migrations.js';
export type { MongoMigrationContext, MongoMigrationOptions } from './migrations.js';
export { backfill } from './backfill.js';
export type { MongoBackfillChange, MongoBackfillOptions, MongoBackfillTarget } from './backfill.js';
export { migrateToCurrentSchema } from './schema-backfill.js';
export type { SchemaMigrationOptions } from './schema-backfill.js';
export { mongoTarget } from './migration-target.js';
export type { MongoCollectionSyncReport, MongoTargetOptions, SyncedCollection } from './migration-target.js';
