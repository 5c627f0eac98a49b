// Turning input into stored documents and explaining misses: ids, inserts, version filters, duplicate-key probes.
import { ObjectId } from 'mongodb';
import type { Document } from 'mongodb';
import { ConflictError, NotFoundError, ValidationError, VersionConflictError } from '../core/errors.js';
import { validate } from '../core/validation.js';
import type { CallOptions } from '../core/internal.js';
import { requireAtomicUpdates } from './atomicity.js';
import { readOptions, writeOptions } from './context.js';
import type { RepoContext } from './context.js';
import { duplicateKeyError } from './errors.js';
import { parseObjectId } from './object-id.js';
import { runMongo } from './operations.js';
import { replacementUpdate, unchangedFilter, upgradeDocument } from './schema-version.js';
import { assertDocumentSize, assertStorable } from './update-builder.js';

/** @internal The collection's id from a request: a strict ObjectId, or a non-empty string for string ids. */
export function resolveId(ctx: RepoContext, id: unknown): ObjectId | string {
  if (ctx.definition.idType === 'string') {
    if (typeof id !== 'string' || id.length === 0) {
      throw new ValidationError(
        [{ path: ['id'], message: 'must be a non-empty string', code: 'id.invalid' }],
        { code: 'id.invalid', engine: 'mongodb', target: ctx.definition.name },
      );
    }
    return id;
  }
  return parseObjectId(id, ['id'], ctx.definition.name);
}

export function versionedFilter(
  ctx: RepoContext,
  _id: ObjectId | string,
  expectedVersion: number | undefined,
): Document {
  if (expectedVersion === undefined) return { _id };
  if (!ctx.definition.versioned) {
    throw new ValidationError(
      [
        {
          path: ['expectedVersion'],
          message: 'the collection is not versioned (defineCollection({ version: true }))',
          code: 'version.notVersioned',
        },
      ],
      {
        code: 'version.notVersioned',
        engine: 'mongodb',
        target: ctx.definition.name,
      },
    );
  }
  return { _id, version: expectedVersion };
}

/** @internal Nothing matched an id (and version): tells a missing document from a lost optimistic lock. */
export async function explainMiss(
  ctx: RepoContext,
  _id: ObjectId | string,
  expectedVersion: number | undefined,
  options: CallOptions,
): Promise<never> {
  const context = { engine: 'mongodb' as const, target: ctx.definition.name };
  if (expectedVersion !== undefined) {
    const current = await runMongo(
      ctx,
      'findById',
      (signal) =>
        ctx.collection.findOne({ _id } as Document, {
          ...readOptions(ctx, signal, options),
          projection: { version: 1 },
        }),
      options,
    );
    if (current !== null) {
      const actual = typeof current.version === 'number' ? current.version : undefined;
      throw new VersionConflictError(
        `the document ${String(_id)} is at version ${String(actual)}, not ${expectedVersion}`,
        {
          ...context,
          expectedVersion,
          ...(actual === undefined ? {} : { actualVersion: actual }),
        },
      );
    }
  }
  // Client-facing (404): the id the caller gave, never the collection's physical name.
  throw new NotFoundError(`the document ${String(_id)} was not found`, context);
}

export async function prepareInsert(ctx: RepoContext, input: unknown): Promise<Document> {
  const def = ctx.definition;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError([{ path: [], message: 'a document must be an object' }], {
      code: 'document.invalid',
      engine: 'mongodb',
      target: def.name,
    });
  }
  const parsed = (await validate(def.schema, input, {
    engine: 'mongodb',
    operation: 'create',
    target: def.name,
  })) as Document;
  assertStorable(parsed, [], def.name);
  const givenId = (parsed._id ?? (input as Document)._id) as unknown;
  let _id: ObjectId | string;
  if (givenId !== undefined) _id = resolveId(ctx, givenId);
  else if (def.idType === 'objectId') _id = new ObjectId();
  else
    throw new ValidationError(
      [{ path: ['_id'], message: 'collections with string ids need an _id', code: 'id.required' }],
      { code: 'id.required', engine: 'mongodb', target: def.name },
    );
  const doc: Document = { _id, ...parsed };
  doc._id = _id;
  if (def.versioned) doc.version = 1;
  if (def.timestamps) {
    const now = new Date();
    doc.createdAt = now;
    doc.updatedAt = now;
  }
  if (def.schemaVersion !== undefined) doc.schemaVersion = def.schemaVersion;
  assertDocumentSize(doc, def.name, 'create');
  return doc;
}

