// MongoRepository: typed CRUD, optimistic locking, keyset pages, bulk writes and aggregation over one collection.
import type { ClientSession, Document, ObjectId } from 'mongodb';
import { ValidationError } from '../core/errors.js';
import type { Page, Repository } from '../core/repository.js';
import { pageSize } from '../core/repository.js';
import { guardPipeline } from './aggregate.js';
import { requireAtomicUpdates } from './atomicity.js';
import type { PipelineStage } from './aggregate.js';
import { bulkPreparer, runBulkWrite } from './bulk-write.js';
import type { BulkOperation, BulkWriteOptions, BulkWriteReport } from './bulk-write.js';
import type { CollectionDefinition, CreateInput, OutputDocument, StoredDocument } from './collection.js';
import type { MongoConnection } from './connect.js';
import { createContext, readOptions, run, toOutput, writeOptions } from './context.js';
import type { CallOptions, RepoContext } from './context.js';
import { explainMiss, prepareInsert, refineConflict, resolveId, versionedFilter } from './documents.js';
import { assertPlanIndexed, explainFind } from './explain.js';
import type { ExplainSummary } from './explain.js';
import { syncIndexes } from './indexes.js';
import type { IndexSyncReport, SyncIndexesOptions } from './indexes.js';
import { guardFilter } from './injection-guard.js';
import type { Trusted } from './operators.js';
import type {
  FilterInput,
  FindOptions,
  ManyOptions,
  PageOptions,
  Selected,
  SortSpec,
  UpdateOptions,
  WriteOptions,
} from './repository-types.js';
import { decodePosition, encodePosition, keysetSort, pageBinding, pageQuery } from './pagination.js';
import { assertDocumentSize, buildUpdate } from './update-builder.js';
import type { UpdateContext, UpdateSpec } from './update-builder.js';

const DEFAULT_FIND_LIMIT = 1000;

/**
 * A repository over one collection. Results are plain objects typed from the schema. Implements
 * core's `Repository` (create / get / update / delete / list) with MongoDB's own operations beside it.
 *
 * @example
 * ```ts
 * const users = mongoRepository(mongo, Users)
 * const ada = await users.create({ email: 'ada@example.com', name: 'Ada' })
 * const page = await users.paginate({ role: 'admin' }, { sort: { createdAt: -1 }, limit: 20 })
 * ```
 */
export class MongoRepository<C extends CollectionDefinition> implements Repository<
  OutputDocument<C>,
  ObjectId | string,
  CreateInput<C>,
  UpdateSpec<StoredDocument<C>>,
  FilterInput<C>
