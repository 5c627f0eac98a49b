// Creates a table from its definition (on-demand billing, the GSIs, TTL), idempotently; for tests, examples and the CLI.
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import { awsErrorName } from './errors.js';
import { dynamoOperations, runDynamo } from './operations.js';
import { defaultTimeoutMs } from './runtime.js';
import type { CallOptions } from '../core/internal.js';
import type { Runtime } from './runtime.js';
import type { Table } from './table.js';
import { createTableParams } from './table-params.js';
import type { Billing } from './table-params.js';
import {
  continuousBackupsParams,
  createTableSettingsParams,
  resolveTableSettings,
} from './table-settings.js';
import type { TableSettings } from './table-settings.js';

export { createTableParams } from './table-params.js';
export type { Billing } from './table-params.js';

/**
 * Options of `createTable` / `ensureTable`.
 *
 * @example
 * ```ts
 * await db.ensureTable(app, { waitSeconds: 120, settings: { pointInTimeRecovery: true, deletionProtection: true } })
 * ```
 */
export interface CreateTableOptions extends CallOptions {
  billing?: Billing;
  /** How long to wait for the table to become active, in seconds. Default 60. */
  waitSeconds?: number;
  /**
   * Production settings for a table this call creates: point-in-time recovery, encryption, deletion
   * protection, class, tags (see {@link TableSettings}; its defaults turn recovery and protection on).
   * Left out, none are sent. Point-in-time recovery is (re)applied on every call; DynamoDB Local has
   * no continuous backups, so there it is skipped with a warning on the client's logger.
   */
  settings?: TableSettings;
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
  let created = false;
  await runDynamo(
    runtime,
    dynamoOperations.createTable,
    table.name,
    async (signal) => {
      const abort = signal === undefined ? {} : { abortSignal: signal };
      try {
        await runtime.client.send(new DescribeTableCommand({ TableName: table.name }), abort);
      } catch (err) {
        if (awsErrorName(err) !== 'ResourceNotFoundException') throw err;
        try {
          const params =
            options.settings === undefined
              ? createTableParams(table, options.billing)
              : {
                  ...createTableParams(table, options.settings.billing ?? options.billing),
                  ...createTableSettingsParams(options.settings),
                };
          await runtime.client.send(new CreateTableCommand(params), abort);
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
      if (
        options.settings !== undefined &&
        resolveTableSettings(options.settings).pointInTimeRecovery.enabled
      ) {
        try {
          await runtime.client.send(
            new UpdateContinuousBackupsCommand(continuousBackupsParams(table, options.settings)),
            abort,
          );
        } catch (err) {
          if (awsErrorName(err) !== 'UnknownOperationException') throw err;
          runtime.executor.instrumentation.logger.warn(
            { table: table.name },
            'dbkit: this DynamoDB (Local) has no continuous backups; point-in-time recovery was not enabled',
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
  await runDynamo(
    runtime,
    dynamoOperations.deleteTable,
    name,
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
