// The migration journal on DynamoDB: one item per migration and a lease lock item, in a reserved partition of the application table, each change a conditional write.
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { JournalRecord, MigrationJournal } from '../core/internal.js';
import { dynamoOperations, runDynamo } from './operations.js';
import {
  deleteIfOwner,
  isConditionFailure,
  journalPartition,
  reservedEntity,
  reservedKey,
} from './reserved-items.js';
import type { Runtime } from './runtime.js';
import type { Table } from './table.js';

const lockSort = '#lock';

/**
 * @internal Core's `MigrationJournal` on `table`: records under partition `_dbkit#migrations` (sort
 * key = migration name), the lock under sort key `#lock`, all with the entity attribute `_dbkit`
 * so entity reads never see them.
 *
 * @example
 * ```ts
 * await deployWithJournal(dynamoJournal(runtime, app), migrations, ctx)
 * ```
 */
export function dynamoJournal(runtime: Runtime, table: Table): MigrationJournal {
  const pk = table.partitionKey;
  const sk = table.sortKey ?? '';
  const key = (sort: string): Record<string, string> => reservedKey(table, journalPartition, sort);
  key(lockSort); // refuses a table without a sort key before anything is sent
  const send = runtime.document;
  const names = { '#pk': pk };

  const lockPut = async (owner: string, leaseMs: number, renew: boolean): Promise<boolean> => {
    const now = Date.now();
    try {
      await runDynamo(runtime, dynamoOperations.putGuarded, table.name, (signal) =>
        send.send(
          new PutCommand({
            TableName: table.name,
            Item: {
              ...key(lockSort),
              [table.entityAttribute]: reservedEntity,
              owner,
              expiresAt: now + leaseMs,
            },
            ConditionExpression: renew
              ? '#owner = :me'
              : 'attribute_not_exists(#pk) OR #owner = :me OR #expiresAt < :now',
            ExpressionAttributeNames: renew
              ? { '#owner': 'owner' }
              : { ...names, '#owner': 'owner', '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: renew ? { ':me': owner } : { ':me': owner, ':now': now },
          }),
          signal === undefined ? {} : { abortSignal: signal },
        ),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  };

  const updateRecord = async (name: string, set: Record<string, string>): Promise<void> => {
    const attrs = Object.keys(set);
    await runDynamo(runtime, dynamoOperations.update, table.name, (signal) =>
      send.send(
        new UpdateCommand({
          TableName: table.name,
          Key: key(name),
          UpdateExpression: `SET ${attrs.map((_, i) => `#a${i} = :v${i}`).join(', ')}`,
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: {
            ...names,
            ...Object.fromEntries(attrs.map((a, i) => [`#a${i}`, a])),
          },
          ExpressionAttributeValues: Object.fromEntries(attrs.map((a, i) => [`:v${i}`, set[a]])),
        }),
        signal === undefined ? {} : { abortSignal: signal },
      ),
    );
  };

  return {
    engine: 'dynamodb',
    target: table.name,
    async records(): Promise<JournalRecord[]> {
      const out: JournalRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await runDynamo(runtime, dynamoOperations.query, table.name, (signal) =>
          send.send(
            new QueryCommand({
              TableName: table.name,
              KeyConditionExpression: '#pk = :p',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: { ':p': journalPartition },
              ConsistentRead: true,
              ...(start === undefined ? {} : { ExclusiveStartKey: start }),
            }),
            signal === undefined ? {} : { abortSignal: signal },
          ),
        );
        for (const item of page.Items ?? []) {
          const name = item[sk] as string;
          if (name === lockSort) continue;
          const record: JournalRecord = {
            name,
            checksum: item.checksum as string,
            startedAt: new Date(item.startedAt as string),
          };
          if (typeof item.finishedAt === 'string') record.finishedAt = new Date(item.finishedAt);
          if (typeof item.error === 'string') record.error = item.error;
          out.push(record);
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    tryLock: (owner, leaseMs) => lockPut(owner, leaseMs, false),
    renewLock: (owner, leaseMs) => lockPut(owner, leaseMs, true),
    async unlock(owner) {
      await deleteIfOwner(runtime, table, key(lockSort), owner);
    },
    async start(record) {
      await runDynamo(
        runtime,
        dynamoOperations.create,
        table.name,
        (signal) =>
          send.send(
            new PutCommand({
              TableName: table.name,
              Item: {
                ...key(record.name),
                [table.entityAttribute]: reservedEntity,
                checksum: record.checksum,
                startedAt: record.startedAt.toISOString(),
              },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: names,
            }),
            signal === undefined ? {} : { abortSignal: signal },
          ),
        {},
        { errors: { create: true, entity: 'migration journal' } },
      );
    },
    finish: (name, finishedAt) => updateRecord(name, { finishedAt: finishedAt.toISOString() }),
    fail: (name, error) => updateRecord(name, { error: error.slice(0, 10_000) }),
    async forget(name) {
      await runDynamo(runtime, dynamoOperations.deleteIfPresent, table.name, (signal) =>
        send.send(
          new DeleteCommand({ TableName: table.name, Key: key(name) }),
          signal === undefined ? {} : { abortSignal: signal },
        ),
      );
    },
  };
}
