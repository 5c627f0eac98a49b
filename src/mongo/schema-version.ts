// Lazy schema migration, the pure part: which stored documents are older, how one is upgraded, the filters that find them.
import type { Document } from 'mongodb';
import type { CollectionDefinition } from './collection.js';

/** @internal The field every whole-document write stamps with the collection's current schema version. */
export const SCHEMA_VERSION_FIELD = 'schemaVersion';

type Versions = Pick<CollectionDefinition, 'schemaVersion' | 'upgrade' | 'versioned'>;

/**
 * @internal The version a stored document is at: its `schemaVersion`, or 0 when it has none (written
 * before the collection declared one).
 *
 * @example
 * ```ts
 * storedSchemaVersion({ _id, name: 'Ada' }) // 0
 * ```
 */
export function storedSchemaVersion(doc: Document): number {
  const stored: unknown = doc[SCHEMA_VERSION_FIELD];
  return typeof stored === 'number' ? stored : 0;
}

/**
 * @internal Whether `doc` (a FULL stored document) is older than the collection's current `schemaVersion`.
 * False for every document of a collection that declares no `schemaVersion`.
 *
 * @example
 * ```ts
 * needsUpgrade(People, { _id, name: 'Grace Hopper', schemaVersion: 1 }) // true when People is at 2
 * ```
 */
export function needsUpgrade(definition: Versions, doc: Document): boolean {
  return definition.schemaVersion !== undefined && storedSchemaVersion(doc) < definition.schemaVersion;
}

/**
 * @internal The current-version form of a FULL stored document: `upgrade` is given the stored
 * document (with `_id`, never the mapped `id`), then `_id` is kept and `schemaVersion` is stamped
 * after it, whatever `upgrade` returned. A current document is returned as is and `upgrade` does not run.
 *
 * @example
 * ```ts
 * const current = upgradeDocument(People, stored) // { _id, firstName, lastName, schemaVersion: 2 }
 * ```
 */
export function upgradeDocument(definition: Versions, doc: Document): Document {
  const current = definition.schemaVersion;
  if (current === undefined || !needsUpgrade(definition, doc)) return doc;
  const upgraded = definition.upgrade === undefined ? { ...doc } : definition.upgrade({ ...doc });
  const { _id: _ignored, [SCHEMA_VERSION_FIELD]: _old, ...rest } = upgraded;
  return { _id: doc._id as unknown, ...rest, [SCHEMA_VERSION_FIELD]: current };
}

/**
 * @internal The filter matching documents older than the current version (lower or no `schemaVersion`):
 * what the batch migration walks, and what a multi-document update must not touch.
 *
 * @example
 * ```ts
 * olderThanCurrentFilter(People) // { $or: [{ schemaVersion: { $lt: 2 } }, { schemaVersion: { $exists: false } }] }
 * ```
 */
export function olderThanCurrentFilter(definition: Versions): Document {
  const current = definition.schemaVersion;
  if (current === undefined) throw new Error('the collection declares no schemaVersion');
  return {
    $or: [{ [SCHEMA_VERSION_FIELD]: { $lt: current } }, { [SCHEMA_VERSION_FIELD]: { $exists: false } }],
  };
}

/**
 * @internal A partial update pinned to the current schema version: the filter matches only a
 * document at the current `schemaVersion` (as a top-level equality, so an upsert's inserted document
 * carries it on every server) and the update sets it, so a partial update never lands on an older
 * document, whose other fields would then mix versions. Unchanged when the collection has no version.
 *
 * @example
 * ```ts
 * pinToCurrentVersion(People, { _id }, { $set: { city: 'Oslo' } })
 * // { filter: { _id, schemaVersion: 2 }, update: { $set: { city: 'Oslo', schemaVersion: 2 } } }
 * ```
 */
export function pinToCurrentVersion(
  definition: Versions,
  filter: Document,
  update: Document,
): { filter: Document; update: Document } {
  const current = definition.schemaVersion;
  if (current === undefined) return { filter, update };
  const set = (update.$set ?? {}) as Document;
  return {
    filter:
      SCHEMA_VERSION_FIELD in filter
        ? { $and: [filter, { [SCHEMA_VERSION_FIELD]: current }] }
        : { ...filter, [SCHEMA_VERSION_FIELD]: current },
    update: { ...update, $set: { ...set, [SCHEMA_VERSION_FIELD]: current } },
  };
}

