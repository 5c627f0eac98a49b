// The example's store on DynamoDB, single-table: key templates per access pattern, one overloaded GSI, transactions, TTL.
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConflictError, NotFoundError, TransactionCanceledError } from 'dbkit';
import { createDynamoClient, defineEntity, defineTable, migrationStatus, tx } from 'dbkit/dynamo';
import type { DynamoClient, Table } from 'dbkit/dynamo';
import { Comment, Post, User } from '../domain.js';
import type { Session, Transfer } from '../domain.js';
import type { Store } from '../store.js';
import { insufficientFunds, replayTransfer, reportOrder } from './shared.js';

/** The example's DynamoDB migrations folder (none yet: the journal still records that nothing is pending). */
export const exampleDynamoMigrations = fileURLToPath(new URL('../migrations/dynamodb', import.meta.url));

/**
 * Access patterns, designed first:
 *
 * | pattern                          | key                                                    |
 * | -------------------------------- | ------------------------------------------------------ |
 * | user by id                       | pk `USER#{id}`, sk `PROFILE`                           |
 * | user by email                    | gsi1 `EMAIL#{email}` / `USER`                          |
 * | email uniqueness                 | pk `EMAIL#{email}`, sk `CLAIM` (created in the same transaction) |
 * | post by id, like counter         | pk `POST#{id}`, sk `POST`                              |
 * | posts by author, newest first    | gsi1 `AUTHOR#{authorId}` / `POST#{createdAt}#{id}`     |
 * | comments of a post, oldest first | pk `POST#{postId}`, sk `COMMENT#{createdAt}#{id}` (the post's partition) |
 * | top authors                      | pk `LEADERBOARD`, sk `AUTHOR#{authorId}`: counters kept at write time |
 * | account, transfer by idempotency | pk `ACCOUNT#{id}` / `TRANSFER#{idempotencyKey}`        |
 * | session, expiring                | pk `SESSION#{token}`, TTL attribute `ttl`              |
 *
 * Exported so the IAM tests generate the policy from exactly what the store declares.
 *
 * @example
 * ```ts
 * const { table, user } = model('dbkit-example')
 * ```
 */
export function model(tableName: string) {
  const table = defineTable({
    name: tableName,
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: { gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } },
    ttlAttribute: 'ttl',
  });
  const user = defineEntity(table, {
    name: 'User',
    schema: User.pick({ id: true, name: true, email: true, role: true, addresses: true }),
    key: { pk: 'USER#{id}', sk: 'PROFILE' },
    indexes: { gsi1: { pk: 'EMAIL#{email}', sk: 'USER' } },
    version: true,
    timestamps: true,
  });
  const emailClaim = defineEntity(table, {
    name: 'EmailClaim',
    schema: z.object({ email: z.string(), userId: z.string() }),
    key: { pk: 'EMAIL#{email}', sk: 'CLAIM' },
  });
  const post = defineEntity(table, {
    name: 'Post',
    // Stored under `postedAt`: the sort key's timestamp, named for what it orders.
    schema: Post.omit({ createdAt: true }).extend({ postedAt: z.string() }),
    key: { pk: 'POST#{id}', sk: 'POST' },
    indexes: { gsi1: { pk: 'AUTHOR#{authorId}', sk: 'POST#{postedAt}#{id}' } },
  });
  const comment = defineEntity(table, {
    name: 'Comment',
    schema: Comment.omit({ createdAt: true }).extend({ postedAt: z.string() }),
    key: { pk: 'POST#{postId}', sk: 'COMMENT#{postedAt}#{id}' },
  });
  const authorStats = defineEntity(table, {
    name: 'AuthorStats',
    schema: z.object({
      authorId: z.string(),
      name: z.string(),
      publishedCount: z.number().int(),
      latestPostTitle: z.string(),
      latestAt: z.string(),
    }),
    key: { pk: 'LEADERBOARD', sk: 'AUTHOR#{authorId}' },
  });
  const account = defineEntity(table, {
    name: 'Account',
    schema: z.object({ id: z.string(), ownerId: z.string(), balance: z.number().int() }),
    key: { pk: 'ACCOUNT#{id}', sk: 'ACCOUNT' },
    timestamps: true,
  });
  const transfer = defineEntity(table, {
    name: 'Transfer',
    schema: z.object({
      id: z.string(),
      idempotencyKey: z.string(),
      fromId: z.string(),
      toId: z.string(),
      amount: z.number().int(),
    }),
    key: { pk: 'TRANSFER#{idempotencyKey}', sk: 'TRANSFER' },
    timestamps: true,
  });
  const session = defineEntity(table, {
    name: 'Session',
    schema: z.object({ token: z.string(), userId: z.string(), expiresAt: z.string(), ttl: z.number().int() }),
    key: { pk: 'SESSION#{token}', sk: 'SESSION' },
  });
  return { table, user, emailClaim, post, comment, authorStats, account, transfer, session };
}