// The probes only refine a conflict already known; they get the call's default deadline, never more.
function probeSignal(ctx: RepoContext): AbortSignal {
  return AbortSignal.timeout(ctx.connection.timeoutMs);
}

/**
 * @internal When the server's duplicate-key error names neither key pattern nor index (FerretDB, DocumentDB)
 * and several unique indexes are declared, asks which one holds the document's values.
 */
export async function refineConflict(ctx: RepoContext, err: unknown, doc: Document): Promise<unknown> {
  if (!(err instanceof ConflictError) || err.code !== 'conflict.duplicateKey') return err;
  const cause = err.cause as { keyPattern?: unknown; keyValue?: unknown; message?: unknown } | undefined;
  const vague =
    cause?.keyPattern === undefined &&
    cause?.keyValue === undefined &&
    !/index: \S+/.test(typeof cause?.message === 'string' ? cause.message : '');
  const candidates = [{ name: '_id_', fields: ['_id'] }, ...ctx.definition.uniqueIndexes];
  if (!vague || candidates.length <= 2) {
    // Only one declared unique index besides _id: it is the one, unless _id itself collided.
    if (vague && candidates.length === 2) {
      const sameId = await ctx.collection
        .findOne(
          { _id: doc._id as ObjectId },
          { projection: { _id: 1 }, signal: probeSignal(ctx), ...writeOptions(ctx) },
        )
        .catch(() => null);
      if (sameId !== null)
        return duplicateKeyError(cause, { operation: 'create', target: ctx.definition.name }, ['_id']);
    }
    return err;
  }
  const hits: string[] = [];
  for (const index of candidates) {
    const probe = Object.fromEntries(index.fields.map((f) => [f, { $eq: (doc[f] as unknown) ?? null }]));
    const found = await ctx.collection
      .findOne(probe, { projection: { _id: 1 }, signal: probeSignal(ctx), ...writeOptions(ctx) })
      .catch(() => null);
    if (found !== null) hits.push(...index.fields);
  }
  return hits.length > 0
    ? duplicateKeyError(cause, { operation: 'create', target: ctx.definition.name }, hits)
    : err;
}

/** @internal The full stored document with this id, or null; in the call's session. */
export function fetchStored(
  ctx: RepoContext,
  _id: ObjectId | string,
  options: CallOptions,
): Promise<Document | null> {
  return runMongo(
    ctx,
    'findById',
    (signal) => ctx.collection.findOne({ _id } as Document, readOptions(ctx, signal, options)),
    options,
  );
}

/**
 * @internal Writes the upgraded form of `stored` (a full document older than the current schema
 * version) as `$set` of its fields and `$unset` of those it dropped, only if the stored document is
 * still as read (fields added meanwhile by another writer are kept). True when it was
 * written; false when another write got there first (that write wins). UnsupportedError
 * (`unsupported.atomicUpdates`) where conditional writes are read-then-write on the server: there
 * the condition could not protect a concurrent write.
 */
export async function writeBackUpgrade(
  ctx: RepoContext,
  stored: Document,
  options: CallOptions,
  operation = 'update',
): Promise<boolean> {
  await requireAtomicUpdates(ctx, operation);
  const upgraded = upgradeDocument(ctx.definition, stored);
  assertStorable(upgraded, [], ctx.definition.name);
  assertDocumentSize(upgraded, ctx.definition.name, 'update');
  const filter = unchangedFilter(ctx.definition, stored);
  // `$set` / `$unset`, not a replacement: a field another writer added after the read is not in the
  // filter (on an unversioned collection), and a replacement would delete it.
  const update = replacementUpdate(stored, upgraded);
  // A resend after an unclear failure is harmless: the first send changed what the filter matches.
  const result = await runMongo(
    ctx,
    'updateIdempotent',
    () => ctx.collection.updateOne(filter, update, writeOptions(ctx)),
    options,
  );
  return result.matchedCount > 0;
}
