// Pure CreateTable params for a table definition (key schema, GSIs, billing) and UpdateTable params that add one GSI. Nothing is sent.
import type {
  CreateTableCommandInput,
  GlobalSecondaryIndex,
  Projection,
  UpdateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { IndexProjection, Table } from './table.js';

/**
 * Billing for a new table: on demand (default) or provisioned units for the table and each GSI.
 *
 * @example
 * ```ts
 * await db.ensureTable(app, { billing: { mode: 'provisioned', readUnits: 5, writeUnits: 5 } satisfies Billing })
 * ```
 */
export type Billing = { mode: 'on-demand' } | { mode: 'provisioned'; readUnits: number; writeUnits: number };

function projectionOf(p: IndexProjection | undefined): Projection {
  if (p === undefined || p === 'ALL') return { ProjectionType: 'ALL' };
  if (p === 'KEYS_ONLY') return { ProjectionType: 'KEYS_ONLY' };
  return { ProjectionType: 'INCLUDE', NonKeyAttributes: [...p.include] };
}

/**
 * CreateTable params for a table definition: string key attributes, every GSI, on-demand billing
 * unless told otherwise.
 *
 * @example
 * ```ts
 * createTableParams(app).BillingMode // 'PAY_PER_REQUEST'
 * ```
 */
export function createTableParams(
  table: Table,
  billing: Billing = { mode: 'on-demand' },
): CreateTableCommandInput {
  const attributes = new Set<string>([table.partitionKey]);
  if (table.sortKey !== undefined) attributes.add(table.sortKey);
  const throughput =
    billing.mode === 'provisioned'
      ? { ReadCapacityUnits: billing.readUnits, WriteCapacityUnits: billing.writeUnits }
      : undefined;
  const indexes: GlobalSecondaryIndex[] = Object.entries(table.indexes).map(([name, index]) => {
    attributes.add(index.partitionKey);
    if (index.sortKey !== undefined) attributes.add(index.sortKey);
    const gsi: GlobalSecondaryIndex = {
      IndexName: name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        ...(index.sortKey === undefined ? [] : [{ AttributeName: index.sortKey, KeyType: 'RANGE' as const }]),
      ],
      Projection: projectionOf(index.projection),
    };
    if (throughput !== undefined) gsi.ProvisionedThroughput = throughput;
    return gsi;
  });
  const params: CreateTableCommandInput = {
    TableName: table.name,
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      ...(table.sortKey === undefined ? [] : [{ AttributeName: table.sortKey, KeyType: 'RANGE' as const }]),
    ],
    AttributeDefinitions: [...attributes].map((name) => ({
      AttributeName: name,
      AttributeType: 'S' as const,
    })),
    BillingMode: billing.mode === 'on-demand' ? 'PAY_PER_REQUEST' : 'PROVISIONED',
  };
  if (throughput !== undefined) params.ProvisionedThroughput = throughput;
  if (indexes.length > 0) params.GlobalSecondaryIndexes = indexes;
  return params;
}

/**
 * UpdateTable params that create one declared GSI on a live table (DynamoDB creates one GSI per
 * UpdateTable call): its key attributes as strings, its projection, and on a provisioned table the
 * index's throughput.
 *
 * @example
 * ```ts
 * await sdk.send(new UpdateTableCommand(createIndexParams(app, 'gsi2', { readUnits: 5, writeUnits: 5 })))
 * ```
 */
export function createIndexParams(
  table: Table,
  indexName: string,
  throughput?: { readUnits: number; writeUnits: number },
): UpdateTableCommandInput {
  const index = table.indexes[indexName];
  if (index === undefined) throw new TypeError(`dbkit: ${table.name} declares no index "${indexName}"`);
  const keys = index.sortKey === undefined ? [index.partitionKey] : [index.partitionKey, index.sortKey];
  const create: NonNullable<
    NonNullable<UpdateTableCommandInput['GlobalSecondaryIndexUpdates']>[number]['Create']
  > = {
    IndexName: indexName,
    KeySchema: keys.map((name, i) => ({ AttributeName: name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
    Projection: projectionOf(index.projection),
  };
  if (throughput !== undefined)
    create.ProvisionedThroughput = {
      ReadCapacityUnits: throughput.readUnits,
      WriteCapacityUnits: throughput.writeUnits,
    };
  return {
    TableName: table.name,
    AttributeDefinitions: keys.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    GlobalSecondaryIndexUpdates: [{ Create: create }],
  };
}
