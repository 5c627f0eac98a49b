// Transactions for Mongoose on the driver's withTransaction: each attempt starts clean, documents are reset between attempts.
import mongoose from 'mongoose';
import type { ClientSession, Connection, Document as MongooseDocument } from 'mongoose';
import { requireTransactions } from '../mongo/transaction.js';
import { capabilitiesOf } from './state.js';

/**
 * Options for {@link withMongooseTransaction}.
 *
 * @example
 * ```ts
 * await withMongooseTransaction(mongoose.connection, async ({ session }) => { ... }, { maxCommitTimeMS: 1_000 })
 * ```
 */
export interface MongooseTransactionOptions {
  /** Bound on the commit, in ms. */
  maxCommitTimeMS?: number;
  /** Default `snapshot`. */
  readConcern?: 'snapshot' | 'majority' | 'local';
}

/**
 * What one attempt of the callback gets.
 *
 * @example
 * ```ts
 * await withMongooseTransaction(mongoose.connection, async ({ session }: MongooseTransactionContext) => {
 *   await Account.updateOne({ _id: from }, { $inc: { balance: -amount } }, { session })
 * })
 * ```
 */
export interface MongooseTransactionContext {
  /** Pass to every Mongoose call of the attempt: `{ session }`. */
  readonly session: ClientSession;
  /** 1 on the first run, 2 when the driver retries the callback, and so on. */
  readonly attempt: number;
  /**
   * Registers a document loaded before the transaction that the callback saves: its state
   * (new / modified paths / version) is restored before each retry, so a retry saves it again
   * instead of skipping it as already saved.
   */
  track<D extends MongooseDocument>(doc: D): D;
}

interface Snapshot {
  readonly doc: MongooseDocument;
  readonly isNew: boolean;
  readonly modified: string[];
  readonly version: unknown;
}

function snapshot(doc: MongooseDocument): Snapshot {
  return { doc, isNew: doc.isNew, modified: doc.modifiedPaths(), version: doc.get('__v') };
}

function restore(s: Snapshot): void {
  s.doc.isNew = s.isNew;
  if (s.version !== undefined) s.doc.set('__v', s.version);
  for (const path of s.modified) s.doc.markModified(path);
}

/**
 * Runs `fn` in a transaction through the driver's `session.withTransaction` (snapshot reads,
 * majority writes, the driver's retries of TransientTransactionError and
 * UnknownTransactionCommitResult). A retried attempt starts from the state before the first one:
 * documents registered with `tx.track()` get back their new / modified state, so a retry neither
 * skips a save (Mongoose thinking it already happened) nor applies one twice (the aborted attempt's
 * writes were rolled back). Without a replica set (standalone, FerretDB, mongo-java-server) it
 * throws an UnsupportedError before running anything, never running the writes unprotected.
 *
 * @example
 * ```ts
 * await withMongooseTransaction(mongoose.connection, async ({ session }) => {
 *   await Account.updateOne({ _id: from }, { $inc: { balance: -amount } }, { session })
 *   await Account.updateOne({ _id: to }, { $inc: { balance: amount } }, { session })
 * })
 * ```
 */
export async function withMongooseTransaction<R>(
  connection: Connection,
  fn: (tx: MongooseTransactionContext) => Promise<R>,
  options: MongooseTransactionOptions = {},
): Promise<R> {
  requireTransactions(await capabilitiesOf(connection));
  const session = await connection.startSession();
  const tracked: Snapshot[] = [];
  let attempts = 0;
  try {
    return await session.withTransaction(
      async () => {
        attempts += 1;
        if (attempts > 1) tracked.forEach(restore);
        return fn({
          session,
          attempt: attempts,
          track: (doc) => {
            if (!tracked.some((s) => s.doc === doc)) tracked.push(snapshot(doc));
            return doc;
          },
        });
      },
      {
        readConcern: { level: options.readConcern ?? 'snapshot' },
        // Mongoose's own copy of the driver builds the write concern its session expects.
        writeConcern: new mongoose.mongo.WriteConcern('majority'),
        readPreference: 'primary',
        ...(options.maxCommitTimeMS === undefined ? {} : { maxCommitTimeMS: options.maxCommitTimeMS }),
      },
    );
  } finally {
    await session.endSession();
  }
}
