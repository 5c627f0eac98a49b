// syncTable: brings a live table to its declaration (creates it, adds missing GSIs one at a time, enables TTL), waits for ACTIVE under a deadline, and reports the drift it cannot change.
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableDescription, TimeToLiveDescription } from '@aws-sdk/client-dynamodb';
import { InternalError, isDbkitError, sleep, TimeoutError } from '../core/internal.js';
import type { DynamoClient } from './client.js';
import { runtimeOf } from './client-runtime.js';
import { ensureTable } from './create-table.js';
import type { CreateTableOptions } from './create-table.js';
import { awsErrorName } from './errors.js';
import { dynamoOperations, runDynamo } from './operations.js';
import type { Runtime } from './runtime.js';
import { diffTable, isProvisioned } from './table-diff.js';
import type { TableDrift } from './table-diff.js';
import { createIndexParams } from './table-params.js';
import type { Table } from './table.js';

/**
 * Options of `syncTable`.
 *
 * @example
 * ```ts
 * await db.syncTable(app, { dryRun: true, timeoutMs: 30 * 60_000 })
 * ```
 */
export interface SyncTableOptions {
  /** Describe and diff only: the report says what would be done, and nothing is sent that changes the table. */
  dryRun?: boolean;
  /** Deadline of the whole sync, waits included, in ms. Default 10 minutes. */
  timeoutMs?: number;
  /** Cancels the sync between (and during) its requests. */
  signal?: AbortSignal;
  /** Throughput of each GSI created on a provisioned table. Default: the table's own. */
  indexThroughput?: { readUnits: number; writeUnits: number };
  /** Billing of a table this call creates (as `ensureTable`). */
  billing?: CreateTableOptions['billing'];
  /** Settings of a table this call creates (as `ensureTable`). */
  settings?: CreateTableOptions['settings'];
}

/**
 * What `syncTable` did (or, with `dryRun`, would do), and what it found but cannot change. Plain
 * strings, booleans and arrays: `JSON.stringify` prints it as it is.
 *
 * @example
 * ```ts
 * const report: TableSyncReport = await db.syncTable(app)
 * if (report.drift.length > 0) console.error(JSON.stringify(report.drift, null, 2))
 * ```
 */
export interface TableSyncReport {
  table: string;
  dryRun: boolean;
  /** The table did not exist and was (would be) created, with every declared GSI and TTL. */
  created: boolean;
  /** GSIs created (to be created) on the existing table, in order; each was ACTIVE before the next began. */
  indexesCreated: string[];
  /** Declared GSIs DynamoDB was still building when the sync began; it waited for them (not in a dry run). */
  indexesAwaited: string[];
  /** TTL was (would be) enabled on the declared attribute. */
  ttlEnabled: boolean;
  /** What already matched: `keySchema`, `index:<name>`, `ttl:<attribute>`. */
  unchanged: string[];
  /** Differences left as they are: DynamoDB cannot change them in place and dbkit never deletes. */
  drift: TableDrift[];
}

/** Default deadline of a sync: creating a GSI on a large table takes minutes. */
export const defaultSyncTimeoutMs = 10 * 60_000;

const firstPollMs = 250;
const maxPollMs = 5_000;

/**
 * Brings a live table to its declaration without deleting anything: creates the table if it is
 * missing (as `ensureTable`), creates each declared GSI it lacks with one UpdateTable at a time,
 * waiting for the table and the index to be ACTIVE (and done backfilling) between them, and enables
 * TTL when declared and off. Differences DynamoDB cannot change in place (key schema, a GSI's keys
 * or projection, an undeclared GSI, TTL on another attribute, a key attribute's type) are reported
 * in `drift`. Past `timeoutMs` it throws a `TimeoutError` (code `migration.tableSync`) naming what
 * was still being built; what was done stays done, and the next sync carries on from there.
 *
 * A new GSI holds only items written after their index key attributes were set: items written
 * before need those attributes backfilled.
 *
 * Every request runs through the client's executor as a declared operation (retries, time limits,
 * events). Deploy it from CI, not at application start.
 *
 * @example
 * ```ts
 * const report = await syncTable(db, app)
 * report.indexesCreated // ['gsi2']
 * ```
 */
