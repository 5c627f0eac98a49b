// The IAM policy of the migration / backfill role: table creation and changes, settings, scans and item writes, never DeleteTable.
import { statements, tableArn } from './iam-policy.js';
import type { ArnContext, DynamoAction, Grant, IamPolicyDocument } from './iam-policy.js';
import type { Table } from './table.js';

/**
 * What a migration role does; each grants the actions dbkit's table and backfill tooling sends.
 *
 * @example
 * ```ts
 * migrationIamPolicy({ tables: [app], arn, operations: ['createTable', 'backfill'] })
 * ```
 */
export type MigrationOperation =
  /** `ensureTable`: DescribeTable, CreateTable, DescribeTimeToLive, UpdateTimeToLive. */
  | 'createTable'
  /** Adding or removing GSIs, changing billing: UpdateTable and DescribeTable. */
  | 'updateTable'
  /** Point-in-time recovery and tags: Describe/UpdateContinuousBackups, TagResource, ListTagsOfResource. */
  | 'settings'
  /** Backfills: Scan of the table and its indexes, and the item reads and writes they make. */
  | 'backfill';

const MIGRATION_ACTIONS: Readonly<Record<MigrationOperation, readonly DynamoAction[]>> = {
  createTable: [
    'dynamodb:DescribeTable',
    'dynamodb:CreateTable',
    'dynamodb:DescribeTimeToLive',
    'dynamodb:UpdateTimeToLive',
  ],
  updateTable: ['dynamodb:DescribeTable', 'dynamodb:UpdateTable'],
  settings: [
    'dynamodb:DescribeContinuousBackups',
    'dynamodb:UpdateContinuousBackups',
    'dynamodb:TagResource',
    'dynamodb:ListTagsOfResource',
  ],
  backfill: [
    'dynamodb:Scan',
    'dynamodb:Query',
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
  ],
};

/**
 * Input of {@link migrationIamPolicy}.
 *
 * @example
 * ```ts
 * const policy = migrationIamPolicy({ tables: [app], arn: { account: '123456789012', region: 'eu-west-1' } })
 * ```
 */
export interface MigrationPolicyInput {
  tables: readonly Table[];
  arn: ArnContext;
  /** Default: every migration operation. DeleteTable is never granted. */
  operations?: readonly MigrationOperation[];
}

/**
 * The IAM policy of the migration / backfill role: table creation and changes, settings, and scans
 * with item writes for backfills, on the declared tables and their indexes. Never DeleteTable.
 *
 * @example
 * ```ts
 * const policy = migrationIamPolicy({ tables: [app], arn: { account: '123456789012', region: 'eu-west-1' } })
 * ```
 */
export function migrationIamPolicy(input: MigrationPolicyInput): IamPolicyDocument {
  const ops = input.operations ?? (Object.keys(MIGRATION_ACTIONS) as MigrationOperation[]);
  const grants: Grant[] = [];
  for (const table of input.tables) {
    const resource = tableArn(table, input.arn);
    for (const op of ops) {
      for (const action of MIGRATION_ACTIONS[op]) {
        grants.push({ action, resource, leadingKey: undefined, table });
        if (action === 'dynamodb:Scan' || action === 'dynamodb:Query')
          for (const index of Object.keys(table.indexes))
            grants.push({
              action,
              resource: tableArn(table, input.arn, index),
              leadingKey: undefined,
              table,
            });
      }
    }
  }
  return { Version: '2012-10-17', Statement: statements(grants, 'DbkitMigration') };
}
