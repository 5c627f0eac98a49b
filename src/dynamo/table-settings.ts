// Production table settings (backups, encryption, deletion protection, TTL, billing, tags) as pure builders for the SDK and CloudFormation.
import type { CreateTableCommandInput, UpdateContinuousBackupsCommandInput } from '@aws-sdk/client-dynamodb';
import { createTableParams } from './table-params.js';
import type { Billing } from './table-params.js';
import type { Table } from './table.js';

/**
 * Encryption at rest: the AWS-owned key (default, free), the AWS-managed `aws/dynamodb` key, or your KMS key.
 *
 * @example
 * ```ts
 * const encryption: TableEncryption = { kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abcd' }
 * ```
 */
export type TableEncryption = 'aws-owned' | 'aws-managed' | { kmsKeyArn: string };

/**
 * The settings a production table should have; every field has a safe default.
 *
 * @example
 * ```ts
 * const settings: TableSettings = { pointInTimeRecovery: true, deletionProtection: true, encryption: 'aws-managed' }
 * ```
 */
export interface TableSettings {
  /** Point-in-time recovery, optionally with a recovery window of 1–35 days. Default on (35 days). */
  pointInTimeRecovery?: boolean | { recoveryPeriodInDays: number };
  /** Encryption at rest. Default `aws-owned` (DynamoDB always encrypts; this picks the key). */
  encryption?: TableEncryption;
  /** Refuse DeleteTable until protection is turned off. Default true. */
  deletionProtection?: boolean;
  /** Billing. Default on demand. */
  billing?: Billing;
  /** `STANDARD` (default) or `STANDARD_INFREQUENT_ACCESS` for storage-heavy, rarely read tables. */
  tableClass?: 'STANDARD' | 'STANDARD_INFREQUENT_ACCESS';
  /**
   * Tags on the table. DynamoDB tags tables only: its GSIs have no tags of their own and are
   * billed under the table's cost-allocation tags.
   */
  tags?: Readonly<Record<string, string>>;
}

/** The settings with every default applied. */
export interface ResolvedTableSettings {
  pointInTimeRecovery: { enabled: boolean; recoveryPeriodInDays: number | undefined };
  encryption: TableEncryption;
  deletionProtection: boolean;
  billing: Billing;
  tableClass: 'STANDARD' | 'STANDARD_INFREQUENT_ACCESS';
  tags: Readonly<Record<string, string>>;
}

/**
 * Applies the defaults: point-in-time recovery on, deletion protection on, AWS-owned encryption,
 * on-demand billing, standard class, no tags. Rejects a recovery window outside 1–35 days.
 *
 * @example
 * ```ts
 * resolveTableSettings({}).deletionProtection // true
 * ```
 */
export function resolveTableSettings(settings: TableSettings = {}): ResolvedTableSettings {
  const pitr = settings.pointInTimeRecovery ?? true;
  const days = typeof pitr === 'object' ? pitr.recoveryPeriodInDays : undefined;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 35))
    throw new TypeError(`dbkit: recoveryPeriodInDays must be an integer from 1 to 35, not ${days}`);
  return {
    pointInTimeRecovery: { enabled: pitr !== false, recoveryPeriodInDays: days },
    encryption: settings.encryption ?? 'aws-owned',
    deletionProtection: settings.deletionProtection ?? true,
    billing: settings.billing ?? { mode: 'on-demand' },
    tableClass: settings.tableClass ?? 'STANDARD',
    tags: settings.tags ?? {},
  };
}

/** The SDK's SSESpecification for an encryption choice. */
function sseSpecification(
  encryption: TableEncryption,
): NonNullable<CreateTableCommandInput['SSESpecification']> {
  if (encryption === 'aws-owned') return { Enabled: false };
  if (encryption === 'aws-managed') return { Enabled: true, SSEType: 'KMS' };
  return { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: encryption.kmsKeyArn };
}

function tagList(tags: Readonly<Record<string, string>>): { Key: string; Value: string }[] {
  return Object.entries(tags)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value]) => ({ Key, Value }));
}

/**
 * The CreateTable params fragment for the settings CreateTable accepts (encryption, deletion
 * protection, table class, tags); merge it into `createTableParams(table, settings.billing)`.
 * Point-in-time recovery and TTL are separate calls after creation.
 *
 * @example
 * ```ts
 * const params = { ...createTableParams(app), ...createTableSettingsParams({ tags: { team: 'core' } }) }
 * ```
 */
export function createTableSettingsParams(
  settings: TableSettings = {},
): Pick<CreateTableCommandInput, 'SSESpecification' | 'DeletionProtectionEnabled' | 'TableClass' | 'Tags'> {
  const s = resolveTableSettings(settings);
  const out: Pick<
    CreateTableCommandInput,
    'SSESpecification' | 'DeletionProtectionEnabled' | 'TableClass' | 'Tags'
  > = {
    SSESpecification: sseSpecification(s.encryption),
    DeletionProtectionEnabled: s.deletionProtection,
    TableClass: s.tableClass,
  };
  const tags = tagList(s.tags);
  if (tags.length > 0) out.Tags = tags;
  return out;
}