> {
  /** @internal */
  readonly ctx: RepoContext;
  private readonly updateCtx: UpdateContext;

  /** @internal Use {@link mongoRepository}. */
  constructor(ctx: RepoContext) {
    this.ctx = ctx;
    const def = ctx.definition;
    this.updateCtx = {
      target: def.name,
      ...(def.versioned ? { versionField: 'version' } : {}),
      timestamps: def.timestamps,
      protectedFields: new Set([
        '_id',
        ...(def.versioned ? ['version'] : []),
        ...(def.timestamps ? ['createdAt', 'updatedAt'] : []),
      ]),
      paths: def.paths,
      guard: ctx.guard,
    };
  }

  /** The collection's name. */
  get name(): string {
    return this.ctx.definition.name;
  }

  /** The driver's collection, for anything dbkit does not wrap (no guard, no events). */
  get collection(): RepoContext['collection'] {
    return this.ctx.collection;
  }

  /** @internal A view of this repository bound to a transaction's session. */
  withSession(session: ClientSession, assertUsable: () => void): MongoRepository<C> {
    return new MongoRepository<C>({ ...this.ctx, session, assertUsable });
  }

  /** Validates `input` with the schema, stamps system fields and inserts it; a duplicate key is a ConflictError naming the fields. */
  async create(input: CreateInput<C>, options: CallOptions = {}): Promise<OutputDocument<C>> {
    const doc = await prepareInsert(this.ctx, input);
    try {
      await run(
        this.ctx,
        'create',
        'write',
        false,
        () => this.ctx.collection.insertOne(doc, writeOptions(this.ctx)),
        options,
      );
    } catch (err) {
      throw await refineConflict(this.ctx, err, doc);
    }
    return toOutput(this.ctx, doc) as OutputDocument<C>;
  }

  /** The document with this id, or null; a malformed id is a ValidationError. */
  async findById<K extends string = never>(
    id: ObjectId | string,
    options: FindOptions<C, K> = {},
  ): Promise<Selected<C, K> | null> {
    return this.findOneRaw({ _id: resolveId(this.ctx, id) }, options, 'findById');
  }

  /** Core contract alias of {@link findById}. */
  async get(id: ObjectId | string): Promise<OutputDocument<C> | null> {
    return this.findById(id);
  }

  /** The first document matching `filter` (in `sort` order), or null. */
  async findOne<K extends string = never>(
    filter: FilterInput<C>,
    options: FindOptions<C, K> = {},
  ): Promise<Selected<C, K> | null> {
    return this.findOneRaw(this.guard(filter), options, 'findOne');
  }

  /** Documents matching `filter`, at most `limit` (default 1000). Use `paginate` for lists shown to users. */
  async findMany<K extends string = never>(
    filter: FilterInput<C>,
    options: FindOptions<C, K> = {},
  ): Promise<Selected<C, K>[]> {
    const guarded = this.guard(filter);
    const limit = options.limit ?? DEFAULT_FIND_LIMIT;
    const docs = await run(
      this.ctx,
      'findMany',
      'read',
      true,
      (signal) =>
        this.ctx.collection
          .find(guarded, { ...readOptions(this.ctx, signal, options), ...this.findShape(options), limit })
          .toArray(),
      options,
      (r) => ({ count: r.length }),
    );
    this.watch(guarded, options.sort, limit);
    return docs.map((d) => toOutput(this.ctx, d)) as Selected<C, K>[];
  }

  /** Whether any document matches. */
  async exists(filter: FilterInput<C>, options: CallOptions = {}): Promise<boolean> {
    const guarded = this.guard(filter);
    const found = await run(
      this.ctx,
      'exists',
      'read',
      true,
      (signal) =>
        this.ctx.collection.findOne(guarded, {
          ...readOptions(this.ctx, signal, options),
          projection: { _id: 1 },
        }),
      options,
    );
    this.watch(guarded, undefined, 1);
    return found !== null;
  }

  /** The exact number of matching documents. */
  async count(filter: FilterInput<C>, options: CallOptions = {}): Promise<number> {
    const guarded = this.guard(filter);
    return run(
      this.ctx,
      'count',
      'read',
      true,
      (signal) => this.ctx.collection.countDocuments(guarded, readOptions(this.ctx, signal, options)),
      options,
    );
  }

  /** The collection's document count from metadata: fast, approximate after unclean shutdowns. */
  async estimatedCount(options: CallOptions = {}): Promise<number> {
    return run(
      this.ctx,
      'estimatedCount',
      'read',
      true,
      () =>
        this.ctx.collection.estimatedDocumentCount(
          options.timeoutMs === undefined ? {} : { maxTimeMS: options.timeoutMs },
        ),
      options,
    );
  }

  /** Applies a typed update to one document; NotFoundError, or VersionConflictError when `expectedVersion` lost. */
  update(
    id: ObjectId | string,
    update: UpdateSpec<StoredDocument<C>>,
    options: UpdateOptions & { returnDocument: false },
  ): Promise<void>;
  update(
    id: ObjectId | string,
    update: UpdateSpec<StoredDocument<C>>,
    options?: UpdateOptions,
  ): Promise<OutputDocument<C>>;
  async update(
    id: ObjectId | string,
    update: UpdateSpec<StoredDocument<C>>,
    options: UpdateOptions = {},
  ): Promise<OutputDocument<C> | void> {
    const _id = resolveId(this.ctx, id);
    const built = buildUpdate(update, this.updateCtx);
    assertDocumentSize(built.update, this.name, 'update');
    if (options.expectedVersion !== undefined) await requireAtomicUpdates(this.ctx, 'update');
    const filter = versionedFilter(this.ctx, _id, options.expectedVersion);
    if (options.returnDocument === false) {
      const result = await run(
        this.ctx,
        'update',
        'write',
        built.idempotent,
        () => this.ctx.collection.updateOne(filter, built.update, writeOptions(this.ctx)),
        options,
      );
      if (result.matchedCount === 0) return explainMiss(this.ctx, _id, options.expectedVersion, options);
      return undefined;
    }
    const doc = await run(
      this.ctx,
      'update',
      'write',
      built.idempotent,
      () =>
        this.ctx.collection.findOneAndUpdate(filter, built.update, {
          returnDocument: 'after',
          ...writeOptions(this.ctx),
        }),
      options,
    );
    if (doc === null) return explainMiss(this.ctx, _id, options.expectedVersion, options);
    return toOutput(this.ctx, doc) as OutputDocument<C>;
  }

  /** Applies a typed update to every matching document; refuses an empty filter unless allowed. */
  async updateMany(
    filter: FilterInput<C>,
    update: UpdateSpec<StoredDocument<C>>,
    options: ManyOptions = {},
  ): Promise<{ matchedCount: number; modifiedCount: number }> {
    const guarded = this.guardMany(filter, options, 'updateMany');
    const built = buildUpdate(update, this.updateCtx);
    // Never resent: even a `$set` of fixed values, sent again after it was applied, would report
    // modifiedCount 0 (and matchedCount 0 when the filter tests a field it sets).
    const result = await run(
      this.ctx,
      'updateMany',
      'write',
      false,
      () => this.ctx.collection.updateMany(guarded, built.update, writeOptions(this.ctx)),
      options,
      (r) => ({ count: r.modifiedCount }),
    );
    return { matchedCount: result.matchedCount, modifiedCount: result.modifiedCount };
  }

  /** Deletes one document by id; NotFoundError, or VersionConflictError when `expectedVersion` lost. */
  async delete(id: ObjectId | string, options: WriteOptions = {}): Promise<void> {
    const _id = resolveId(this.ctx, id);
    if (options.expectedVersion !== undefined) await requireAtomicUpdates(this.ctx, 'delete');
    const filter = versionedFilter(this.ctx, _id, options.expectedVersion);
    // Not idempotent as reported: resent after the first send deleted the document, it would find
    // nothing and answer NotFoundError for a delete that succeeded. A lost answer is OutcomeUnknownError.
    const result = await run(
      this.ctx,
      'delete',
      'write',
      false,
      () => this.ctx.collection.deleteOne(filter, writeOptions(this.ctx)),
      options,
    );
    if (result.deletedCount === 0) await explainMiss(this.ctx, _id, options.expectedVersion, options);
  }

  /** Deletes every matching document and returns how many; an empty filter is refused unless `allowEmptyFilter`. */
  async deleteMany(filter: FilterInput<C>, options: ManyOptions = {}): Promise<number> {
    const guarded = this.guardMany(filter, options, 'deleteMany');
    // Resent after it was applied it would count 0 deleted: never resent on an unclear failure.
    const result = await run(
      this.ctx,
      'deleteMany',
      'write',
      false,
      () => this.ctx.collection.deleteMany(guarded, writeOptions(this.ctx)),
      options,
      (r) => ({
        count: r.deletedCount,
      }),
    );
    return result.deletedCount;
  }

  /** One page in keyset order with a signed cursor for the next; page 1,000 costs what page 1 costs. */
  async paginate<K extends string = never>(
    filter: FilterInput<C>,
    options: PageOptions<C, K> = {},
  ): Promise<Page<Selected<C, K>>> {
    const guarded = this.guard(filter);
    const sort = keysetSort(options.sort);
    const binding = pageBinding(this.name, guarded, sort);
    const codec = this.ctx.connection.cursors();
    const position = options.cursor
      ? decodePosition(codec.decode(options.cursor, binding), sort.length)
      : undefined;
    const size = pageSize(options.limit);
    const query = pageQuery(guarded, sort, position, size);
    const projection = this.projection(
      options.select,
      sort.map(([f]) => f),
    );
    const docs = await run(
      this.ctx,
      'paginate',
      'read',
      true,
      (signal) =>
        this.ctx.collection
          .find(query.filter, {
            ...readOptions(this.ctx, signal, options),
            sort: query.sort,
            limit: query.limit,
            ...(projection ? { projection } : {}),
          })
          .toArray(),
      options,
      (r) => ({ count: Math.min(r.length, size) }),
    );
    const items = docs.slice(0, size);
    const last = items.at(-1);
    this.watch(guarded, query.sort, query.limit);
    return {
      items: items.map((d) => toOutput(this.ctx, d)) as Selected<C, K>[],
      cursor:
        docs.length > size && last !== undefined ? codec.encode(encodePosition(last, sort), binding) : null,
    };
  }

  /** Core contract alias of {@link paginate}. */
  async list(
    query: FilterInput<C>,
    options: { limit?: number; cursor?: string | null } = {},
  ): Promise<Page<OutputDocument<C>>> {
    return this.paginate(query, options);
  }

  /** Runs operations in unordered batches (default 500) and reports, per operation, what failed and why. */
  async bulkWrite(
    operations: readonly BulkOperation<StoredDocument<C>, CreateInput<C>>[],
    options: BulkWriteOptions = {},
  ): Promise<BulkWriteReport> {
    return runBulkWrite(
      this.ctx,
      operations,
      bulkPreparer(this.ctx, (doc) => prepareInsert(this.ctx, doc)),
      options,
    );
  }

  /** Runs a pipeline; `$match` stages are guarded, JavaScript operators refused; results typed as `R`. */
  async aggregate<R extends Document = Document>(
    pipeline: readonly PipelineStage[] | Trusted<Document[]>,
    options: CallOptions & { allowDiskUse?: boolean } = {},
  ): Promise<R[]> {
    const stages = guardPipeline(pipeline, this.ctx.guard);
    return run(
      this.ctx,
      'aggregate',
      'read',
      true,
      (signal) =>
        this.ctx.collection
          .aggregate<R>(stages, {
            ...readOptions(this.ctx, signal, options),
            ...(options.allowDiskUse === undefined ? {} : { allowDiskUse: options.allowDiskUse }),
          })
          .toArray(),
      options,
      (r) => ({ count: r.length }),
    );
  }

  /** The plan the server picks for a find: index or collection scan, examined vs returned. */
  async explain(
    filter: FilterInput<C>,
    options: { sort?: SortSpec<C>; limit?: number } & CallOptions = {},
  ): Promise<ExplainSummary> {
    const guarded = this.guard(filter);
    return run(
      this.ctx,
      'explain',
      'read',
      true,
      () =>
        explainFind(this.ctx.collection, {
          filter: guarded,
          ...(options.sort ? { sort: options.sort as Document } : {}),
          ...(options.limit === undefined ? {} : { limit: options.limit }),
        }),
      options,
    );
  }

  /** For tests: throws an AssertionError unless the find is served by an index. */
  async assertIndexed(
    filter: FilterInput<C>,
    options: {
      sort?: SortSpec<C>;
      limit?: number;
      maxExaminedPerReturned?: number;
      allowInMemorySort?: boolean;
    } = {},
  ): Promise<ExplainSummary> {
    const summary = await this.explain(filter, options);
    assertPlanIndexed(summary, options);
    return summary;
  }

  /** Creates missing declared indexes and reports drift; drops nothing unless told to. */
  async syncIndexes(options: SyncIndexesOptions & CallOptions = {}): Promise<IndexSyncReport> {
    return run(
      this.ctx,
      'syncIndexes',
      'write',
      true,
      () => syncIndexes(this.ctx.collection, this.ctx.definition.indexes, options),
      options,
    );
  }

  private async findOneRaw<K extends string>(
    filter: Document,
    options: FindOptions<C, K>,
    operation: string,
  ): Promise<Selected<C, K> | null> {
    const doc = await run(
      this.ctx,
      operation,
      'read',
      true,
      (signal) =>
        this.ctx.collection.findOne(filter, {
          ...readOptions(this.ctx, signal, options),
          ...this.findShape(options),
        }),
      options,
    );
    if (operation !== 'findById') this.watch(filter, options.sort, 1);
    return doc === null ? null : (toOutput(this.ctx, doc) as Selected<C, K>);
  }

  private findShape(options: { select?: readonly string[]; sort?: SortSpec<C> }): {
    projection?: Document;
    sort?: Document;
  } {
    const projection = this.projection(options.select, []);
    return { ...(projection ? { projection } : {}), ...(options.sort ? { sort: options.sort } : {}) };
  }

  private projection(
    select: readonly string[] | undefined,
    alsoNeeded: readonly string[],
  ): Document | undefined {
    if (select === undefined || select.length === 0) return undefined;
    const fields = [
      ...select.map((f) => (f === 'id' && this.ctx.definition.mapId ? '_id' : f)),
      ...alsoNeeded,
    ];
    return Object.fromEntries(fields.map((f) => [f, 1]));
  }

  private guard(filter: unknown): Document {
    return guardFilter(filter, this.ctx.guard);
  }

  private guardMany(filter: unknown, options: ManyOptions, operation: string): Document {
    const guarded = this.guard(filter);
    if (Object.keys(guarded).length === 0 && options.allowEmptyFilter !== true) {
      throw new ValidationError(
        [
          {
            path: ['filter'],
            message: `${operation} with an empty filter would touch every document; pass allowEmptyFilter: true`,
            code: 'filter.empty',
          },
        ],
        {
          code: 'filter.empty',
          engine: 'mongodb',
          operation,
          target: this.name,
        },
      );
    }
    return guarded;
  }

  private watch(filter: Document, sort: unknown, limit: number): void {
    if (!this.ctx.connection.warnOnCollectionScan || this.ctx.session !== undefined) return;
    void this.ctx.watcher.observe(this.ctx.collection, {
      filter,
      ...(sort ? { sort: sort as Document } : {}),
      limit,
    });
  }
}

/**
 * A repository for `definition` on `connection`.
 *
 * @example
 * ```ts
 * const mongo = await connectMongo({ uri: process.env.MONGODB_URI! })
 * const users = mongoRepository(mongo, Users)
 * await users.syncIndexes()
 * ```
 */
export function mongoRepository<C extends CollectionDefinition>(
  connection: MongoConnection,
  definition: C,
): MongoRepository<C> {
  return new MongoRepository<C>(createContext(connection, definition));
}
