// Where dbkit keeps its own items in an application table (migration journal, backfill checkpoints): a reserved partition key prefix and entity value.
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { DbkitError, UnsupportedError } from '../core/internal.js';
import type { CallOptions } from '../core/internal.js';
import { dynamoOperations, runDynamo } from './operations.js';
import type { Runtime } from './runtime.js';
import type { Table } from './table.js';

/** @internal Partition keys dbkit reserves in an application table; no entity key may start with it. */
export const reservedPrefix = '_dbkit#';

/** @internal The partition holding the migration journal and its lock. */
export const journalPartition = `${reservedPrefix}migrations`;

/** @internal The partition holding backfill checkpoints. */
export const checkpointPartition = `${reservedPrefix}backfills`;

/** @internal The entity attribute's value on dbkit's items: no entity has this name, so entity reads skip them. */
export const reservedEntity = '_dbkit';

/**
 * @internal The primary key of dbkit's item `sort` in partition `partition` of `table`; refuses a
 * table without a sort key (the journal needs one partition it can query).
 *
 * @example
 * ```ts
 * reservedKey(app, journalPartition, '#lock') // { pk: '_dbkit#migrations', sk: '#lock' }
 * ```
 */
export function reservedKey(table: Table, partition: string, sort: string): Record<string, string> {
  if (table.sortKey === undefined) {
    throw new UnsupportedError(
      `dbkit keeps its migration journal and backfill checkpoints in a partition of ${table.name}, which needs a sort key: pass a table that has one (the \`table\` of the migration options, the \`checkpointTable\` of a backfill)`,
      { code: 'unsupported.journalTable', engine: 'dynamodb', target: table.name, feature: 'journalTable' },
    );
  }
  return { [table.partitionKey]: partition, [table.sortKey]: sort };
}

/** @internal True when a conditional write on one of dbkit's items found its condition false. */
export function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof DbkitError &&
    (err.kind === 'condition_failed' || err.kind === 'not_found' || err.kind === 'conflict')
  );
}

/**
 * @internal Deletes dbkit's item at `key` if `owner` still holds it (a lock, a checkpoint); an item
 * another owner holds, or that is gone, is left alone.
 *
 * @example
 * ```ts
 * await deleteIfOwner(runtime, app, reservedKey(app, journalPartition, '#lock'), owner)
 * ```
 */
export async function deleteIfOwner(
  runtime: Runtime,
  table: Table,
  key: Record<string, string>,
  owner: string,
  call: CallOptions = {},
): Promise<void> {
  try {
    await runDynamo(
      runtime,
      dynamoOperations.delete,
      table.name,
      (signal) =>
        runtime.document.send(
          new DeleteCommand({
            TableName: table.name,
            Key: key,
            ConditionExpression: '#owner = :me',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':me': owner },
          }),
          signal === undefined ? {} : { abortSignal: signal },
        ),
      call,
    );
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}
