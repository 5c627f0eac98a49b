// The example's store on MongoDB (or FerretDB, mongo-java-server): embedded addresses, separate comments, aggregation, TTL.
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConflictError, NotFoundError, UnsupportedError } from 'dbkit';
import {
  connectMongo,
  defineCollection,
  mongoRepository,
  mongoTarget,
  op,
  withTransaction,
} from 'dbkit/mongo';
import type { MongoCollectionSyncReport, MongoConnection } from 'dbkit/mongo';
import { Address, Comment, Post, User } from '../domain.js';
import type { Transfer } from '../domain.js';
import type { Store } from '../store.js';
import { insufficientFunds, replayTransfer, reportOrder } from './shared.js';

const users = defineCollection({
  name: 'users',
  schema: User.pick({ name: true, email: true, role: true }).extend({
    _id: z.string(),
    addresses: z.array(Address).max(5),
  }),
  indexes: [{ key: { email: 1 }, unique: true }],
  idType: 'string',
  version: true,
  timestamps: true,
  mapId: true,
});
// Comments live in their own collection: a post's comments are unbounded, a document is not.
const posts = defineCollection({
  name: 'posts',
  schema: Post.omit({ id: true, createdAt: true }).extend({ _id: z.string(), createdAt: z.date() }),
  indexes: [{ key: { authorId: 1, createdAt: -1, _id: -1 } }, { key: { published: 1, createdAt: -1 } }],
  idType: 'string',
  mapId: true,
});
const comments = defineCollection({
  name: 'comments',
  schema: Comment.omit({ id: true, createdAt: true }).extend({ _id: z.string(), createdAt: z.date() }),
  indexes: [{ key: { postId: 1, createdAt: 1, _id: 1 } }],
  idType: 'string',
  mapId: true,
});
const accounts = defineCollection({
  name: 'accounts',
  schema: z.object({ _id: z.string(), ownerId: z.string(), balance: z.number().int().min(0) }),
  indexes: [{ key: { ownerId: 1 } }],
  idType: 'string',
  timestamps: true,
  mapId: true,
});
const transfers = defineCollection({
  name: 'transfers',
  schema: z.object({
    _id: z.string(),
    idempotencyKey: z.string(),
    fromId: z.string(),
    toId: z.string(),
    amount: z.number().int(),
  }),
  indexes: [{ key: { idempotencyKey: 1 }, unique: true }],
  idType: 'string',
  timestamps: true,
  mapId: true,
});
const sessions = defineCollection({
  name: 'sessions',
  schema: z.object({ _id: z.string(), userId: z.string(), expiresAt: z.date() }),
  // MongoDB deletes expired sessions itself; engines without TTL indexes only report it.
  indexes: [{ key: { expiresAt: 1 }, expireAfterSeconds: 0 }],
  idType: 'string',
  mapId: true,
});

/** The example's MongoDB migrations folder (none yet: the journal still records that nothing is pending). */
export const exampleMongoMigrations = fileURLToPath(new URL('../migrations/mongodb', import.meta.url));

/** The collections whose indexes `npm run migrate` (dbkit sync) creates. */
export const mongoCollections = [users, posts, comments, accounts, transfers, sessions] as const;

/** Where the MongoDB store runs. */
export interface MongoStoreOptions {
  uri: string;
  database: string;
  /**
   * `apply` (default: tests) creates the declared indexes at start-up; `verify` refuses to open
   * unless `npm run migrate` (dbkit sync and migrate deploy) already created them and applied the migrations.
   */
  schema?: 'apply' | 'verify';
  /** Drop the database on close (tests). */
  dropOnClose?: boolean;
  /** Time limit of each database operation, retries included, in ms. Default 2000: a request's budget. */
  timeoutMs?: number;
}

const iso = (d: Date): string => d.toISOString();

/**
 * Refuses to start on a database missing a declared index (or holding a different one) or with
 * pending migrations. Indexes the engine cannot build (TTL on FerretDB) are not required.
 */
async function verifyDeployed(mongo: MongoConnection): Promise<void> {
  const target = mongoTarget({
    connection: mongo,
    dir: exampleMongoMigrations,
    collections: mongoCollections,
  });
  const plan = (await target.syncSchema?.({ dryRun: true })) as MongoCollectionSyncReport[];
  const status = await target.migrationStatus();
  const missing = [
    ...plan.flatMap((c) => c.created.map((name) => `index ${c.collection}.${name}`)),
    ...plan.flatMap((c) => c.drifted.map((d) => `index ${c.collection}.${d.name} as declared`)),
    ...status.migrations
      .filter((m) => m.state !== 'applied' && m.state !== 'missingLocally')
      .map((m) => `${m.name} (${m.state})`),
  ];
  if (missing.length === 0) return;
  await mongo.close();
  throw new Error(
    `the MongoDB database ${mongo.db.databaseName} is not deployed: ${missing.join(', ')} missing. ` +
      'Deploy first with `npm run migrate -- --target mongo` (dbkit migrate deploy); the service never changes indexes at start-up.',
  );
}

