// The pure diff syncTable acts on: missing GSIs and TTL to add, indexes still building, and the drift DynamoDB cannot change in place.
import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { defineTable } from '../../src/dynamo/index.js';
import { diffTable, isProvisioned } from '../../src/dynamo/table-diff.js';
import { createIndexParams } from '../../src/dynamo/table-params.js';

const app = defineTable({
  name: 'app',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: {
    gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    gsi2: { partitionKey: 'gsi2pk', projection: { include: ['name', 'email'] } },
  },
  ttlAttribute: 'expiresAt',
});

const S = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
const hash = (name: string) => ({ AttributeName: name, KeyType: 'HASH' as const });
const range = (name: string) => ({ AttributeName: name, KeyType: 'RANGE' as const });

function live(extra: Partial<TableDescription> = {}): TableDescription {
  return {
    TableName: 'app',
    TableStatus: 'ACTIVE',
    KeySchema: [hash('pk'), range('sk')],
    AttributeDefinitions: [S('pk'), S('sk'), S('gsi1pk'), S('gsi1sk')],
    BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    GlobalSecondaryIndexes: [
      {
        IndexName: 'gsi1',
        KeySchema: [hash('gsi1pk'), range('gsi1sk')],
        Projection: { ProjectionType: 'ALL' },
        IndexStatus: 'ACTIVE',
      },
    ],
    ...extra,
  };
}

