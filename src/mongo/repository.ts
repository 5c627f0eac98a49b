// MongoRepository: the typed facade over one collection; CRUD, pages, bulk writes, aggregation, explain and indexes live in their own files.
import type { ClientSession, Document, ObjectId } from 'mongodb';
import type { CallOptions, Page, Repository } from '../core/internal.js';
import { runAggregate } from './aggregate.js';
import type { AggregateOptions, PipelineStage } from './aggregate.js';
import { bulkPreparer, runBulkWrite } from './bulk-write.js';
import type { BulkOperation, BulkWriteOptions, BulkWriteReport } from './bulk-write.js';
import type { CollectionDefinition, CreateInput, OutputDocument, StoredDocument } from './collection.js';
import type { MongoConnection } from './client-options.js';
import { createContext } from './context.js';
import type { RepoContext } from './context.js';
import { prepareInsert } from './documents.js';
import { assertPlanIndexed, explainFilter } from './explain.js';
import type { ExplainSummary } from './explain.js';
import { syncCollectionIndexes } from './indexes.js';
import type { IndexSyncReport, SyncIndexesOptions } from './indexes.js';
import type { Trusted } from './operators.js';
import { paginateDocuments } from './pagination.js';
import { count, estimatedCount, exists, findById, findMany, findOne } from './reads.js';
import type {
  ExplainOptions,
  FilterInput,
  FindOptions,
  ManyOptions,
  PageOptions,
  Selected,
  UpdateOptions,
  WriteOptions,
} from './repository-types.js';
import type { UpdateContext, UpdateSpec } from './update-builder.js';
import {
  createDocument,
  deleteDocument,
  deleteDocuments,
  updateContextOf,
  updateDocument,
  updateDocuments,
} from './writes.js';

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
    this.updateCtx = updateContextOf(ctx);
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
    return (await createDocument(this.ctx, input, options)) as OutputDocument<C>;
  }

  /** The document with this id, or null; a malformed id is a ValidationError. */
  async findById<K extends string = never>(
    id: ObjectId | string,
    options: FindOptions<C, K> = {},
  ): Promise<Selected<C, K> | null> {
    return (await findById(this.ctx, id, options)) as Selected<C, K> | null;
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
    return (await findOne(this.ctx, filter, options)) as Selected<C, K> | null;
  }

  /** Documents matching `filter`, at most `limit` (default 1000). Use `paginate` for lists shown to users. */
  async findMany<K extends string = never>(
    filter: FilterInput<C>,
    options: FindOptions<C, K> = {},
  ): Promise<Selected<C, K>[]> {
    return (await findMany(this.ctx, filter, options)) as Selected<C, K>[];
  }

  /** Whether any document matches. */
  async exists(filter: FilterInput<C>, options: CallOptions = {}): Promise<boolean> {
    return exists(this.ctx, filter, options);
  }

  /** The exact number of matching documents. */
  async count(filter: FilterInput<C>, options: CallOptions = {}): Promise<number> {
    return count(this.ctx, filter, options);
  }

  /** The collection's document count from metadata: fast, approximate after unclean shutdowns. */
  async estimatedCount(options: CallOptions = {}): Promise<number> {
    return estimatedCount(this.ctx, options);
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
    return (await updateDocument(this.ctx, this.updateCtx, id, update, options)) as
      OutputDocument<C> | undefined;
  }

  /** Applies a typed update to every matching document; refuses an empty filter unless allowed. */
  async updateMany(
    filter: FilterInput<C>,
    update: UpdateSpec<StoredDocument<C>>,
    options: ManyOptions = {},
  ): Promise<{ matchedCount: number; modifiedCount: number }> {
    return updateDocuments(this.ctx, this.updateCtx, filter, update, options);
  }

  /** Deletes one document by id; NotFoundError, or VersionConflictError when `expectedVersion` lost. */
  async delete(id: ObjectId | string, options: WriteOptions = {}): Promise<void> {
    return deleteDocument(this.ctx, id, options);
  }

  /** Deletes every matching document and returns how many; an empty filter is refused unless `allowEmptyFilter`. */
  async deleteMany(filter: FilterInput<C>, options: ManyOptions = {}): Promise<number> {
    return deleteDocuments(this.ctx, filter, options);
  }

  /** One page in keyset order with a signed cursor for the next; page 1,000 costs what page 1 costs. */
  async paginate<K extends string = never>(
    filter: FilterInput<C>,
    options: PageOptions<C, K> = {},
  ): Promise<Page<Selected<C, K>>> {
    return (await paginateDocuments(this.ctx, filter, options)) as Page<Selected<C, K>>;
  }

  /** Core contract alias of {@link paginate}. */
  async list(
    query: FilterInput<C>,
    options: { limit?: number | undefined; cursor?: string | null | undefined } = {},
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
    options: AggregateOptions = {},
  ): Promise<R[]> {
    return runAggregate<R>(this.ctx, pipeline, options);
  }

  /** The plan the server picks for a find: index or collection scan, examined vs returned. */
  async explain(filter: FilterInput<C>, options: ExplainOptions<C> = {}): Promise<ExplainSummary> {
    return explainFilter(this.ctx, filter, options);
  }

  /** For tests: throws an AssertionError unless the find is served by an index. */
  async assertIndexed(
    filter: FilterInput<C>,
    options: ExplainOptions<C> & {
      maxExaminedPerReturned?: number | undefined;
      allowInMemorySort?: boolean | undefined;
    } = {},
  ): Promise<ExplainSummary> {
    const summary = await this.explain(filter, options);
    assertPlanIndexed(summary, options);
    return summary;
  }

  /** Creates missing declared indexes and reports drift; drops nothing unless told to. */
  async syncIndexes(options: SyncIndexesOptions & CallOptions = {}): Promise<IndexSyncReport> {
    return syncCollectionIndexes(this.ctx, options);
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
