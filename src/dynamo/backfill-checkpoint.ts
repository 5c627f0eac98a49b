// Backfill checkpoints on DynamoDB: one item per backfill name in a reserved partition of the application table, each change conditional on the owner and its lease.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../core/internal.js';
import type { BackfillCheckpoint, CheckpointStore } from '../core/internal.js';
import { dynamoOperations, runDynamo } from './operations.js';
import {
  checkpointPartition,
  deleteIfOwner,
  isConditionFailure,
  reservedEntity,
  reservedKey,
} from './reserved-items.js';
import type { Runtime } from './runtime.js';
import type { Table } from './table.js';

/**
 * @internal Core's `CheckpointStore` on `table`: the checkpoint of backfill `name` is the item
 * (`_dbkit#backfills`, `name`) holding its owner, lease expiry and state (JSON; scan positions are
 * DocumentClient keys, JSON-safe).
 *
 * @example
 * ```ts
 * await runBackfill(source, dynamoCheckpoints(runtime, app), transform, options)
 * ```
 */
export function dynamoCheckpoints(runtime: Runtime, table: Table): CheckpointStore {
  let lease = 60_000;
  const key = (name: string): Record<string, string> => reservedKey(table, checkpointPartition, name);
  key(''); // refuses a table without a sort key before anything is sent
  const send = runtime.document;
  // The runner does not repeat checkpoint writes: they get a longer retry than the client's, so a
  // throttled table delays a save instead of stopping the run.
  const call = runtime.retry === false ? {} : { retry: { ...runtime.retry, maxAttempts: 10 } };
  const update = (name: string, input: Omit<UpdateCommandInput, 'TableName' | 'Key'>) =>
    runDynamo(
      runtime,
      dynamoOperations.update,
      table.name,
      (signal) =>
        send.send(
          new UpdateCommand({ TableName: table.name, Key: key(name), ...input }),
          signal === undefined ? {} : { abortSignal: signal },
        ),
      call,
    );
  const owned = (name: string, err: unknown, code: 'backfill.running' | 'backfill.lost'): never => {
    if (!isConditionFailure(err)) throw err;
    throw new ConflictError(
      code === 'backfill.running'
        ? `Backfill ${name} is running elsewhere (its checkpoint lease is held); wait for it, or for its lease to expire if its process died`
        : `Backfill ${name} lost its checkpoint to another run; this run stopped`,
      { code, engine: 'dynamodb', operation: 'backfill', target: name, cause: err },
    );
  };
  return {
    async claim(name, owner, leaseMs) {
      lease = leaseMs;
      const now = Date.now();
      try {
        const out = await update(name, {
          UpdateExpression: 'SET #owner = :me, #expiresAt = :exp, #entity = :entity',
          ConditionExpression: 'attribute_not_exists(#pk) OR #owner = :me OR #expiresAt < :now',
          ExpressionAttributeNames: {
            '#pk': table.partitionKey,
            '#owner': 'owner',
            '#expiresAt': 'expiresAt',
            '#entity': table.entityAttribute,
          },
          ExpressionAttributeValues: {
            ':me': owner,
            ':exp': now + leaseMs,
            ':now': now,
            ':entity': reservedEntity,
          },
          ReturnValues: 'ALL_OLD',
        });
        const state: unknown = out.Attributes?.state;
        return typeof state === 'string' ? (JSON.parse(state) as BackfillCheckpoint) : undefined;
      } catch (err) {
        return owned(name, err, 'backfill.running');
      }
    },
    async save(name, checkpoint) {
      try {
        await update(name, {
          UpdateExpression: 'SET #state = :state, #expiresAt = :exp',
          ConditionExpression: '#owner = :me',
          ExpressionAttributeNames: { '#owner': 'owner', '#expiresAt': 'expiresAt', '#state': 'state' },
          ExpressionAttributeValues: {
            ':me': checkpoint.owner,
            ':exp': Date.now() + lease,
            ':state': JSON.stringify(checkpoint),
          },
        });
      } catch (err) {
        owned(name, err, 'backfill.lost');
      }
    },
    // A stopped run gives up its lease and keeps its state, so the next run resumes at once.
    async release(name, owner) {
      try {
        await update(name, {
          UpdateExpression: 'SET #expiresAt = :expired',
          ConditionExpression: '#owner = :me',
          ExpressionAttributeNames: { '#owner': 'owner', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':me': owner, ':expired': 0 },
        });
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    },
    async clear(name, owner) {
      await deleteIfOwner(runtime, table, key(name), owner, call);
    },
  };
}
