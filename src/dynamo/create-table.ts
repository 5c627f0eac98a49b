// Creates a table from its definition (on-demand billing, the GSIs, TTL), idempotently; for tests, examples and the CLI.
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput, GlobalSecondaryIndex, Projection } from '@aws-sdk/client-dynamodb';
import { awsErrorName } from './errors.js';
import { defaultTimeoutMs, run, spec } from './runtime.js';
import type { CallOptions, Runtime } from './runtime.js';
import type { IndexProjection, Table } from './table.js';

/** Billing for a new table: on demand (default) or provisioned units for the table and each GSI. */
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

/** Options of `createTable` / `ensureTable`. */
export interface CreateTableOptions extends CallOptions {
  billing?: Billing;
  /** How long to wait for the table to become active, in seconds. Default 60. */
  waitSeconds?: number;
}

// The table waiters' own limit plus one data operation's default, so the waiter, not dbkit, says when it gave up.
function tableWaitMs(waitSeconds: number | undefined): number {
  return (waitSeconds ?? 60) * 1000 + defaultTimeoutMs;
}

/**
 * Creates the table if it does not exist, waits until it is active and enables TTL on its TTL
 * attribute. Idempotent: returns `false` when the table was already there.
 *
 * @example
 * ```ts
 * await ensureTable(runtime, app)
 * ```
 */
export async function ensureTable(
  runtime: Runtime,
  table: Table,
  options: CreateTableOptions = {},
): Promise<boolean> {
  const opSpec = spec('createTable', table.name, 'write', true);
  let created = false;
  await run(
    runtime,
    opSpec,
    async (signal) => {
      const abort = signal === undefined ? {} : { abortSignal: signal };
      try {
        await runtime.client.send(new DescribeTableCommand({ TableName: table.name }), abort);
      } catch (err) {
        if (awsErrorName(err) !== 'ResourceNotFoundException') throw err;
        try {
          await runtime.client.send(new CreateTableCommand(createTableParams(table, options.billing)), abort);
          created = true;
        } catch (createErr) {
          if (awsErrorName(createErr) !== 'ResourceInUseException') throw createErr;
        }
      }
      await waitUntilTableExists(
        { client: runtime.client, maxWaitTime: options.waitSeconds ?? 60, minDelay: 1 },
        { TableName: table.name },
      );
      if (table.ttlAttribute !== undefined) {
        const ttl = await runtime.client.send(
          new DescribeTimeToLiveCommand({ TableName: table.name }),
          abort,
        );
        const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
        if (status !== 'ENABLED' && status !== 'ENABLING') {
          await runtime.client.send(
            new UpdateTimeToLiveCommand({
              TableName: table.name,
              TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
            }),
            abort,
          );
        }
      }
    },
    // Waiting for a table to become active takes longer than a data operation's default limit.
    { ...options, timeoutMs: options.timeoutMs ?? tableWaitMs(options.waitSeconds) },
  );
  return created;
}

/**
 * Deletes the table if it exists and waits until it is gone. Idempotent.
 *
 * @example
 * ```ts
 * await deleteTable(runtime, app)
 * ```
 */
export async function deleteTable(
  runtime: Runtime,
  table: Table | string,
  options: CallOptions & { waitSeconds?: number } = {},
): Promise<void> {
  const name = typeof table === 'string' ? table : table.name;
  await run(
    runtime,
    spec('deleteTable', name, 'write', true),
    async (signal) => {
      try {
        await runtime.client.send(
          new DeleteTableCommand({ TableName: name }),
          signal === undefined ? {} : { abortSignal: signal },
        );
      } catch (err) {
        if (awsErrorName(err) === 'ResourceNotFoundException') return;
        throw err;
      }
      await waitUntilTableNotExists(
        { client: runtime.client, maxWaitTime: options.waitSeconds ?? 60, minDelay: 1 },
        { TableName: name },
      );
    },
    { ...options, timeoutMs: options.timeoutMs ?? tableWaitMs(options.waitSeconds) },
  );
}