/**
 * @internal The filter of a conditional write-back: it matches only while the stored document is
 * still exactly `stored` (same `_id` and same schema version; the same optimistic `version` on
 * versioned collections, otherwise the same value of every top-level field), so an upgrade never
 * overwrites a write that happened since `stored` was read.
 *
 * @example
 * ```ts
 * await collection.replaceOne(unchangedFilter(People, stored), upgradeDocument(People, stored))
 * ```
 */
export function unchangedFilter(definition: Versions, stored: Document): Document {
  const version: unknown = stored[SCHEMA_VERSION_FIELD];
  const filter: Document = {
    _id: stored._id as unknown,
    [SCHEMA_VERSION_FIELD]: typeof version === 'number' ? version : { $exists: false },
  };
  if (definition.versioned && typeof stored.version === 'number') {
    filter.version = stored.version;
    return filter;
  }
  for (const [field, value] of Object.entries(stored)) {
    if (field === '_id' || field === SCHEMA_VERSION_FIELD) continue;
    filter[field] = { $eq: value as unknown };
  }
  return filter;
}

/**
 * @internal A whole-document replacement of `stored` as an update: `$set` of its fields and `$unset`
 * of the fields it dropped. Unlike `replaceOne`, it keeps a field another writer added after the
 * read (which {@link unchangedFilter} cannot see), instead of deleting it.
 *
 * @example
 * ```ts
 * await collection.updateOne(unchangedFilter(People, stored), replacementUpdate(stored, upgradeDocument(People, stored)))
 * ```
 */
export function replacementUpdate(stored: Document, replacement: Document): Document {
  const { _id: _ignored, ...fields } = replacement;
  const dropped = Object.keys(stored).filter((k) => k !== '_id' && !(k in fields));
  const update: Document = {};
  if (Object.keys(fields).length > 0) update.$set = fields;
  if (dropped.length > 0) update.$unset = Object.fromEntries(dropped.map((k) => [k, '']));
  // A replacement by nothing but `_id` of a document that has nothing else: set `_id` to itself.
  return Object.keys(update).length > 0 ? update : { $set: { _id: stored._id as unknown } };
}

/**
 * @internal The top-level and dotted fields of `projection` (inclusion only) picked from a full
 * document, as the server would have returned them. `_id` is kept unless excluded.
 *
 * @example
 * ```ts
 * projectDocument({ _id, a: 1, b: { c: 2, d: 3 } }, { 'b.c': 1 }) // { _id, b: { c: 2 } }
 * ```
 */
export function projectDocument(doc: Document, projection: Document): Document {
  const out: Document = {};
  if (projection._id !== 0 && projection._id !== false && '_id' in doc) out._id = doc._id as unknown;
  for (const [path, include] of Object.entries(projection)) {
    if (path === '_id' || include === 0 || include === false) continue;
    pick(doc, out, path.split('.'));
  }
  return out;
}

function isPlainObject(value: unknown): value is Document {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function pick(from: Document, into: Document, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !(head in from)) return;
  const value: unknown = from[head];
  if (rest.length === 0) {
    into[head] = value;
    return;
  }
  if (Array.isArray(value)) {
    // Like the server: a dotted path into an array projects every element that is a document.
    const previous: unknown = into[head];
    const existing: unknown[] = Array.isArray(previous) ? previous : [];
    into[head] = value
      .map((element: unknown, i) => {
        if (!isPlainObject(element)) return undefined;
        const target = isPlainObject(existing[i]) ? existing[i] : {};
        pick(element, target, rest);
        return target;
      })
      .filter((e) => e !== undefined);
    return;
  }
  if (!isPlainObject(value)) return;
  const previous: unknown = into[head];
  const target = isPlainObject(previous) ? previous : {};
  pick(value, target, rest);
  into[head] = target;
}
