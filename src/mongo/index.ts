// dbkit/mongo: the official MongoDB driver with the safety rails built in.
export { connectMongo, DEFAULT_MONGO_TIMEOUT_MS, mongoDefaults, redactUri } from './connect.js';
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
} from './connect.js';
export { detectCapabilities } from './capabilities.js';
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
export type { CallOptions } from '../core/internal.js';
export { op, or, and, nor, trusted, textSearch, escapeRegex } from './operators.js';
export type { Op, Logical, Trusted } from './operators.js';
export { guardFilter, assertNoJavaScript, isCatastrophic } from './injection-guard.js';
export type { GuardOptions } from './injection-guard.js';
export {
  buildUpdate,
  each,
  assertStorable,
  assertDocumentSize,
  MAX_DOCUMENT_BYTES,
} from './update-builder.js';
export type { UpdateSpec, Each, UpdateContext, BuiltUpdate } from './update-builder.js';
export { keysetSort, keysetFilter, pageQuery } from './pagination.js';
export type { SortEntry } from './pagination.js';
export type { BulkOperation, BulkWriteReport, BulkFailure, BulkWriteOptions } from './bulk-write.js';
export { syncIndexes, indexName, indexDifferences } from './indexes.js';
export type { IndexSpec, IndexSyncReport, IndexDrift, SyncIndexesOptions } from './indexes.js';
export { summarizeExplain, explainFind, assertPlanIndexed, queryShape } from './explain.js';
export type { ExplainSummary, ExplainQuery } from './explain.js';
export { withTransaction, transactionsUnsupportedMessage } from './transaction.js';
export type { TransactionOptions, TransactionContext } from './transaction.js';
export { guardPipeline } from './aggregate.js';
export type { PipelineStage } from './aggregate.js';
export { mapMongoError, duplicateKeyFields, isDuplicateKey } from './errors.js';
export type { MongoErrorContext, UniqueIndexInfo } from './errors.js';
export { parseObjectId, isObjectIdString, ObjectId } from './object-id.js';
export {
  applicationRole,
  migrationRole,
  collectionAccess,
  createUserCommand,
  atlasCustomRole,
} from './roles.js';
export type {
  MongoAction,
  CollectionOperation,
  CollectionAccess,
  MongoPrivilege,
  CreateRoleCommand,
  ApplicationRoleInput,
  MigrationRoleInput,
  CreateUserCommand,
  AtlasCustomRole,
} from './roles.js';
