// bulkWrite in unordered batches with a per-operation report: what failed and why, and only real writes counted.
import { MongoBulkWriteError } from 'mongodb';
import type { AnyBulkWriteOperation, BulkWriteResult, Document, WriteError } from 'mongodb';
import { ConditionFailedError, DbkitError, TransientError, ValidationError } from '../core/errors.js';
import { duplicateKeyError, isDuplicateKey, mapMongoError } from './errors.js';
import { guardFilter } from './injection-guard.js';
import { buildUpdate } from './update-builder.js';
import type { UpdateSpec } from './update-builder.js';
import type { CallOptions } from '../core/internal.js';
import { readOptions, writeOptions } from './context.js';
import type { RepoContext } from './context.js';
import { runMongo } from './operations.js';
import { olderThanCurrentFilter, pinToCurrentVersion, SCHEMA_VERSION_FIELD } from './schema-version.js';

/**
 * One operation of a bulk write. Filters go through the injection guard; inserts are validated
 * against the collection's schema.
 *
 * @example
 * ```ts
 * const ops: BulkOperation<Post, PostInput>[] = [
 *   { insertOne: { document: { title: 'Hi', authorId } } },
 *   { updateOne: { filter: { _id: id }, update: { $inc: { likeCount: 1 } } } },
 *   { deleteOne: { filter: { _id: other } } },
 * ]
 * ```
 */
export type BulkOperation<T, I> =
  | { insertOne: { document: I } }
  | { updateOne: { filter: unknown; update: UpdateSpec<T>; upsert?: boolean } }
  | { updateMany: { filter: unknown; update: UpdateSpec<T> } }
  | { deleteOne: { filter: unknown } }
  | { deleteMany: { filter: unknown } };

/**
 * Why one operation of a bulk write failed.
 *
 * @example
 * ```ts
 * for (const { index, operation, error } of report.failed) console.log(index, operation, error.code)
 * ```
 */
export interface BulkFailure {
  /** Position of the operation in the list given. */
  index: number;
  operation: string;
  error: DbkitError;
}

/**
 * What a bulk write did, operation by operation.
 *
 * @example
 * ```ts
 * const report = await users.bulkWrite(ops)
 * if (!report.ok) logger.warn({ failed: report.failed, unknown: report.unknown }, 'bulk write incomplete')
 * ```
 */
export interface BulkWriteReport {
  /** True when every operation was applied. */
  ok: boolean;
  insertedCount: number;
  matchedCount: number;
  modifiedCount: number;
  deletedCount: number;
  upsertedCount: number;
  /** `_id`s of the documents actually inserted, by operation index (failed inserts are absent). */
  insertedIds: Record<number, unknown>;
  /** Operations the server (or validation) refused, with the reason. */
  failed: BulkFailure[];
  /** Operations whose outcome is unknown (their batch failed as a whole, e.g. a lost connection). */
  unknown: BulkFailure[];
  batches: number;
}

/**
 * Options for a bulk write.
 *
 * @example
 * ```ts
 * await users.bulkWrite(ops, { batchSize: 1000, timeoutMs: 30_000 })
 * ```
 */
export interface BulkWriteOptions extends CallOptions {
  /** Operations per round trip. Default 500. */
  batchSize?: number | undefined;
}

/** @internal Prepares one operation into the driver's form, or throws the reason it cannot be sent. */
export type Prepare = (
  op: unknown,
  index: number,
) => Promise<{
  driverOp: AnyBulkWriteOperation;
  insertedId?: unknown;
  /** An update's own filter, checked for documents at an older schema version before the batch is sent. */
  olderCheck?: Document;
}>;

