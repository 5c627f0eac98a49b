// Declared indexes: naming, comparison with what the server has, and syncIndexes with a drift report.
import type { Collection, Document, IndexDescription } from 'mongodb';
import { UnsupportedError } from '../core/errors.js';
import { stableStringify } from '../core/stable-json.js';
import { mapMongoError } from './errors.js';
import type { CallOptions } from '../core/internal.js';
import type { RepoContext } from './context.js';
import { runMongo } from './operations.js';

/**
 * One index as declared on a collection: single, compound, unique, TTL, partial, sparse or text.
 *
 * @example
 * ```ts
 * const indexes: IndexSpec[] = [
 *   { key: { email: 1 }, unique: true },
 *   { key: { status: 1, createdAt: -1 } },
 *   { key: { expiresAt: 1 }, expireAfterSeconds: 0 },
 *   { key: { authorId: 1, createdAt: -1 }, partialFilterExpression: { published: true } },
 *   { key: { title: 'text', content: 'text' }, weights: { title: 10, content: 1 } },
 * ]
 * ```
 */
export interface IndexSpec {
  key: Readonly<Record<string, 1 | -1 | 'text' | '2dsphere' | 'hashed'>>;
  /** Defaults to the server's naming (`status_1_createdAt_-1`). */
  name?: string;
  unique?: boolean;
  sparse?: boolean;
  /** TTL: documents expire this many seconds after the indexed Date. */
  expireAfterSeconds?: number;
  partialFilterExpression?: Document;
  /** Text indexes: relative weight per field. */
  weights?: Readonly<Record<string, number>>;
  /** Text indexes: stemming language. Default `english`. */
  defaultLanguage?: string;
}

/**
 * An index on the server that differs from its declaration.
 *
 * @example
 * ```ts
 * for (const { name, differences } of report.drifted) console.log(name, differences.join('; '))
 * ```
 */
export interface IndexDrift {
  name: string;
  /** Human-readable differences, e.g. `unique: declared true, server false`. */
  differences: string[];
}

/**
 * What {@link syncIndexes} did and found.
 *
 * @example
 * ```ts
 * const report: IndexSyncReport = await users.syncIndexes()
 * if (report.drifted.length > 0) logger.warn({ drifted: report.drifted }, 'index drift')
 * ```
 */
export interface IndexSyncReport {
  created: string[];
  unchanged: string[];
  /** Declared and present, but with other keys or options; left alone unless `recreateDrifted`. */
  drifted: IndexDrift[];
  /** On the server but not declared; left alone unless `dropUndeclared`. */
  undeclared: string[];
  dropped: string[];
  /** Declared indexes this deployment cannot build (e.g. TTL or text on FerretDB), with the reason. */
  unsupported: { name: string; reason: string }[];
}

/**
 * Options for {@link syncIndexes}.
 *
 * @example
 * ```ts
 * await users.syncIndexes({ recreateDrifted: true, onUnsupported: 'report' })
 * ```
 */
export interface SyncIndexesOptions {
  /** Drop indexes on the server that are not declared (never `_id_`). Default false. */
  dropUndeclared?: boolean | undefined;
  /** Drop and rebuild drifted indexes. Default false. */
  recreateDrifted?: boolean | undefined;
  /** `throw` (default) raises an UnsupportedError after building what it can; `report` only reports. */
  onUnsupported?: 'throw' | 'report' | undefined;
  /** Change nothing: `created` and `dropped` list what would be created and dropped. Default false. */
  dryRun?: boolean | undefined;
}

/**
 * The index's name: the declared one, or the server's default (`field_1_other_-1`).
 *
 * @example
 * ```ts
 * indexName({ key: { status: 1, createdAt: -1 } }) // 'status_1_createdAt_-1'
 * ```
 */
export function indexName(spec: IndexSpec): string {
  return (
    spec.name ??
    Object.entries(spec.key)
      .map(([field, dir]) => `${field}_${dir}`)
      .join('_')
  );
}