export function syncTable(
  client: DynamoClient,
  table: Table,
  options: SyncTableOptions = {},
): Promise<TableSyncReport> {
  return syncTableWith(runtimeOf(client), table, options);
}

/**
 * @internal {@link syncTable} on a client's runtime, for a method of the client itself.
 *
 * @example
 * ```ts
 * await syncTableWith(runtime, app, { dryRun: true })
 * ```
 */
export async function syncTableWith(
  runtime: Runtime,
  table: Table,
  options: SyncTableOptions = {},
): Promise<TableSyncReport> {
  const timeoutMs = options.timeoutMs ?? defaultSyncTimeoutMs;
  const deadline = Date.now() + timeoutMs;
  const signal = options.signal;
  const logger = runtime.executor.instrumentation.logger;
  const expired = (what: string, cause?: unknown): TimeoutError =>
    new TimeoutError(`syncTable(${table.name}) passed its ${timeoutMs} ms deadline: ${what}`, {
      engine: 'dynamodb',
      operation: 'syncTable',
      target: table.name,
      code: 'migration.tableSync',
      timeoutMs,
      cause,
    });
  // Runs one step under the client's time limit (a wait: under all that is left of the deadline); a
  // step cut short by the deadline reports the sync's timeout.
  const step = async <T>(what: string, run: (timeout: number) => Promise<T>, wait = false): Promise<T> => {
    const left = deadline - Date.now();
    if (left <= 0) throw expired(what);
    try {
      return await run(wait ? left : Math.min(left, Math.max(runtime.timeoutMs, 1)));
    } catch (err) {
      if (signal?.aborted !== true && isDbkitError(err, 'timeout') && deadline - Date.now() <= 0)
        throw expired(what, err);
      throw err;
    }
  };
  const describe = (what: string): Promise<TableDescription | undefined> =>
    step(what, (timeout) =>
      runDynamo(
        runtime,
        dynamoOperations.describeTable,
        table.name,
        async (s) => {
          try {
            const out = await runtime.client.send(
              new DescribeTableCommand({ TableName: table.name }),
              s === undefined ? {} : { abortSignal: s },
            );
            return out.Table;
          } catch (err) {
            if (awsErrorName(err) === 'ResourceNotFoundException') return undefined;
            throw err;
          }
        },
        { signal, timeoutMs: timeout },
      ),
    );
  const describeTtl = (): Promise<TimeToLiveDescription | undefined> =>
    step('describing TTL', (timeout) =>
      runDynamo(
        runtime,
        dynamoOperations.describeTimeToLive,
        table.name,
        async (s) =>
          (
            await runtime.client.send(
              new DescribeTimeToLiveCommand({ TableName: table.name }),
              s === undefined ? {} : { abortSignal: s },
            )
          ).TimeToLiveDescription,
        { signal, timeoutMs: timeout },
      ),
    );
  // Polls with a growing delay until the table and the named indexes are ACTIVE and done backfilling.
  const waitActive = async (indexes: readonly string[]): Promise<TableDescription> => {
    for (let poll = 0; ; poll++) {
      const what =
        indexes.length === 0
          ? 'waiting for the table to be ACTIVE'
          : `index ${indexes.join(', ')} still being created`;
      const live = await describe(what);
      if (live === undefined)
        throw new InternalError(`Table ${table.name} disappeared while syncTable waited for it`, {
          engine: 'dynamodb',
          operation: 'syncTable',
          target: table.name,
          code: 'internal.tableNotFound',
        });
      const building = indexes.filter((name) => {
        const gsi = live.GlobalSecondaryIndexes?.find((g) => g.IndexName === name);
        if (gsi === undefined)
          throw new InternalError(`Index ${name} of ${table.name} disappeared while it was being created`, {
            engine: 'dynamodb',
            operation: 'syncTable',
            target: table.name,
            code: 'internal.indexNotFound',
          });
        return gsi.IndexStatus !== 'ACTIVE' || gsi.Backfilling === true;
      });
      if (live.TableStatus === 'ACTIVE' && building.length === 0) return live;
      const left = deadline - Date.now();
      const status =
        building.length === 0
          ? `table is ${live.TableStatus ?? 'unknown'}`
          : `index ${building.join(', ')} still being created (${building
              .map((name) => {
                const gsi = live.GlobalSecondaryIndexes?.find((g) => g.IndexName === name);
                return gsi?.Backfilling === true ? 'backfilling' : (gsi?.IndexStatus ?? 'unknown');
              })
              .join(', ')})`;
      if (left <= 0) throw expired(status);
      await sleep(Math.min(left, Math.min(maxPollMs, firstPollMs * 2 ** poll)), signal);
    }
  };

  const report: TableSyncReport = {
    table: table.name,
    dryRun: options.dryRun === true,
    created: false,
    indexesCreated: [],
    indexesAwaited: [],
    ttlEnabled: false,
    unchanged: [],
    drift: [],
  };
  let live = await describe('describing the table');
  if (live === undefined) {
    report.created = true;
    report.ttlEnabled = table.ttlAttribute !== undefined;
    if (report.dryRun) return report;
    report.created = await step(
      'creating the table',
      (timeout) => {
        const create: CreateTableOptions = { timeoutMs: timeout, waitSeconds: Math.ceil(timeout / 1000) };
        if (signal !== undefined) create.signal = signal;
        if (options.billing !== undefined) create.billing = options.billing;
        if (options.settings !== undefined) create.settings = options.settings;
        return ensureTable(runtime, table, create);
      },
      true,
    );
    // Another process may have created it meanwhile: then it is diffed like any live table.
    if (!report.created) report.ttlEnabled = false;
    live = await waitActive(Object.keys(table.indexes));
  }
  const plan = diffTable(table, live, await describeTtl());
  report.unchanged = plan.unchanged;
  report.drift = plan.drift;
  report.indexesAwaited = plan.indexesPending;
  if (report.created) return report;
  report.indexesCreated = [...plan.indexesToCreate];
  report.ttlEnabled = plan.enableTtl;
  if (report.dryRun) return report;

  if (plan.indexesPending.length > 0) await waitActive(plan.indexesPending);
  for (const name of plan.indexesToCreate) {
    const ready = await waitActive([]);
    const throughput = isProvisioned(ready)
      ? (options.indexThroughput ?? {
          readUnits: ready.ProvisionedThroughput?.ReadCapacityUnits ?? 1,
          writeUnits: ready.ProvisionedThroughput?.WriteCapacityUnits ?? 1,
        })
      : undefined;
    const params = createIndexParams(table, name, throughput);
    logger.info({ table: table.name, index: name }, 'dbkit: syncTable creating a GSI');
    await step(`creating index ${name}`, (timeout) =>
      runDynamo(
        runtime,
        dynamoOperations.createIndex,
        table.name,
        async (s) => {
          const abort = s === undefined ? {} : { abortSignal: s };
          const exists = async (): Promise<boolean> =>
            (
              await runtime.client.send(new DescribeTableCommand({ TableName: table.name }), abort)
            ).Table?.GlobalSecondaryIndexes?.some((g) => g.IndexName === name) === true;
          // A resend after a lost answer finds the index the first send created.
          if (await exists()) return;
          try {
            await runtime.client.send(new UpdateTableCommand(params), abort);
          } catch (err) {
            if (awsErrorName(err) === 'ResourceInUseException' && (await exists())) return;
            throw err;
          }
        },
        { signal, timeoutMs: timeout },
      ),
    );
    await waitActive([name]);
  }
  if (plan.enableTtl && table.ttlAttribute !== undefined) {
    const attribute = table.ttlAttribute;
    await step('enabling TTL', (timeout) =>
      runDynamo(
        runtime,
        dynamoOperations.enableTimeToLive,
        table.name,
        async (s) => {
          try {
            await runtime.client.send(
              new UpdateTimeToLiveCommand({
                TableName: table.name,
                TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
              }),
              s === undefined ? {} : { abortSignal: s },
            );
          } catch (err) {
            // A resend after a lost answer: the first send enabled it.
            if (awsErrorName(err) !== 'ValidationException' || !/already enabled/i.test(String(err)))
              throw err;
            const now = await runtime.client.send(
              new DescribeTimeToLiveCommand({ TableName: table.name }),
              s === undefined ? {} : { abortSignal: s },
            );
            if (now.TimeToLiveDescription?.AttributeName !== attribute) throw err;
          }
        },
        { signal, timeoutMs: timeout },
      ),
    );
  }
  return report;
}
