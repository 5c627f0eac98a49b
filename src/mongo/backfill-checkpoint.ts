// Backfill checkpoints on MongoDB: one document per backfill name, claimed and saved on condition of its owner and lease.
import { BSON } from 'mongodb';
import type { Document } from 'mongodb';
import { ConflictError } from '../core/errors.js';
import type { BackfillCheckpoint, CheckpointStore } from '../core/internal.js';
import type { MongoConnection } from './client-options.js';
import { runMaintenance } from './operations.js';
import { systemContext } from './system-collection.js';

/** The collection backfill checkpoints live in unless told otherwise. */
export const DEFAULT_BACKFILLS_COLLECTION = 'dbkit_backfills';

// Positions are `_id`s (ObjectIds, Dates, strings): Extended JSON keeps their types through the store.
function encode(checkpoint: BackfillCheckpoint): string {
  return BSON.EJSON.stringify(checkpoint, { relaxed: false });
}

function decode(text: unknown): BackfillCheckpoint | undefined {
  return typeof text === 'string'
    ? (BSON.EJSON.parse(text, { relaxed: false }) as BackfillCheckpoint)
    : undefined;
}

/**
 * @internal Core's {@link CheckpointStore} in the collection `name` (default `dbkit_backfills`): the
 * document `_id` = backfill name holds the owner, the time of its last save and the checkpoint as
 * Extended JSON. A claim is an upsert whose filter matches only the owner's or a stale (not saved
 * for `leaseMs`) document, so a live run makes it collide on `_id` (`backfill.running`); a save
 * matches only while its owner holds the document (`backfill.lost` otherwise). A run that stops
 * before the end releases its lease (keeping the checkpoint), so the next run resumes without waiting.
 *
 * @example
 * ```ts
 * await runBackfill(source, mongoCheckpointStore(mongo), transform, { name: 'users-email-lower' })
 * ```
 */
export function mongoCheckpointStore(
  connection: MongoConnection,
  name: string = DEFAULT_BACKFILLS_COLLECTION,
): CheckpointStore {
  const ctx = systemContext(connection, name);
  const col = ctx.collection;
  const where = { engine: 'mongodb' as const, operation: 'backfill', target: name };
  return {
    async claim(backfill, owner, leaseMs) {
      const now = new Date();
      try {
        const before = await runMaintenance(ctx, 'checkpointWrite', () =>
          col.findOneAndUpdate(
            {
              _id: backfill,
              $or: [{ owner }, { savedAt: { $lt: new Date(now.getTime() - leaseMs) } }],
            } as Document,
            { $set: { owner, savedAt: now } },
            { upsert: true, returnDocument: 'before', includeResultMetadata: false },
          ),
        );
        return decode(before?.checkpoint);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        throw new ConflictError(
          `Backfill ${backfill} is running elsewhere (its checkpoint was saved less than ${leaseMs} ms ago); wait for it, or for its lease to pass if it died`,
          { ...where, code: 'backfill.running', cause: err },
        );
      }
    },
    async save(backfill, checkpoint) {
      const result = await runMaintenance(ctx, 'checkpointWrite', () =>
        col.updateOne({ _id: backfill, owner: checkpoint.owner } as Document, {
          $set: { savedAt: new Date(), checkpoint: encode(checkpoint) },
        }),
      );
      if (result.matchedCount === 0) {
        throw new ConflictError(
          `Backfill ${backfill} was taken over by another run (this run did not save within the lease); stopping this one`,
          { ...where, code: 'backfill.lost' },
        );
      }
    },
    async clear(backfill, owner) {
      await runMaintenance(ctx, 'checkpointWrite', () => col.deleteOne({ _id: backfill, owner } as Document));
    },
    // A stopped run keeps its checkpoint and dates its lease to the epoch: the next claim takes it at once.
    async release(backfill, owner) {
      await runMaintenance(ctx, 'checkpointWrite', () =>
        col.updateOne({ _id: backfill, owner } as Document, { $set: { savedAt: new Date(0) } }),
      );
    },
  };
}