/** Where the DynamoDB store runs. */
export interface DynamoStoreOptions {
  endpoint: string;
  table: string;
  /** Delete the table on close (tests). */
  dropOnClose?: boolean;
  /** Time limit of each database operation, retries included, in ms. Default 2000: a request's budget. */
  timeoutMs?: number;
  /**
   * `apply` (default: tests) creates the table and its GSI and TTL when missing; `verify` refuses to
   * open unless `npm run migrate` (dbkit sync and migrate deploy) already brought them in line.
   */
  schema?: 'apply' | 'verify';
}

type UserItem = Omit<User, 'createdAt' | 'updatedAt' | 'version'> & {
  version: number;
  createdAt: string;
  updatedAt: string;
};
const toUser = (u: UserItem): User => ({
  id: u.id,
  name: u.name,
  email: u.email,
  role: u.role,
  addresses: u.addresses,
  version: u.version,
  createdAt: u.createdAt,
  updatedAt: u.updatedAt,
});
const toPost = ({ postedAt, ...p }: Omit<Post, 'createdAt'> & { postedAt: string }): Post => ({
  ...p,
  createdAt: postedAt,
});
const toComment = ({ postedAt, ...c }: Omit<Comment, 'createdAt'> & { postedAt: string }): Comment => ({
  ...c,
  createdAt: postedAt,
});

/** Turns a cancellation on the email claim into the conflict an API reports, and rethrows anything else. */
function emailConflict(err: unknown, claimIndex: number): never {
  if (err instanceof TransactionCanceledError && err.reasons[claimIndex]?.code === 'ConditionalCheckFailed') {
    throw new ConflictError('a user with this email already exists', {
      fields: ['email'],
      engine: 'dynamodb',
      cause: err,
    });
  }
  throw err;
}

/** Refuses to start on a table that is missing, lacks a declared GSI or TTL, or has pending migrations. */
async function verifySynced(db: DynamoClient, table: Table): Promise<void> {
  const plan = await db.syncTable(table, { dryRun: true });
  // The journal lives in the table: without the table, every migration is pending.
  const status = plan.created
    ? { migrations: [] }
    : await migrationStatus(db, { table, dir: exampleDynamoMigrations });
  const missing = [
    ...(plan.created ? [`table ${table.name}`] : []),
    ...plan.indexesCreated.map((name) => `index ${name}`),
    ...(plan.ttlEnabled ? ['TTL'] : []),
    ...status.migrations
      .filter((m) => m.state !== 'applied' && m.state !== 'missingLocally')
      .map((m) => `${m.name} (${m.state})`),
  ];
  if (missing.length === 0) return;
  db.destroy();
  throw new Error(
    `the DynamoDB table is not deployed: ${missing.join(', ')} missing. ` +
      'Deploy first with `npm run migrate -- --target dynamo` (dbkit migrate deploy); the service never changes the table at start-up.',
  );
}

/**
 * Opens the store on a DynamoDB endpoint, creating the table (GSI, TTL) if it is missing.
 *
 * @example
 * ```ts
 * const store = await openDynamoStore({ endpoint: 'http://127.0.0.1:8000', table: 'app' })
 * ```
 */
