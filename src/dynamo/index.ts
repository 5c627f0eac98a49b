// dbkit/dynamo: single-table DynamoDB on the AWS SDK v3, typed from Standard Schemas and key templates. Only what users call or name; the plumbing is imported from its own file.
export { createDynamoClient } from './client.js';
export type { DynamoClient, DynamoClientOptions } from './client.js';
export { dynamoCapabilities } from './capabilities.js';
export { defineTable } from './table.js';
export type { Table, TableDefinition, IndexDefinition, IndexProjection } from './table.js';
export type { KeyValuePolicy } from './key-template.js';
export { defineEntity } from './entity.js';
export type {
  Entity,
  AnyEntity,
  EntityConfig,
  EntityTypes,
  EntityItem,
  EntityInput,
  EntityKey,
} from './entity.js';
export type { NumberMode } from './numbers.js';
export type { EntityClient, EntityParams } from './repository.js';
export type { Condition } from './condition-builder.js';
export type { UpdateActions } from './update-builder.js';
// The pure request builders docs/dynamo.md documents for tests without a network.
export { getParams, createParams, putParams, updateParams, deleteParams } from './item-params.js';
export type { GetOptions, PutOptions, UpdateOptions, DeleteOptions } from './item-params.js';
export { queryParams } from './query.js';
export type { QueryInput, QueryResult, QueryAllOptions, BuiltQuery } from './query.js';
export type { CollectionPage, CollectionQueryInput } from './collection.js';
export { scanParams } from './scan.js';
export type { ScanOptions, ScanAllOptions, ScanItem } from './scan.js';
export { batchGetKey, batchGetParams } from './batch-get.js';
export type { BatchGetRequest } from './batch-get.js';
export { batchPut, batchDelete, batchWriteParams } from './batch-write.js';
export type { BatchWriteRequest, BatchOptions, BatchWriteResult } from './batch-write.js';
export { tx, txGet, transactWriteParams } from './transaction.js';
export type { TransactWriteItem, TransactGetItem, TransactWriteOptions } from './transaction.js';
export { createTableParams } from './create-table.js';
export type { Billing, CreateTableOptions } from './create-table.js';
export { UnprocessedItemsError } from './batch-errors.js';
export type { BatchReport, UnprocessedEntry } from './batch-errors.js';
export { entityAccess, serviceIamPolicy } from './iam-policy.js';
export type {
  ArnContext,
  DynamoAction,
  EntityAccess,
  EntityAccessOptions,
  EntityOperation,
  IamPolicyDocument,
  IamStatement,
  ScanOperation,
  ServicePolicyInput,
  TenantIsolation,
} from './iam-policy.js';
export { migrationIamPolicy } from './iam-migration-policy.js';
export type { MigrationOperation, MigrationPolicyInput } from './iam-migration-policy.js';
export { cloudFormationPolicy } from './iam-cloudformation.js';
export type { CloudFormationPolicyOptions } from './iam-cloudformation.js';
export { cloudFormationTable, continuousBackupsParams, createTableSettingsParams } from './table-settings.js';
export type { TableSettings, TableEncryption, CloudFormationTableOptions } from './table-settings.js';
export { dynamooseCursors, mapDynamooseError, withDynamooseErrors } from './dynamoose.js';
export type {
  DynamooseCursors,
  DynamooseErrorContext,
  DynamoosePage,
  DynamooseResponse,
  DynamooseRetriever,
} from './dynamoose.js';
export { deployMigrations, migrationStatus, resolveMigration } from './migrations.js';
export type { DynamoMigrationContext, DynamoMigrationOptions } from './migrations.js';
export { backfill } from './backfill.js';
export type { BackfillChange, DynamoBackfillOptions } from './backfill.js';
export { syncTable } from './sync-table.js';
export type { SyncTableOptions, TableSyncReport } from './sync-table.js';
export type { TableDrift, TableDriftKind } from './table-diff.js';
export { dynamoTarget } from './migration-target.js';
export type { DynamoTargetOptions } from './migration-target.js';