interface Comparable {
  key: string;
  unique: boolean;
  sparse: boolean;
  expireAfterSeconds: number | undefined;
  partialFilterExpression: string | undefined;
  weights: string | undefined;
}

function isText(key: Readonly<Record<string, unknown>>): boolean {
  return Object.values(key).includes('text') || '_fts' in key;
}

function declaredComparable(spec: IndexSpec): Comparable {
  const text = isText(spec.key);
  const weights = text
    ? Object.fromEntries(
        Object.entries(spec.key)
          .filter(([, v]) => v === 'text')
          .map(([f]) => [f, spec.weights?.[f] ?? 1]),
      )
    : undefined;
  return {
    key: text
      ? stableStringify({
          text: Object.keys(weights ?? {}).sort(),
          rest: Object.entries(spec.key).filter(([, v]) => v !== 'text'),
        })
      : stableStringify(Object.entries(spec.key)),
    unique: spec.unique ?? false,
    sparse: spec.sparse ?? false,
    expireAfterSeconds: spec.expireAfterSeconds,
    partialFilterExpression:
      spec.partialFilterExpression === undefined ? undefined : stableStringify(spec.partialFilterExpression),
    weights: weights === undefined ? undefined : stableStringify(weights),
  };
}

function serverComparable(index: Document): Comparable {
  const key = (index.key ?? {}) as Record<string, unknown>;
  const text = isText(key);
  const weights = text ? ((index.weights ?? {}) as Record<string, number>) : undefined;
  const rest = Object.entries(key).filter(([f, v]) => v !== 'text' && f !== '_fts' && f !== '_ftsx');
  return {
    key: text
      ? stableStringify({ text: Object.keys(weights ?? {}).sort(), rest })
      : stableStringify(Object.entries(key)),
    unique: index.unique === true,
    sparse: index.sparse === true,
    expireAfterSeconds: typeof index.expireAfterSeconds === 'number' ? index.expireAfterSeconds : undefined,
    partialFilterExpression:
      index.partialFilterExpression === undefined
        ? undefined
        : stableStringify(index.partialFilterExpression),
    weights: weights === undefined ? undefined : stableStringify(weights),
  };
}

/**
 * The differences between a declared index and the one on the server, empty when they match.
 *
 * @example
 * ```ts
 * indexDifferences({ key: { email: 1 }, unique: true }, { key: { email: 1 }, name: 'email_1' })
 * // ['unique: declared true, server false']
 * ```
 */
export function indexDifferences(declared: IndexSpec, server: Document): string[] {
  const a = declaredComparable(declared);
  const b = serverComparable(server);
  const out: string[] = [];
  for (const field of Object.keys(a) as (keyof Comparable)[]) {
    if (a[field] !== b[field]) out.push(`${field}: declared ${String(a[field])}, server ${String(b[field])}`);
  }
  return out;
}

// One index description for createIndexes, which mongodb 6 and 7 both take as it is (7 deprecates
// createIndex's two-argument form, which 6 is limited to).
function indexDescription(spec: IndexSpec): IndexDescription {
  return {
    key: spec.key,
    name: indexName(spec),
    ...(spec.unique === undefined ? {} : { unique: spec.unique }),
    ...(spec.sparse === undefined ? {} : { sparse: spec.sparse }),
    ...(spec.expireAfterSeconds === undefined ? {} : { expireAfterSeconds: spec.expireAfterSeconds }),
    ...(spec.partialFilterExpression === undefined
      ? {}
      : { partialFilterExpression: spec.partialFilterExpression }),
    ...(spec.weights === undefined ? {} : { weights: { ...spec.weights } }),
    ...(spec.defaultLanguage === undefined ? {} : { default_language: spec.defaultLanguage }),
  };
}

async function listIndexes(collection: Collection): Promise<Document[]> {
  try {
    return (await collection.listIndexes().toArray()) as Document[];
  } catch (err) {
    // A collection that does not exist yet has no indexes (NamespaceNotFound).
    if ((err as { code?: unknown }).code === 26) return [];
    throw err;
  }
}