export async function openDynamoStore(options: DynamoStoreOptions): Promise<Store> {
  const m = model(options.table);
  // An HTTP request should fail fast: a 429 with Retry-After under sustained throttling, a 503 when
  // DynamoDB does not answer, both within the request's 2 s budget (dbkit owns every retry).
  const db = createDynamoClient({
    local: options.endpoint,
    retry: { maxAttempts: 4 },
    timeoutMs: options.timeoutMs ?? 2_000,
  });
  if (options.schema === 'verify') await verifySynced(db, m.table);
  else await db.ensureTable(m.table);
  const users = db.entity(m.user);
  const posts = db.entity(m.post);
  const comments = db.entity(m.comment);
  const stats = db.entity(m.authorStats);
  const accounts = db.entity(m.account);
  const transfers = db.entity(m.transfer);
  const sessions = db.entity(m.session);

  /** The stored transfer for a key, in the API's shape, or null. */
  async function transferByKey(idempotencyKey: string): Promise<Transfer | null> {
    const t = await transfers.get({ idempotencyKey }, { consistent: true });
    return (
      t && {
        id: t.id,
        idempotencyKey,
        fromId: t.fromId,
        toId: t.toId,
        amount: t.amount,
        createdAt: t.createdAt,
      }
    );
  }

  return {
    engine: 'dynamo',
    capabilities: db.capabilities,

    async createUser(id, input) {
      const now = new Date().toISOString();
      await db
        .transactWrite([
          tx.create(m.user, { id, ...input }, { now }),
          tx.create(m.emailClaim, { email: input.email, userId: id }),
        ])
        .catch((err: unknown) => emailConflict(err, 1));
      return toUser({ id, ...input, version: 1, createdAt: now, updatedAt: now });
    },
    async getUser(id) {
      const user = await users.get({ id }, { consistent: true });
      return user && toUser(user);
    },
    async getUserByEmail(email) {
      const claim = await db.entity(m.emailClaim).get({ email }, { consistent: true });
      if (!claim) return null;
      const user = await users.get({ id: claim.userId }, { consistent: true });
      return user && toUser(user);
    },
    async updateUser(id, patch, expectedVersion) {
      const current = await users.get({ id }, { consistent: true });
      if (!current) throw new NotFoundError(`user ${id} not found`);
      const set = {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.role === undefined ? {} : { role: patch.role }),
        ...(patch.addresses === undefined ? {} : { addresses: patch.addresses }),
        ...(patch.email === undefined ? {} : { email: patch.email }),
      };
      if (patch.email === undefined || patch.email === current.email) {
        return toUser(await users.update({ id }, { set }, { expectedVersion }));
      }
      // Moving the email moves its uniqueness claim in the same transaction.
      await db
        .transactWrite([
          tx.update(m.user, { id }, { set }, { expectedVersion }),
          tx.create(m.emailClaim, { email: patch.email, userId: id }),
          tx.delete(m.emailClaim, { email: current.email }),
        ])
        .catch((err: unknown) => {
          if (err instanceof TransactionCanceledError && err.reasons[0]?.code === 'ConditionalCheckFailed') {
            throw new ConflictError('user changed since it was read', { cause: err });
          }
          return emailConflict(err, 1);
        });
      const updated = await users.get({ id }, { consistent: true });
      if (!updated) throw new NotFoundError(`user ${id} not found`);
      return toUser(updated);
    },

    async createPost(id, authorId, input) {
      const postedAt = new Date().toISOString();
      const item = { id, authorId, ...input, likeCount: 0, postedAt };
      if (!input.published) {
        await posts.create(item);
        return toPost(item);
      }
      // A published post bumps its author's leaderboard entry in the same transaction: DynamoDB has no GROUP BY.
      const author = await users.get({ id: authorId });
      await db.transactWrite([
        tx.create(m.post, item),
        tx.update(
          m.authorStats,
          { authorId },
          {
            set: { name: author?.name ?? '', latestPostTitle: input.title, latestAt: postedAt },
            increment: { publishedCount: 1 },
          },
          { upsert: true },
        ),
      ]);
      return toPost(item);
    },
    async getPost(id) {
      const post = await posts.get({ id }, { consistent: true });
      return post && toPost(post);
    },
    async listPostsByAuthor(authorId, page) {
      const result = await posts.query({
        index: 'gsi1',
        partition: { authorId },
        order: 'desc',
        limit: page.limit,
        cursor: page.cursor ?? null,
      });
      return { items: result.items.map(toPost), cursor: result.cursor };
    },
    async likePost(id) {
      const updated = await posts.update(
        { id },
        { increment: { likeCount: 1 } },
        { returnValues: 'UPDATED_NEW' },
      );
      return updated.likeCount ?? 0;
    },

    async addComment(id, postId, input) {
      const item = { id, postId, ...input, postedAt: new Date().toISOString() };
      await comments.create(item);
      return toComment(item);
    },
    async listComments(postId, page) {
      const result = await comments.query({
        partition: { postId },
        order: 'asc',
        limit: page.limit,
        cursor: page.cursor ?? null,
      });
      return { items: result.items.map(toComment), cursor: result.cursor };
    },

    async topAuthors(limit) {
      const all: { authorId: string; name: string; publishedCount: number; latestPostTitle: string }[] = [];
      for await (const page of stats.queryAll({ partition: {} }, { maxItems: 10_000 })) {
        for (const s of page.items)
          all.push({
            authorId: s.authorId,
            name: s.name,
            publishedCount: s.publishedCount,
            latestPostTitle: s.latestPostTitle,
          });
      }
      return all.sort(reportOrder).slice(0, limit);
    },

    async openAccount(id, input) {
      const account = await accounts.create({ id, ownerId: input.ownerId, balance: input.balance });
      return { id, ownerId: account.ownerId, balance: account.balance, createdAt: account.createdAt };
    },
    async getAccount(id) {
      const a = await accounts.get({ id }, { consistent: true });
      return a && { id: a.id, ownerId: a.ownerId, balance: a.balance, createdAt: a.createdAt };
    },
    async transfer(id, idempotencyKey, input) {
      const existing = await transfers.get({ idempotencyKey }, { consistent: true });
      if (existing) return replayTransfer(await transferByKey(idempotencyKey), idempotencyKey, input);
      const now = new Date().toISOString();
      try {
        await db.transactWrite([
          tx.update(
            m.account,
            { id: input.fromId },
            { increment: { balance: -input.amount } },
            { condition: { balance: { gte: input.amount } } },
          ),
          tx.update(m.account, { id: input.toId }, { increment: { balance: input.amount } }),
          tx.create(m.transfer, { id, idempotencyKey, ...input }, { now }),
        ]);
      } catch (err) {
        if (!(err instanceof TransactionCanceledError)) throw err;
        const [debit, credit, record] = err.reasons.map((r) => r.code);
        if (record === 'ConditionalCheckFailed')
          return replayTransfer(await transferByKey(idempotencyKey), idempotencyKey, input);
        if (credit === 'ConditionalCheckFailed')
          throw new NotFoundError(`account ${input.toId} not found`, { cause: err });
        if (debit === 'ConditionalCheckFailed') {
          const from = await accounts.get({ id: input.fromId });
          if (!from) throw new NotFoundError(`account ${input.fromId} not found`, { cause: err });
          throw insufficientFunds(input.fromId, input.amount, err);
        }
        throw err;
      }
      return { id, idempotencyKey, ...input, createdAt: now };
    },

    async createSession(token, input) {
      const expires = Date.now() + input.ttlSeconds * 1000;
      const session = {
        token,
        userId: input.userId,
        expiresAt: new Date(expires).toISOString(),
        ttl: Math.ceil(expires / 1000),
      };
      await sessions.create(session);
      return { token, userId: session.userId, expiresAt: session.expiresAt } satisfies Session;
    },
    async getSession(token) {
      // TTL deletes lazily (up to days later on AWS): a read must still ignore an expired item.
      const s = await sessions.get({ token }, { consistent: true });
      return s && Date.parse(s.expiresAt) > Date.now()
        ? { token: s.token, userId: s.userId, expiresAt: s.expiresAt }
        : null;
    },
    sweepSessions: () => Promise.resolve(0),

    async close() {
      if (options.dropOnClose) await db.deleteTable(m.table);
      db.destroy();
    },
  };
}
