// The migration journal on MongoDB: one document per migration (`_id` = name) and a lease lock document, every change a conditional write.
import type { Document } from 'mongodb';
import { ConflictError, ValidationError } from '../core/errors.js';
import type { JournalRecord, MigrationJournal } from '../core/internal.js';
import type { MongoConnection } from './client-options.js';
import type { RepoContext } from './context.js';
import { runMaintenance } from './operations.js';
import { systemContext } from './system-collection.js';

/** The collection the journal lives in unless told otherwise. */
export const DEFAULT_MIGRATIONS_COLLECTION = 'dbkit_migrations';

// The lock's `_id`; migration records carry a checksum, the lock does not.
const LOCK_ID = 'lock';

function isDuplicate(err: unknown): boolean {
  return err instanceof ConflictError;
}

function toRecord(doc: Document): JournalRecord {
  return {
    name: String(doc._id),
    checksum: String(doc.checksum),
    startedAt: doc.startedAt as Date,
    finishedAt: (doc.finishedAt as Date | null | undefined) ?? undefined,
    error: (doc.error as string | null | undefined) ?? undefined,
  };
}

/**
 * @internal Core's {@link MigrationJournal} in the collection `name` (default `dbkit_migrations`).
 * No transaction is needed (FerretDB and mongo-java-server have none): a second start of the same
 * migration fails on its unique `_id`, and the lock is taken with an upsert whose filter matches
 * only a free, expired or own lock, so a held lock makes the upsert collide on `_id`. Lease times
 * are this process's clock: deployers on machines whose clocks disagree by more than the lease
 * could both take an expired lock. Where conditional updates are read-then-write (FerretDB v1), two
 * deployers may both take an EXPIRED lock (a free one is an insert, decided by `_id`); even then a
 * migration runs once, since its start record is an insert: the second deployer fails on it.
 *
 * @example
 * ```ts
 * await deployWithJournal(mongoMigrationJournal(mongo), migrations, ctx)
 * ```
 */
export function mongoMigrationJournal(
  connection: MongoConnection,
  name: string = DEFAULT_MIGRATIONS_COLLECTION,
): MigrationJournal {
  const ctx: RepoContext = systemContext(connection, name);
  const col = ctx.collection;
  return {
    engine: 'mongodb',
    target: `${connection.db.databaseName}.${name}`,
    async records() {
      const docs = await runMaintenance(ctx, 'journalRead', (signal) =>
        col
          .find({ _id: { $ne: LOCK_ID }, checksum: { $exists: true } } as Document, signal ? { signal } : {})
          .sort({ _id: 1 })
          .toArray(),
      );
      return docs.map(toRecord);
    },
    async tryLock(owner, leaseMs) {
      const now = new Date();
      try {
        await runMaintenance(ctx, 'journalLock', () =>
          col.updateOne(
            { _id: LOCK_ID, $or: [{ owner }, { expiresAt: { $lt: now } }] } as Document,
            { $set: { owner, expiresAt: new Date(now.getTime() + leaseMs) } },
            { upsert: true },
          ),
        );
        return true;
      } catch (err) {
        // The lock exists and is another's: the upsert's insert collided on `_id`.
        if (isDuplicate(err)) return false;
        throw err;
      }
    },
    async renewLock(owner, leaseMs) {
      const result = await runMaintenance(ctx, 'journalLock', () =>
        col.updateOne({ _id: LOCK_ID, owner } as Document, {
          $set: { expiresAt: new Date(Date.now() + leaseMs) },
        }),
      );
      return result.matchedCount === 1;
    },
    async unlock(owner) {
      await runMaintenance(ctx, 'journalLock', () => col.deleteOne({ _id: LOCK_ID, owner } as Document));
    },
    async start(record) {
      if (record.name === LOCK_ID) {
        throw new ValidationError([{ path: [record.name], message: 'reserved for the lock document' }], {
          code: 'migration.invalidFile',
          engine: 'mongodb',
          operation: 'migrate',
          target: name,
          message: `A migration cannot be named "${LOCK_ID}" on MongoDB: the journal's lock document has that _id; rename the file`,
        });
      }
      await runMaintenance(ctx, 'journalStart', () =>
        col.insertOne({
          _id: record.name,
          checksum: record.checksum,
          startedAt: record.startedAt,
        } as Document),
      );
    },
    async finish(migration, finishedAt) {
      await runMaintenance(ctx, 'journalWrite', () =>
        col.updateOne({ _id: migration } as Document, { $set: { finishedAt }, $unset: { error: '' } }),
      );
    },
    async fail(migration, error) {
      await runMaintenance(ctx, 'journalWrite', () =>
        col.updateOne({ _id: migration, finishedAt: { $exists: false } } as Document, { $set: { error } }),
      );
    },
    async forget(migration) {
      await runMaintenance(ctx, 'journalWrite', () =>
        col.deleteOne({ _id: migration, finishedAt: { $exists: false } } as Document),
      );
    },
  };
}