/**
 * Opens the store. With `schema: 'apply'` (default) it creates the declared indexes (an engine that
 * cannot build one, such as a TTL index on FerretDB, is reported rather than fatal); with `verify`
 * it refuses a database that `npm run migrate -- --target mongo` has not deployed.
 *
 * @example
 * ```ts
 * const store = await openMongoStore({ uri: process.env.MONGODB_URI!, database: 'app' })
 * ```
 */
export async function openMongoStore(options: MongoStoreOptions): Promise<Store> {
  const mongo = await connectMongo({
    uri: options.uri,
    dbName: options.database,
    shared: false,
    timeoutMs: options.timeoutMs ?? 2_000,
  });
  const caps = await mongo.capabilities();
  const repo = {
    users: mongoRepository(mongo, users),
    posts: mongoRepository(mongo, posts),
    comments: mongoRepository(mongo, comments),
    accounts: mongoRepository(mongo, accounts),
    transfers: mongoRepository(mongo, transfers),
    sessions: mongoRepository(mongo, sessions),
  };
  if (options.schema === 'verify') await verifyDeployed(mongo);
  else for (const r of Object.values(repo)) await r.syncIndexes({ onUnsupported: 'report' });

  const toUser = (u: Awaited<ReturnType<typeof repo.users.create>>): User => ({
    id: u.id,
    name: u.name,
    email: u.email,
    role: u.role,
    addresses: u.addresses,
    version: u.version,
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
  });
  const toPost = (p: Awaited<ReturnType<typeof repo.posts.create>>) => ({
    ...p,
    createdAt: iso(p.createdAt),
  });
  const toComment = (c: Awaited<ReturnType<typeof repo.comments.create>>) => ({
    ...c,
    createdAt: iso(c.createdAt),
  });
  const toTransfer = (t: Awaited<ReturnType<typeof repo.transfers.create>>): Transfer => ({
    id: t.id,
    idempotencyKey: t.idempotencyKey,
    fromId: t.fromId,
    toId: t.toId,
    amount: t.amount,
    createdAt: iso(t.createdAt),
  });

  /** The stored transfer for a key, in the API's shape, or null. */
  async function transferByKey(idempotencyKey: string): Promise<Transfer | null> {
    const t = await repo.transfers.findOne({ idempotencyKey });
    return t && toTransfer(t);
  }

  return {
    engine: 'mongo',
    // FerretDB v1 (SQLite) applies $inc as read-then-write: concurrent increments can be lost.
    capabilities: caps,

    async createUser(id, input) {
      return toUser(await repo.users.create({ _id: id, ...input }));
    },
    async getUser(id) {
      const u = await repo.users.findById(id);
      return u && toUser(u);
    },
    async getUserByEmail(email) {
      const u = await repo.users.findOne({ email });
      return u && toUser(u);
    },
    async updateUser(id, patch, expectedVersion) {
      const $set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      return toUser(await repo.users.update(id, { $set }, { expectedVersion }));
    },

    async createPost(id, authorId, input) {
      return toPost(
        await repo.posts.create({ _id: id, authorId, ...input, likeCount: 0, createdAt: new Date() }),
      );
    },
    async getPost(id) {
      const p = await repo.posts.findById(id);
      return p && toPost(p);
    },
    async listPostsByAuthor(authorId, page) {
      const result = await repo.posts.paginate(
        { authorId },
        { sort: { createdAt: -1 }, limit: page.limit, cursor: page.cursor ?? null },
      );
      return { items: result.items.map(toPost), cursor: result.cursor };
    },
    async likePost(id) {
      // One atomic $inc on one document: no transaction needed.
      const post = await repo.posts.update(id, { $inc: { likeCount: 1 } });
      return post.likeCount;
    },

    async addComment(id, postId, input) {
      return toComment(await repo.comments.create({ _id: id, postId, ...input, createdAt: new Date() }));
    },
    async listComments(postId, page) {
      const result = await repo.comments.paginate(
        { postId },
        { sort: { createdAt: 1 }, limit: page.limit, cursor: page.cursor ?? null },
      );
      return { items: result.items.map(toComment), cursor: result.cursor };
    },

    async topAuthors(limit) {
      type Row = { authorId: string; name: string; publishedCount: number; latestPostTitle: string };
      const order = reportOrder;
      if (caps.joins) {
        // The seed's pipeline, where the engine has $first and $lookup: one round trip.
        return repo.posts.aggregate<Row>([
          { $match: { published: true } },
          { $sort: { createdAt: -1, _id: -1 } },
          {
            $group: { _id: '$authorId', publishedCount: { $sum: 1 }, latestPostTitle: { $first: '$title' } },
          },
          { $lookup: { from: 'users', localField: '_id', foreignField: '_id', as: 'author' } },
          { $unwind: '$author' },
          {
            $project: {
              _id: 0,
              authorId: '$_id',
              name: '$author.name',
              publishedCount: 1,
              latestPostTitle: 1,
            },
          },
          { $sort: { publishedCount: -1, name: 1, authorId: 1 } },
          { $limit: limit },
        ]);
      }
      // FerretDB v1 has only $sum in $group and no $lookup: count there, join names with one $in read,
      // then read each of the (at most `limit`) winners' latest title through the (authorId, createdAt) index.
      const grouped = await repo.posts.aggregate<{ _id: string; publishedCount: number }>([
        { $match: { published: true } },
        { $group: { _id: '$authorId', publishedCount: { $sum: 1 } } },
      ]);
      const authors = await repo.users.findMany(
        { _id: op.in(grouped.map((g) => g._id)) },
        { select: ['id', 'name'], limit: 1000 },
      );
      const nameOf = new Map(authors.map((a) => [a.id, a.name]));
      const top = grouped
        .map((g) => ({
          authorId: g._id,
          name: nameOf.get(g._id) ?? '',
          publishedCount: g.publishedCount,
          latestPostTitle: '',
        }))
        .sort(order)
        .slice(0, limit);
      await Promise.all(
        top.map(async (row) => {
          const latest = await repo.posts.findOne(
            { authorId: row.authorId, published: true },
            { sort: { createdAt: -1 }, select: ['title'] },
          );
          row.latestPostTitle = latest?.title ?? '';
        }),
      );
      return top;
    },

    async openAccount(id, input) {
      const a = await repo.accounts.create({ _id: id, ownerId: input.ownerId, balance: input.balance });
      return { id: a.id, ownerId: a.ownerId, balance: a.balance, createdAt: iso(a.createdAt) };
    },
    async getAccount(id) {
      const a = await repo.accounts.findById(id);
      return a && { id: a.id, ownerId: a.ownerId, balance: a.balance, createdAt: iso(a.createdAt) };
    },
    async transfer(id, idempotencyKey, input) {
      if (!caps.transactions) {
        throw new UnsupportedError(
          `transfers need multi-document transactions, which this ${caps.flavor} deployment lacks: use a MongoDB replica set`,
          { feature: 'transactions', engine: 'mongodb' },
        );
      }
      const seen = await repo.transfers.findOne({ idempotencyKey });
      if (seen) return replayTransfer(toTransfer(seen), idempotencyKey, input);
      try {
        return await withTransaction(mongo, async (tx) => {
          const accountsTx = tx.use(repo.accounts);
          // The filter carries the funds check, so the debit and the check are one atomic write.
          const debited = await accountsTx.updateMany(
            { _id: input.fromId, balance: op.gte(input.amount) },
            { $inc: { balance: -input.amount } },
          );
          if (debited.matchedCount !== 1) {
            if (!(await accountsTx.exists({ _id: input.fromId })))
              throw new NotFoundError(`account ${input.fromId} not found`);
            throw insufficientFunds(input.fromId, input.amount);
          }
          const credited = await accountsTx.updateMany(
            { _id: input.toId },
            { $inc: { balance: input.amount } },
          );
          if (credited.matchedCount !== 1) throw new NotFoundError(`account ${input.toId} not found`);
          return toTransfer(await tx.use(repo.transfers).create({ _id: id, idempotencyKey, ...input }));
        });
      } catch (err) {
        if (err instanceof ConflictError && err.fields.includes('idempotencyKey'))
          return replayTransfer(await transferByKey(idempotencyKey), idempotencyKey, input);
        throw err;
      }
    },

    async createSession(token, input) {
      const s = await repo.sessions.create({
        _id: token,
        userId: input.userId,
        expiresAt: new Date(Date.now() + input.ttlSeconds * 1000),
      });
      return { token: s.id, userId: s.userId, expiresAt: iso(s.expiresAt) };
    },
    async getSession(token) {
      // The TTL monitor runs once a minute: reads must ignore what it has not deleted yet.
      const s = await repo.sessions.findOne({ _id: token, expiresAt: op.gt(new Date()) });
      return s && { token: s.id, userId: s.userId, expiresAt: iso(s.expiresAt) };
    },
    async sweepSessions() {
      if (caps.ttl) return 0;
      return repo.sessions.deleteMany({ expiresAt: op.lte(new Date()) });
    },

    async close() {
      if (options.dropOnClose) await mongo.db.dropDatabase();
      await mongo.close();
    },
  };
}
