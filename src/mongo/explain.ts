// Explain summaries (index scan or collection scan, examined vs returned), assertIndexed, and the dev-time scan warning.
import { AssertionError } from 'node:assert';
import type { Collection, Document, Sort } from 'mongodb';
import type { Logger } from '../core/logger.js';
import { stableStringify } from '../core/stable-json.js';
import type { CallOptions } from '../core/internal.js';
import type { RepoContext } from './context.js';
import { guardFilter } from './injection-guard.js';
import { runMongo } from './operations.js';

/**
 * What a query plan does, in the terms that matter for performance.
 *
 * @example
 * ```ts
 * const plan: ExplainSummary = await posts.explain({ authorId }, { limit: 20 })
 * if (plan.collectionScan) console.log(plan.stages.join(' > '))
 * ```
 */
export interface ExplainSummary {
  /** The stage that reads data: `IXSCAN`, `COLLSCAN`, `IDHACK`, `EXPRESS_IXSCAN`, ... */
  stage: string;
  /** Every stage of the winning plan, outermost first. */
  stages: string[];
  usesIndex: boolean;
  collectionScan: boolean;
  /** A blocking in-memory SORT stage (the sort is not served by an index). */
  inMemorySort: boolean;
  indexName?: string;
  keysExamined?: number;
  docsExamined?: number;
  returned?: number;
  /** The server's explain output as it came. */
  raw: Document;
}

/** What to explain: a find with its sort, projection and limit. */
export interface ExplainQuery {
  filter: Document;
  sort?: Sort;
  projection?: Document;
  limit?: number;
}

const READ_STAGES = new Set([
  'IXSCAN',
  'COLLSCAN',
  'IDHACK',
  'EXPRESS_IXSCAN',
  'EXPRESS_CLUSTERED_IXSCAN',
  'EXPRESS_DELETE',
  'EXPRESS_UPDATE',
  'CLUSTERED_IXSCAN',
  'COUNT_SCAN',
  'DISTINCT_SCAN',
  'TEXT_MATCH',
  'GEO_NEAR_2DSPHERE',
]);

function collectStages(plan: unknown, out: { stages: string[]; indexName?: string }): void {
  if (typeof plan !== 'object' || plan === null) return;
  const node = plan as Document;
  if (typeof node.stage === 'string') out.stages.push(node.stage);
  if (typeof node.indexName === 'string' && out.indexName === undefined) out.indexName = node.indexName;
  for (const child of ['queryPlan', 'inputStage', 'innerStage', 'outerStage'])
    collectStages(node[child], out);
  for (const list of ['inputStages', 'shards']) {
    const value: unknown = node[list];
    if (Array.isArray(value)) for (const c of value) collectStages((c as Document).winningPlan ?? c, out);
  }
}

/**
 * Summarises a server's explain output. Understands MongoDB's classic and SBE plans (and sharded
 * ones) and FerretDB's SQLite plan.
 *
 * @example
 * ```ts
 * const summary = summarizeExplain(await col.find({ email }).explain('executionStats'))
 * summary.stage // 'IXSCAN'
 * ```
 */
export function summarizeExplain(raw: Document): ExplainSummary {
  const planner = (raw.queryPlanner ?? {}) as Document;
  const found: { stages: string[]; indexName?: string } = { stages: [] };
  collectStages(planner.winningPlan, found);
  if (found.stages.length === 0 && Array.isArray(planner.Plan)) {
    // FerretDB (SQLite backend): lines such as "SCAN users_5e7c" or "SEARCH t USING INDEX idx (...)".
    for (const line of planner.Plan as unknown[]) {
      const text = String(line);
      const index = /USING (?:COVERING )?INDEX (\S+)/.exec(text)?.[1];
      if (index !== undefined) {
        found.stages.push('IXSCAN');
        found.indexName ??= index;
      } else if (/USING (?:INTEGER )?PRIMARY KEY/.test(text)) found.stages.push('IDHACK');
      else if (/\bSCAN\b/.test(text)) found.stages.push('COLLSCAN');
    }
  }
  const stage = found.stages.find((s) => READ_STAGES.has(s)) ?? found.stages.at(-1) ?? 'UNKNOWN';
  const stats = raw.executionStats as Document | undefined;
  const summary: ExplainSummary = {
    stage,
    stages: found.stages,
    usesIndex:
      found.stages.some((s) => s !== 'COLLSCAN' && READ_STAGES.has(s)) && !found.stages.includes('COLLSCAN'),
    collectionScan: found.stages.includes('COLLSCAN'),
    inMemorySort: found.stages.includes('SORT'),
    raw,
  };
  if (found.indexName !== undefined) summary.indexName = found.indexName;
  if (typeof stats?.totalKeysExamined === 'number') summary.keysExamined = stats.totalKeysExamined;
  if (typeof stats?.totalDocsExamined === 'number') summary.docsExamined = stats.totalDocsExamined;
  if (typeof stats?.nReturned === 'number') summary.returned = stats.nReturned;
  return summary;
}

/**
 * Explains a find on `collection` with execution statistics and summarises the plan.
 *
 * @example
 * ```ts
 * const plan = await explainFind(db.collection('posts'), { filter: { authorId }, sort: { createdAt: -1 }, limit: 20 })
 * ```
 */
export async function explainFind(collection: Collection, query: ExplainQuery): Promise<ExplainSummary> {
  let cursor = collection.find(query.filter);
  if (query.sort !== undefined) cursor = cursor.sort(query.sort);
  if (query.projection !== undefined) cursor = cursor.project(query.projection);
  if (query.limit !== undefined) cursor = cursor.limit(query.limit);
  return summarizeExplain(await cursor.explain('executionStats'));
}