/** @internal Builds the preparer for a repository: validation, guard, update building. */
export function bulkPreparer(ctx: RepoContext, prepareInsert: (doc: unknown) => Promise<Document>): Prepare {
  const updateCtx = {
    target: ctx.definition.name,
    ...(ctx.definition.versioned ? { versionField: 'version' } : {}),
    timestamps: ctx.definition.timestamps,
    protectedFields: new Set([
      '_id',
      'createdAt',
      'version',
      ...(ctx.definition.schemaVersion === undefined ? [] : [SCHEMA_VERSION_FIELD]),
    ]),
    paths: ctx.definition.paths,
    guard: ctx.guard,
  };
  return async (op, index) => {
    const path = ['operations', index];
    if (typeof op !== 'object' || op === null || Object.keys(op).length !== 1) {
      throw new ValidationError(
        [
          {
            path,
            message:
              'each operation needs exactly one of insertOne, updateOne, updateMany, deleteOne, deleteMany',
          },
        ],
        {
          code: 'bulk.invalidOperation',
          engine: 'mongodb',
        },
      );
    }
    const [kind, body] = Object.entries(op)[0] as [string, Document];
    const filter = (): Document => guardFilter(body.filter, ctx.guard, [...path, kind, 'filter']);
    switch (kind) {
      case 'insertOne': {
        const document = await prepareInsert(body.document);
        return { driverOp: { insertOne: { document } }, insertedId: document._id };
      }
      case 'updateOne': {
        const f = filter();
        const p = pinToCurrentVersion(ctx.definition, f, buildUpdate(body.update, updateCtx).update);
        return {
          driverOp: { updateOne: { filter: p.filter, update: p.update, upsert: body.upsert === true } },
          olderCheck: f,
        };
      }
      case 'updateMany': {
        const f = filter();
        const p = pinToCurrentVersion(ctx.definition, f, buildUpdate(body.update, updateCtx).update);
        return { driverOp: { updateMany: { filter: p.filter, update: p.update } }, olderCheck: f };
      }
      case 'deleteOne':
        return { driverOp: { deleteOne: { filter: filter() } } };
      case 'deleteMany': {
        const f = filter();
        if (Object.keys(f).length === 0) {
          throw new ValidationError(
            [{ path, message: 'deleteMany with an empty filter would delete everything' }],
            { code: 'delete.emptyFilter', engine: 'mongodb' },
          );
        }
        return { driverOp: { deleteMany: { filter: f } } };
      }
      default:
        throw new ValidationError([{ path: [...path, kind], message: `"${kind}" is not a bulk operation` }], {
          code: 'bulk.invalidOperation',
          engine: 'mongodb',
        });
    }
  };
}

function writeErrorsOf(err: MongoBulkWriteError): WriteError[] {
  const errors = err.writeErrors as WriteError[] | WriteError;
  return Array.isArray(errors) ? errors : [errors];
}

/**
 * The updates of a batch whose filter matches a document stored at an older schema version, each
 * with its ConditionFailedError (`migration.pending`). One query for the batch; one per update only
 * when that query finds an older document.
 */
async function updatesOverOlder(
  ctx: RepoContext,
  checks: ReadonlyMap<number, Document>,
  options: CallOptions,
): Promise<Map<number, DbkitError>> {
  const older = olderThanCurrentFilter(ctx.definition);
  const probe = (filter: Document): Promise<Document | null> =>
    runMongo(
      ctx,
      'exists',
      (signal) =>
        ctx.collection.findOne(
          { $and: [filter, older] },
          { ...readOptions(ctx, signal, options), projection: { _id: 1 } },
        ),
      options,
    );
  const refused = new Map<number, DbkitError>();
  if ((await probe({ $or: [...checks.values()] })) === null) return refused;
  for (const [i, filter] of checks) {
    const found = await probe(filter);
    if (found === null) continue;
    refused.set(
      i,
      new ConditionFailedError(
        `the update matches documents stored at a schemaVersion older than ${ctx.definition.schemaVersion} (e.g. ${String(found._id)}); run the batch migration first, or update them by id`,
        { code: 'migration.pending', engine: 'mongodb', operation: 'bulkWrite', target: ctx.definition.name },
      ),
    );
  }
  return refused;
}