describe('diffTable', () => {
  it('plans the missing GSI and TTL, and lists what already matches', () => {
    const plan = diffTable(app, live(), { TimeToLiveStatus: 'DISABLED' });
    expect(plan).toEqual({
      indexesToCreate: ['gsi2'],
      indexesPending: [],
      enableTtl: true,
      unchanged: ['keySchema', 'index:gsi1'],
      drift: [],
    });
  });

  it('has nothing to do when the live table matches, INCLUDE lists compared in any order', () => {
    const table = live();
    table.GlobalSecondaryIndexes?.push({
      IndexName: 'gsi2',
      KeySchema: [hash('gsi2pk')],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['email', 'name'] },
      IndexStatus: 'ACTIVE',
      Backfilling: false,
    });
    const plan = diffTable(app, table, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    expect(plan.indexesToCreate).toEqual([]);
    expect(plan.enableTtl).toBe(false);
    expect(plan.drift).toEqual([]);
    expect(plan.unchanged).toEqual(['keySchema', 'index:gsi1', 'index:gsi2', 'ttl:expiresAt']);
  });

  it('reports a declared GSI that is still creating or backfilling as pending, not to create', () => {
    const table = live();
    table.GlobalSecondaryIndexes?.push({
      IndexName: 'gsi2',
      KeySchema: [hash('gsi2pk')],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['name', 'email'] },
      IndexStatus: 'CREATING',
    });
    expect(diffTable(app, table).indexesPending).toEqual(['gsi2']);
    (table.GlobalSecondaryIndexes ?? [])[1] = {
      ...(table.GlobalSecondaryIndexes ?? [])[1],
      IndexStatus: 'ACTIVE',
      Backfilling: true,
    };
    const plan = diffTable(app, table);
    expect(plan.indexesPending).toEqual(['gsi2']);
    expect(plan.indexesToCreate).toEqual([]);
  });

  it('reports a different projection or GSI key schema as drift needing drop and recreate, and plans nothing for it', () => {
    const table = live({
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [hash('gsi1pk')],
          Projection: { ProjectionType: 'KEYS_ONLY' },
          IndexStatus: 'ACTIVE',
        },
      ],
    });
    const plan = diffTable(app, table, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    expect(plan.indexesToCreate).toEqual(['gsi2']);
    expect(plan.unchanged).not.toContain('index:gsi1');
    expect(plan.drift).toEqual([
      {
        kind: 'indexKeySchema',
        name: 'gsi1',
        declared: 'gsi1pk HASH, gsi1sk RANGE',
        actual: 'gsi1pk HASH',
        reason: expect.stringMatching(/drop the index and create it again/),
      },
      {
        kind: 'indexProjection',
        name: 'gsi1',
        declared: 'ALL',
        actual: 'KEYS_ONLY',
        reason: expect.stringMatching(/drop the index and create it again/),
      },
    ]);
  });

  it('reports a different table key schema, undeclared GSIs and LSIs, never planning a deletion', () => {
    const table = live({
      KeySchema: [hash('id')],
      LocalSecondaryIndexes: [{ IndexName: 'lsi1', KeySchema: [hash('pk'), range('at')] }],
    });
    table.GlobalSecondaryIndexes?.push({
      IndexName: 'legacy',
      KeySchema: [hash('old')],
      Projection: { ProjectionType: 'KEYS_ONLY' },
      IndexStatus: 'ACTIVE',
    });
    const plan = diffTable(app, table);
    expect(plan.drift.map((d) => [d.kind, d.name])).toEqual([
      ['keySchema', undefined],
      ['undeclaredIndex', 'legacy'],
      ['undeclaredIndex', 'lsi1'],
    ]);
    expect(plan.drift[0]).toMatchObject({ declared: 'pk HASH, sk RANGE', actual: 'id HASH' });
  });

  it('reports TTL on another attribute, TTL being disabled, and TTL the declaration lacks', () => {
    const other = diffTable(app, live(), { TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    expect(other.enableTtl).toBe(false);
    expect(other.drift).toEqual([
      expect.objectContaining({ kind: 'ttlAttribute', declared: 'expiresAt', actual: 'ttl' }),
    ]);
    const disabling = diffTable(app, live(), { TimeToLiveStatus: 'DISABLING', AttributeName: 'ttl' });
    expect(disabling.enableTtl).toBe(false);
    expect(disabling.drift[0]?.kind).toBe('ttlDisabling');
    const bare = defineTable({ name: 'app', partitionKey: 'pk', sortKey: 'sk' });
    const undeclared = diffTable(bare, live({ GlobalSecondaryIndexes: [] }), {
      TimeToLiveStatus: 'ENABLED',
      AttributeName: 'ttl',
    });
    expect(undeclared.drift).toEqual([expect.objectContaining({ kind: 'ttlUndeclared', actual: 'ttl' })]);
  });

  it('does not plan a GSI whose key attribute the table defines with another type, and reports the conflict', () => {
    const table = live({
      AttributeDefinitions: [
        S('pk'),
        S('sk'),
        S('gsi1pk'),
        S('gsi1sk'),
        { AttributeName: 'gsi2pk', AttributeType: 'N' },
      ],
    });
    const plan = diffTable(app, table);
    expect(plan.indexesToCreate).toEqual([]);
    expect(plan.drift).toEqual([
      expect.objectContaining({ kind: 'attributeType', name: 'gsi2pk', declared: 'S', actual: 'N' }),
    ]);
  });

  it('the report is plain JSON', () => {
    const plan = diffTable(app, live({ KeySchema: [hash('id')] }), {
      TimeToLiveStatus: 'ENABLED',
      AttributeName: 'x',
    });
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});

describe('createIndexParams and isProvisioned', () => {
  it('builds one GSI creation with string key attributes, and throughput only when given', () => {
    expect(createIndexParams(app, 'gsi2')).toEqual({
      TableName: 'app',
      AttributeDefinitions: [S('gsi2pk')],
      GlobalSecondaryIndexUpdates: [
        {
          Create: {
            IndexName: 'gsi2',
            KeySchema: [hash('gsi2pk')],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['name', 'email'] },
          },
        },
      ],
    });
    expect(
      createIndexParams(app, 'gsi1', { readUnits: 3, writeUnits: 2 }).GlobalSecondaryIndexUpdates?.[0]?.Create
        ?.ProvisionedThroughput,
    ).toEqual({ ReadCapacityUnits: 3, WriteCapacityUnits: 2 });
    expect(() => createIndexParams(app, 'nope')).toThrow(/declares no index "nope"/);
  });

  it('tells provisioned tables apart, also when DynamoDB Local leaves the billing summary out', () => {
    expect(isProvisioned(live())).toBe(false);
    expect(isProvisioned({ ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 2 } })).toBe(
      true,
    );
    expect(isProvisioned({ ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0 } })).toBe(
      false,
    );
    expect(isProvisioned({ BillingModeSummary: { BillingMode: 'PROVISIONED' } })).toBe(true);
  });
});