/**
 * Throws an AssertionError (for tests) unless the plan reads through an index without scanning the
 * collection and, when `maxExaminedPerReturned` is given, examines at most that many documents
 * per document returned.
 *
 * @example
 * ```ts
 * assertPlanIndexed(await posts.explain({ authorId }), { maxExaminedPerReturned: 1 })
 * ```
 */
export function assertPlanIndexed(
  summary: ExplainSummary,
  options: { maxExaminedPerReturned?: number | undefined; allowInMemorySort?: boolean | undefined } = {},
): void {
  if (!summary.usesIndex || summary.collectionScan) {
    throw new AssertionError({
      message: `expected an index scan, got ${summary.stages.join(' > ') || 'an unknown plan'}`,
      actual: summary.stage,
      expected: 'IXSCAN',
    });
  }
  if (summary.inMemorySort && options.allowInMemorySort !== true) {
    throw new AssertionError({
      message: `the sort is done in memory (${summary.stages.join(' > ')})`,
      actual: 'SORT',
      expected: 'an index-ordered plan',
    });
  }
  const max = options.maxExaminedPerReturned;
  if (max !== undefined && summary.docsExamined !== undefined && summary.returned !== undefined) {
    const allowed = Math.max(1, summary.returned) * max;
    if (summary.docsExamined > allowed) {
      throw new AssertionError({
        message: `examined ${summary.docsExamined} documents to return ${summary.returned}`,
        actual: summary.docsExamined,
        expected: allowed,
      });
    }
  }
}

/**
 * The shape of a query: field names and operators with every value replaced by its type, so
 * `{ age: { $gt: 30 } }` and `{ age: { $gt: 40 } }` share one shape.
 *
 * @example
 * ```ts
 * queryShape({ email: { $eq: 'a@b.c' } }, { createdAt: -1 }) // '{"filter":{"email":{"$eq":"string"}},"sort":{"createdAt":-1}}'
 * ```
 */
export function queryShape(filter: Document, sort?: Sort): string {
  return stableStringify({ filter: shapeOf(filter), sort: sort ?? null });
}

function shapeOf(value: unknown): unknown {
  if (Array.isArray(value))
    return value.length > 0 && value.every((v) => typeof v !== 'object' || v === null)
      ? ['scalar']
      : value.map(shapeOf);
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (value instanceof Date) return 'date';
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null)
    return (value as { _bsontype?: string })._bsontype ?? 'object';
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
}

/**
 * Watches repository queries in development: explains each new query shape once, in the
 * background, and logs a warning when it scans the whole collection or sorts in memory.
 *
 * @example
 * ```ts
 * const watcher = new ScanWatcher(logger)
 * watcher.observe(collection, { filter, sort })
 * ```
 */
export class ScanWatcher {
  private readonly seen = new Set<string>();
  private unsupported = false;

  constructor(private readonly logger: Logger) {}

  /** Explains `query` unless its shape was seen; resolves when the check is done (never rejects). */
  observe(collection: Collection, query: ExplainQuery): Promise<void> {
    if (this.unsupported) return Promise.resolve();
    const shape = queryShape(query.filter, query.sort);
    const key = `${collection.collectionName}:${shape}`;
    if (this.seen.has(key)) return Promise.resolve();
    this.seen.add(key);
    return explainFind(collection, query).then(
      (summary) => {
        if (summary.collectionScan || summary.inMemorySort) {
          this.logger.warn(
            {
              collection: collection.collectionName,
              shape,
              plan: summary.stages.join(' > '),
              docsExamined: summary.docsExamined,
            },
            summary.collectionScan
              ? 'dbkit: query scans the whole collection; declare an index for it'
              : 'dbkit: query sorts in memory; declare an index that matches the sort',
          );
        }
      },
      (err: unknown) => {
        this.unsupported = true;
        this.logger.debug(
          { collection: collection.collectionName, err },
          'dbkit: explain is unavailable; collection-scan warnings are off',
        );
      },
    );
  }
}

/**
 * @internal Hands a query a repository just ran to the connection's scan watcher, when warnings are
 * on and the query is not part of a transaction (explain cannot run inside one).
 *
 * @example
 * ```ts
 * watchScan(ctx, guarded, options.sort, limit)
 * ```
 */
export function watchScan(ctx: RepoContext, filter: Document, sort: unknown, limit: number): void {
  if (!ctx.connection.warnOnCollectionScan || ctx.session !== undefined) return;
  void ctx.watcher.observe(ctx.collection, {
    filter,
    ...(sort ? { sort: sort as Document } : {}),
    limit,
  });
}

/**
 * @internal The plan the server picks for a guarded find, run as the repository's `explain` operation.
 *
 * @example
 * ```ts
 * const summary = await explainFilter(ctx, { email }, { limit: 1 })
 * ```
 */
export function explainFilter(
  ctx: RepoContext,
  filter: unknown,
  options: { sort?: Readonly<Record<string, unknown>> | undefined; limit?: number | undefined } & CallOptions,
): Promise<ExplainSummary> {
  const guarded = guardFilter(filter, ctx.guard);
  return runMongo(
    ctx,
    'explain',
    () =>
      explainFind(ctx.collection, {
        filter: guarded,
        ...(options.sort ? { sort: options.sort as Document } : {}),
        ...(options.limit === undefined ? {} : { limit: options.limit }),
      }),
    options,
  );
}
