// dbkit/dynamo: single-table DynamoDB on the AWS SDK v3, typed from Standard Schemas and key templates.
export { createDynamoClient, createDocumentClient, createSdkClient } from './client.js';
export type { DynamoClient, DynamoClientOptions } from './client.js';
export { defineTable } from './table.js';
export type { Table, TableDefinition, IndexDefinition, IndexProjection } from './table.js';
export { defineEntity } from './entity.js';
export type {
  Entity,
  AnyEntity,
  EntityConfig,
  EntityTypes,
  EntityItem,
  EntityInput,
  EntityKey,
  KeyTemplates,
  ManagedFields,
} from './entity.js';
export type { EntityClient, EntityParams } from './repository.js';
export { parseTemplate, composeKey } from './key-template.js';
export type {
  TemplateVars,
  CheckTemplate,
  KeyTemplate,
  KeyValuePolicy,
  ComposeOptions,
} from './key-template.js';
export { ExpressionContext } from './expressions.js';
export type { AttributePath } from './expressions.js';
export { buildCondition } from './condition-builder.js';
export type { Condition, Comparators, AttributeTypeName } from './condition-builder.js';
export { buildUpdate } from './update-builder.js';
export type { UpdateActions, CompiledUpdate } from './update-builder.js';
export { getParams, createParams, putParams, updateParams, deleteParams } from './item-params.js';
export type { GetOptions, PutOptions, UpdateOptions, DeleteOptions } from './item-params.js';
export { queryParams } from './query.js';
export type {
  QueryInput,
  QueryCommon,
  QueryResult,
  SortCondition,
  QueryAllOptions,
  BuiltQuery,
} from './query.js';
export { collectionParams } from './collection.js';
export type { CollectionPage, CollectionQueryInput } from './collection.js';
export { scanParams } from './scan.js';
export type { ScanOptions, ScanAllOptions, ScanItem } from './scan.js';
export { batchGetKey, batchGetParams } from './batch-get.js';
export type { BatchGetRequest } from './batch-get.js';
export { batchPut, batchDelete, batchWriteParams } from './batch-write.js';
export type { BatchWriteRequest, BatchOptions, BatchWriteResult } from './batch-write.js';
export { tx, txGet, transactWriteParams, transactGetParams } from './transaction.js';
export type { TransactWriteItem, TransactGetItem, TransactWriteOptions } from './transaction.js';
export { createTableParams } from './create-table.js';
export type { Billing, CreateTableOptions } from './create-table.js';
export {
  mapDynamoError,
  UnprocessedItemsError,
  isRetryableCancellation,
  cancellationReasons,
} from './errors.js';
export type { BatchReport, UnprocessedEntry } from './errors.js';
export { itemSize, checkItemSize, dynamoLimits } from './limits.js';
export { isExactNumber, unmarshallNumber, convertNumbers } from './numbers.js';
export type { NumberMode } from './numbers.js';
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