/**
 * UpdateContinuousBackups params that turn point-in-time recovery on (or off) for a table.
 *
 * @example
 * ```ts
 * await sdk.send(new UpdateContinuousBackupsCommand(continuousBackupsParams(app, { pointInTimeRecovery: true })))
 * ```
 */
export function continuousBackupsParams(
  table: Table | string,
  settings: TableSettings = {},
): UpdateContinuousBackupsCommandInput {
  const { pointInTimeRecovery } = resolveTableSettings(settings);
  // RecoveryPeriodInDays is not in the types of every @aws-sdk/client-dynamodb the peer range allows;
  // declared here so dbkit compiles there too. Older SDKs send what they are given.
  const spec: NonNullable<UpdateContinuousBackupsCommandInput['PointInTimeRecoverySpecification']> & {
    RecoveryPeriodInDays?: number;
  } = {
    PointInTimeRecoveryEnabled: pointInTimeRecovery.enabled,
  };
  if (pointInTimeRecovery.enabled && pointInTimeRecovery.recoveryPeriodInDays !== undefined)
    spec.RecoveryPeriodInDays = pointInTimeRecovery.recoveryPeriodInDays;
  return {
    TableName: typeof table === 'string' ? table : table.name,
    PointInTimeRecoverySpecification: spec,
  };
}

/**
 * Options of {@link cloudFormationTable}.
 *
 * @example
 * ```ts
 * cloudFormationTable(app, settings, { logicalId: 'AppTable', tableName: { Ref: 'TableName' } })
 * ```
 */
export interface CloudFormationTableOptions {
  /** The resource's logical id. Default: the table name in PascalCase plus `Table`. */
  logicalId?: string;
  /** The deployed table name (e.g. `{ 'Fn::Sub': 'app-${Stage}' }`). Default: the table's name. */
  tableName?: string | Record<string, unknown>;
}

function logicalIdOf(name: string): string {
  const pascal = name
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p !== '')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
  return `${pascal === '' ? 'Dbkit' : pascal}Table`;
}

/**
 * An `AWS::DynamoDB::Table` resource for a table definition and its settings: keys and GSIs as
 * `createTable` makes them, TTL, point-in-time recovery, encryption, deletion protection, class and
 * tags, kept (`DeletionPolicy: Retain`) when removed from the stack.
 *
 * @example
 * ```ts
 * const template = { Resources: { ...cloudFormationTable(app, { tags: { team: 'core' } }) } }
 * ```
 */
export function cloudFormationTable(
  table: Table,
  settings: TableSettings = {},
  options: CloudFormationTableOptions = {},
): Record<
  string,
  {
    Type: 'AWS::DynamoDB::Table';
    DeletionPolicy: 'Retain';
    UpdateReplacePolicy: 'Retain';
    Properties: Record<string, unknown>;
  }
> {
  const s = resolveTableSettings(settings);
  const base = createTableParams(table, s.billing);
  const properties: Record<string, unknown> = {
    TableName: options.tableName ?? table.name,
    AttributeDefinitions: base.AttributeDefinitions,
    KeySchema: base.KeySchema,
    BillingMode: base.BillingMode,
  };
  if (base.ProvisionedThroughput !== undefined) properties.ProvisionedThroughput = base.ProvisionedThroughput;
  if (base.GlobalSecondaryIndexes !== undefined)
    properties.GlobalSecondaryIndexes = base.GlobalSecondaryIndexes;
  if (table.ttlAttribute !== undefined)
    properties.TimeToLiveSpecification = { AttributeName: table.ttlAttribute, Enabled: true };
  properties.PointInTimeRecoverySpecification = {
    PointInTimeRecoveryEnabled: s.pointInTimeRecovery.enabled,
    ...(s.pointInTimeRecovery.enabled && s.pointInTimeRecovery.recoveryPeriodInDays !== undefined
      ? { RecoveryPeriodInDays: s.pointInTimeRecovery.recoveryPeriodInDays }
      : {}),
  };
  const sse = sseSpecification(s.encryption);
  properties.SSESpecification = {
    SSEEnabled: sse.Enabled,
    ...(sse.SSEType === undefined ? {} : { SSEType: sse.SSEType }),
    ...(sse.KMSMasterKeyId === undefined ? {} : { KMSMasterKeyId: sse.KMSMasterKeyId }),
  };
  properties.DeletionProtectionEnabled = s.deletionProtection;
  properties.TableClass = s.tableClass;
  const tags = tagList(s.tags);
  if (tags.length > 0) properties.Tags = tags;
  return {
    [options.logicalId ?? logicalIdOf(table.name)]: {
      Type: 'AWS::DynamoDB::Table',
      // A stack update or deletion must never drop the data.
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: properties,
    },
  };
}