/** @internal Runs `ops` in unordered batches and reports per operation. */
export async function runBulkWrite(
  ctx: RepoContext,
  ops: readonly unknown[],
  prepare: Prepare,
  options: BulkWriteOptions = {},
): Promise<BulkWriteReport> {
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 500, 100_000));
  const report: BulkWriteReport = {
    ok: true,
    insertedCount: 0,
    matchedCount: 0,
    modifiedCount: 0,
    deletedCount: 0,
    upsertedCount: 0,
    insertedIds: {},
    failed: [],
    unknown: [],
    batches: 0,
  };
  const kindOf = (i: number): string => Object.keys(ops[i] ?? {})[0] ?? 'unknown';
  for (let start = 0; start < ops.length; start += batchSize) {
    const driverOps: AnyBulkWriteOperation[] = [];
    const positions: number[] = [];
    const ids = new Map<number, unknown>();
    const checks = new Map<number, Document>();
    for (let i = start; i < Math.min(ops.length, start + batchSize); i++) {
      try {
        const prepared = await prepare(ops[i], i);
        driverOps.push(prepared.driverOp);
        positions.push(i);
        if (prepared.insertedId !== undefined) ids.set(i, prepared.insertedId);
        if (prepared.olderCheck !== undefined) checks.set(i, prepared.olderCheck);
      } catch (err) {
        report.failed.push({
          index: i,
          operation: kindOf(i),
          error: mapMongoError(err, { operation: 'bulkWrite', target: ctx.definition.name }),
        });
      }
    }
    if (ctx.definition.schemaVersion !== undefined && checks.size > 0) {
      const refused = await updatesOverOlder(ctx, checks, options);
      for (const [i, error] of refused) {
        report.failed.push({ index: i, operation: kindOf(i), error });
        const at = positions.indexOf(i);
        positions.splice(at, 1);
        driverOps.splice(at, 1);
      }
    }
    if (driverOps.length === 0) continue;
    report.batches += 1;
    const failedHere = new Set<number>();
    let result: BulkWriteResult | undefined;
    try {
      result = await runMongo(
        ctx,
        'bulkWrite',
        () => ctx.collection.bulkWrite(driverOps, { ordered: false, ...writeOptions(ctx) }),
        options,
        (r) => ({
          count: r.insertedCount + r.modifiedCount + r.deletedCount + r.upsertedCount,
        }),
      );
    } catch (err) {
      const cause = err instanceof DbkitError && err.cause instanceof MongoBulkWriteError ? err.cause : err;
      if (!(cause instanceof MongoBulkWriteError)) {
        // Already refined by the executor's mapError: the whole batch failed, its outcome unknown.
        const error = err as DbkitError;
        for (const i of positions) report.unknown.push({ index: i, operation: kindOf(i), error });
        continue;
      }
      for (const we of writeErrorsOf(cause)) {
        const index = positions[we.index];
        if (index === undefined) continue;
        failedHere.add(index);
        const ctxInfo = {
          operation: kindOf(index),
          target: ctx.definition.name,
          uniqueIndexes: ctx.definition.uniqueIndexes,
        };
        const error = isDuplicateKey(we.err)
          ? duplicateKeyError(we.err, ctxInfo)
          : mapMongoError(Object.assign(new Error(we.errmsg ?? 'write error'), we.err), ctxInfo);
        report.failed.push({ index, operation: kindOf(index), error });
      }
      const concernErrors: unknown = cause.writeConcernErrors;
      if (Array.isArray(concernErrors) && concernErrors.length > 0) {
        const error = new TransientError(
          `${ctx.definition.name}: bulk write concern not satisfied; writes may not be durable`,
          {
            engine: 'mongodb',
            operation: 'bulkWrite',
            target: ctx.definition.name,
            code: 'transient.writeConcern',
            cause,
          },
        );
        for (const i of positions)
          if (!failedHere.has(i)) report.unknown.push({ index: i, operation: kindOf(i), error });
        continue;
      }
      result = cause.result;
    }
    // Counted from the operations that did not fail: some servers count failed inserts as inserted.
    let inserted = 0;
    for (const [i, id] of ids) {
      if (failedHere.has(i)) continue;
      report.insertedIds[i] = id;
      inserted += 1;
    }
    report.insertedCount += Math.min(inserted, result.insertedCount);
    report.matchedCount += result.matchedCount;
    report.modifiedCount += result.modifiedCount;
    report.deletedCount += result.deletedCount;
    report.upsertedCount += result.upsertedCount;
  }
  report.failed.sort((a, b) => a.index - b.index);
  report.ok = report.failed.length === 0 && report.unknown.length === 0;
  return report;
}
