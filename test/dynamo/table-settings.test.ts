// Table settings builders, and what DynamoDB Local does with them (deletion protection enforced; encryption, class, tags and PITR not).
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ListTagsOfResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoClient, createTableParams, defineTable } from '../../src/dynamo/index.js';
import {
  cloudFormationTable,
  continuousBackupsParams,
  createTableSettingsParams,
  resolveTableSettings,
} from '../../src/dynamo/table-settings.js';
import { silentLogger } from '../../src/core/internal.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const app = defineTable({
  name: 'app',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: { gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'KEYS_ONLY' } },
  ttlAttribute: 'ttl',
});

describe('table settings builders', () => {
  it('default to recoverable, protected, encrypted on-demand tables', () => {
    expect(resolveTableSettings()).toEqual({
      pointInTimeRecovery: { enabled: true, recoveryPeriodInDays: undefined },
      encryption: 'aws-owned',
      deletionProtection: true,
      billing: { mode: 'on-demand' },
      tableClass: 'STANDARD',
      tags: {},
    });
    expect(createTableSettingsParams()).toEqual({
      SSESpecification: { Enabled: false },
      DeletionProtectionEnabled: true,
      TableClass: 'STANDARD',
    });
    expect(continuousBackupsParams(app)).toEqual({
      TableName: 'app',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('encrypt with a customer-managed KMS key and tag the table in a stable order', () => {
    expect(
      createTableSettingsParams({ encryption: { kmsKeyArn: KEY }, tags: { team: 'core', app: 'blog' } }),
    ).toMatchObject({
      SSESpecification: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: KEY },
      Tags: [
        { Key: 'app', Value: 'blog' },
        { Key: 'team', Value: 'core' },
      ],
    });
    expect(createTableSettingsParams({ encryption: 'aws-managed' }).SSESpecification).toEqual({
      Enabled: true,
      SSEType: 'KMS',
    });
  });

  it('refuse a recovery window DynamoDB would reject', () => {
    expect(() => continuousBackupsParams(app, { pointInTimeRecovery: { recoveryPeriodInDays: 36 } })).toThrow(
      /1 to 35/,
    );
    expect(
      continuousBackupsParams(app, { pointInTimeRecovery: { recoveryPeriodInDays: 7 } })
        .PointInTimeRecoverySpecification,
    ).toEqual({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 });
  });

  it('build a CloudFormation table that keeps its data, with keys, GSIs, TTL, PITR, SSE and tags', () => {
    const resources = cloudFormationTable(
      app,
      {
        encryption: { kmsKeyArn: KEY },
        tags: { team: 'core' },
        billing: { mode: 'provisioned', readUnits: 5, writeUnits: 2 },
      },
      { tableName: { 'Fn::Sub': 'app-${Stage}' } },
    );
    const table = resources.AppTable;
    expect(table?.Type).toBe('AWS::DynamoDB::Table');
    expect(table?.DeletionPolicy).toBe('Retain');
    expect(table?.UpdateReplacePolicy).toBe('Retain');
    expect(table?.Properties).toMatchObject({
      TableName: { 'Fn::Sub': 'app-${Stage}' },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PROVISIONED',
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 2 },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          Projection: { ProjectionType: 'KEYS_ONLY' },
          ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 2 },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: KEY },
      DeletionProtectionEnabled: true,
      Tags: [{ Key: 'team', Value: 'core' }],
    });
  });
});

describeEngine('dynamodb', (endpoint) => {
  describe('table settings on DynamoDB Local', () => {
    const db = createDynamoClient({ local: endpoint });
    const table = defineTable({ name: uniqueName('settings'), partitionKey: 'pk', sortKey: 'sk' });
    afterAll(async () => {
      await db.client
        .send(new UpdateTableCommand({ TableName: table.name, DeletionProtectionEnabled: false }))
        .catch(() => undefined);
      await db.client.send(new DeleteTableCommand({ TableName: table.name })).catch(() => undefined);
      db.destroy();
    });

    it('creates a table with the settings and refuses to delete it while protected', async () => {
      await db.client.send(
        new CreateTableCommand({
          ...createTableParams(table),
          ...createTableSettingsParams({ encryption: { kmsKeyArn: KEY }, tags: { team: 'core' } }),
        }),
      );
      const described = await db.client.send(new DescribeTableCommand({ TableName: table.name }));
      expect(described.Table?.DeletionProtectionEnabled).toBe(true);
      await expect(db.client.send(new DeleteTableCommand({ TableName: table.name }))).rejects.toThrow(
        /protected against deletion/,
      );
    });

    it('records what DynamoDB Local ignores: encryption, table class, tags and point-in-time recovery', async () => {
      const described = await db.client.send(new DescribeTableCommand({ TableName: table.name }));
      // Accepted on CreateTable, then not reported: Local has no KMS and one storage class.
      expect(described.Table?.SSEDescription).toBeUndefined();
      expect(described.Table?.TableClassSummary).toBeUndefined();
      await expect(
        db.client.send(new ListTagsOfResourceCommand({ ResourceArn: described.Table?.TableArn ?? '' })),
      ).rejects.toThrow(/Tagging is not currently supported/);
      await expect(
        db.client.send(new UpdateContinuousBackupsCommand(continuousBackupsParams(table))),
      ).rejects.toMatchObject({
        name: 'UnknownOperationException',
      });
    });

    it('ensureTable applies the settings it is given, and warns that Local has no point-in-time recovery', async () => {
      const warnings: string[] = [];
      const logged = createDynamoClient({
        local: endpoint,
        instrumentation: {
          logger: {
            ...silentLogger,
            warn: (_obj: unknown, msg?: string) => {
              warnings.push(msg ?? '');
            },
          },
        },
      });
      const protectedTable = defineTable({ name: uniqueName('ensured'), partitionKey: 'pk' });
      try {
        expect(await logged.ensureTable(protectedTable, { settings: { tags: { team: 'core' } } })).toBe(true);
        const described = await logged.client.send(
          new DescribeTableCommand({ TableName: protectedTable.name }),
        );
        expect(described.Table?.DeletionProtectionEnabled).toBe(true);
        expect(warnings.some((w) => /point-in-time recovery was not enabled/.test(w))).toBe(true);
        // Without settings nothing is sent: the tables tests create stay deletable.
        const plain = defineTable({ name: uniqueName('plain'), partitionKey: 'pk' });
        await logged.ensureTable(plain);
        expect(
          (await logged.client.send(new DescribeTableCommand({ TableName: plain.name }))).Table
            ?.DeletionProtectionEnabled,
        ).not.toBe(true);
        await logged.deleteTable(plain);
      } finally {
        await logged.client
          .send(new UpdateTableCommand({ TableName: protectedTable.name, DeletionProtectionEnabled: false }))
          .catch(() => undefined);
        await logged.deleteTable(protectedTable).catch(() => undefined);
        logged.destroy();
      }
    });
  });
});