function unsupportedReason(err: unknown, spec: IndexSpec): string | undefined {
  const mapped = mapMongoError(err, { operation: 'createIndex' });
  if (mapped instanceof UnsupportedError) return mapped.message;
  // FerretDB answers a text index with IndexNotFound.
  if ((err as { code?: unknown }).code === 27 && isText(spec.key))
    return 'text indexes are not supported by this deployment';
  return undefined;
}

/**
 * Brings a collection's indexes in line with its declaration: creates what is missing (idempotent),
 * reports drift and undeclared indexes, and drops nothing unless told to.
 *
 * @example
 * ```ts
 * const report = await syncIndexes(db.collection('users'), Users.indexes)
 * if (report.drifted.length) logger.warn({ drifted: report.drifted }, 'index drift')
 * ```
 */
export async function syncIndexes(
  collection: Collection,
  declared: readonly IndexSpec[],
  options: SyncIndexesOptions = {},
): Promise<IndexSyncReport> {
  const report: IndexSyncReport = {
    created: [],
    unchanged: [],
    drifted: [],
    undeclared: [],
    dropped: [],
    unsupported: [],
  };
  const existing = await listIndexes(collection);
  const claimed = new Set<string>(['_id_']);
  for (const spec of declared) {
    const name = indexName(spec);
    const wanted = declaredComparable(spec);
    const onServer =
      existing.find((i) => i.name === name) ??
      existing.find((i) => serverComparable(i).key === wanted.key && !claimed.has(String(i.name)));
    if (onServer) {
      claimed.add(String(onServer.name));
      const differences = indexDifferences(spec, onServer);
      if (onServer.name !== name)
        differences.unshift(`name: declared ${name}, server ${String(onServer.name)}`);
      if (differences.length === 0) {
        report.unchanged.push(name);
        continue;
      }
      if (!options.recreateDrifted) {
        report.drifted.push({ name, differences });
        continue;
      }
      if (!options.dryRun) await collection.dropIndex(String(onServer.name));
      report.dropped.push(String(onServer.name));
    }
    if (options.dryRun) {
      report.created.push(name);
      continue;
    }
    try {
      await collection.createIndexes([indexDescription(spec)]);
      report.created.push(name);
    } catch (err) {
      const reason = unsupportedReason(err, spec);
      // Refined once, by the executor's mapError, as every failure of the operation is.
      if (reason === undefined) throw err;
      report.unsupported.push({ name, reason });
    }
  }
  for (const index of existing) {
    const name = String(index.name);
    if (claimed.has(name)) continue;
    if (options.dropUndeclared) {
      if (!options.dryRun) await collection.dropIndex(name);
      report.dropped.push(name);
    } else {
      report.undeclared.push(name);
    }
  }
  if (report.unsupported.length > 0 && options.onUnsupported !== 'report') {
    throw new UnsupportedError(
      `${collection.collectionName}: this deployment cannot build ${report.unsupported.map((u) => u.name).join(', ')} (${report.unsupported[0]?.reason ?? ''})`,
      {
        engine: 'mongodb',
        operation: 'syncIndexes',
        target: collection.collectionName,
        feature: 'indexes',
        code: 'unsupported.index',
      },
    );
  }
  return report;
}

/**
 * @internal Syncs the collection's declared indexes as the repository's `syncIndexes` operation.
 *
 * @example
 * ```ts
 * const report = await syncCollectionIndexes(ctx, { dropUndeclared: false })
 * ```
 */
export function syncCollectionIndexes(
  ctx: RepoContext,
  options: SyncIndexesOptions & CallOptions,
): Promise<IndexSyncReport> {
  return runMongo(
    ctx,
    'syncIndexes',
    () => syncIndexes(ctx.collection, ctx.definition.indexes, options),
    options,
  );
}
