// The example's store on PostgreSQL or PGlite through Prisma 7 and the dbkit extension: relations, include, SQL transactions.
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { ConflictError, NotFoundError, isDbkitError } from 'dbkit';
import type { CursorCodec } from 'dbkit';
import { applyMigrations, createPrisma, defaultPoolTimeouts, migrationStatus, sqlSource } from 'dbkit/prisma';
import { PrismaClient } from '../prisma/generated/client/client.js';
import type { Account, Comment, Post, Session, Transfer, User } from '../domain.js';
import type { Store } from '../store.js';
import { insufficientFunds, replayTransfer, reportOrder } from './shared.js';

/** The example's Prisma migrations folder (what `npm run migrate` deploys). */
export const migrations = join(import.meta.dirname, '..', 'prisma', 'migrations');
let instance = 0;

/** Where a Prisma store runs. */
export type PrismaStoreOptions = (
  { engine: 'pglite'; dataDir?: string } | { engine: 'postgres'; url: string }
) & {
  /**
   * Time limit of each database operation in ms (default 5000); a transfer's transaction may take
   * twice that. PostgreSQL cancels a statement, and `pg` stops waiting for one, just before it.
   */
  timeoutMs?: number;
  /**
   * `apply` (default: tests, the in-process demo) migrates the database itself; `verify` only
   * checks that every migration was deployed (`npm run migrate`) and refuses to open otherwise, as
   * a service against a server should.
   */
  schema?: 'apply' | 'verify';
};

const iso = (d: Date): string => d.toISOString();

function toUser(u: {
  id: string;
  name: string;
  email: string;
  role: User['role'];
  version: number;
  createdAt: Date;
  updatedAt: Date;
  addresses: { label: string; street: string; city: string; country: string }[];
}): User {
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    role: u.role,
    version: u.version,
    addresses: u.addresses.map(({ label, street, city, country }) => ({ label, street, city, country })),
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
  };
}
const toPost = (p: Omit<Post, 'createdAt'> & { createdAt: Date }): Post => ({
  ...p,
  createdAt: iso(p.createdAt),
});
const toComment = (c: Omit<Comment, 'createdAt'> & { createdAt: Date }): Comment => ({
  ...c,
  createdAt: iso(c.createdAt),
});
const toAccount = (a: Omit<Account, 'createdAt'> & { createdAt: Date }): Account => ({
  ...a,
  createdAt: iso(a.createdAt),
});
const toTransfer = (t: Omit<Transfer, 'createdAt'> & { createdAt: Date }): Transfer => ({
  ...t,
  createdAt: iso(t.createdAt),
});
const addressesOrdered = { addresses: { orderBy: { position: 'asc' as const } } };

/** Refuses to start on a database whose migrations were not deployed, saying what to run. */
async function verifyMigrated(pool: pg.Pool): Promise<void> {
  let status;
  try {
    status = await migrationStatus(sqlSource(pool), { dir: migrations });
  } catch (err) {
    await pool.end();
    throw err;
  }
  if (status.upToDate) return;
  await pool.end();
  const waiting = status.migrations.filter((m) => m.state !== 'applied' && m.state !== 'missingLocally');
  throw new Error(
    `the database is not migrated: ${waiting.map((m) => `${m.name} (${m.state})`).join(', ')}. ` +
      'Deploy first with `npm run migrate -- --target postgres` (dbkit migrate deploy); the service never migrates at start-up.',
  );
}

/**
 * Opens the store: migrates the database with dbkit's applier, then builds one managed client.
 *
 * @example
 * ```ts
 * const store = await openPrismaStore({ engine: 'pglite' })
 * ```
 */
export async function openPrismaStore(options: PrismaStoreOptions, cursors?: CursorCodec): Promise<Store> {
  const budget = options.timeoutMs ?? 5_000;
  let adapter: PrismaPg | PrismaPGlite;
  let close: () => Promise<void>;
  let pool: pg.Pool | undefined;
  if (options.engine === 'pglite') {
    const db = new PGlite(options.dataDir);
    await applyMigrations(sqlSource(db), { dir: migrations });
    adapter = new PrismaPGlite(db);
    close = () => db.close();
  } else {
    // Time limits on the pool from the start (migrations use it too): a silent database ends in
    // errors, each layer giving up just before the next: server statement, pg, dbkit.
    pool = new pg.Pool({
      connectionString: options.url,
      max: 20,
      ...defaultPoolTimeouts,
      connectionTimeoutMillis: Math.min(defaultPoolTimeouts.connectionTimeoutMillis, budget),
      statement_timeout: Math.round(budget * 0.8),
      query_timeout: Math.round(budget * 0.9),
    });
    if (options.schema === 'verify') await verifyMigrated(pool);
    else await applyMigrations(sqlSource(pool), { dir: migrations });
    adapter = new PrismaPg(pool);
    const p = pool;
    close = () => p.end();
  }
  instance += 1;
  const managed = createPrisma({
    adapter,
    create: (o) => new PrismaClient(o),
    extend: (base, dbkit) => base.$extends(dbkit),
    ...(pool ? { pool } : {}),
    onClose: close,
    name: `example-${options.engine}-${instance}`,
    shutdownSignals: false,
    extension: { timeoutMs: budget, ...(cursors ? { cursors } : {}) },
  });
  const db = managed.client;

  return {
    engine: options.engine,
    capabilities: managed.capabilities,

    async createUser(id, input) {
      const user = await db.user.create({
        data: {
          id,
          name: input.name,
          email: input.email,
          role: input.role,
          addresses: { create: input.addresses.map((a, position) => ({ ...a, position })) },
        },
        include: addressesOrdered,
      });
      return toUser(user);
    },
    async getUser(id) {
      const user = await db.user.findUnique({ where: { id }, include: addressesOrdered });
      return user && toUser(user);
    },
    async getUserByEmail(email) {
      const user = await db.user.findUnique({ where: { email }, include: addressesOrdered });
      return user && toUser(user);
    },
    async updateUser(id, patch, expectedVersion) {
      const data = {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.email === undefined ? {} : { email: patch.email }),
        ...(patch.role === undefined ? {} : { role: patch.role }),
        // Addresses are replaced as a whole, inside the same versioned update statement batch.
        ...(patch.addresses === undefined
          ? {}
          : {
              addresses: {
                deleteMany: {},
                create: patch.addresses.map((a, position) => ({ ...a, position })),
              },
            }),
      };
      await db.user.updateVersioned({ where: { id }, data, expectedVersion });
      const user = await db.user.findUniqueOrThrow({ where: { id }, include: addressesOrdered });
      return toUser(user);
    },

    async createPost(id, authorId, input) {
      return toPost(await db.post.create({ data: { id, authorId, ...input } }));
    },
    async getPost(id) {
      const post = await db.post.findUnique({ where: { id } });
      return post && toPost(post);
    },
    async listPostsByAuthor(authorId, page) {
      const result = await db.post.paginate({
        where: { authorId },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        limit: page.limit,
        cursor: page.cursor ?? null,
      });
      return { items: result.items.map(toPost), cursor: result.cursor };
    },
    async likePost(id) {
      try {
        const post = await db.post.update({
          where: { id },
          data: { likeCount: { increment: 1 } },
          select: { likeCount: true },
        });
        return post.likeCount;
      } catch (err) {
        if (isDbkitError(err, 'not_found')) throw new NotFoundError(`post ${id} not found`, { cause: err });
        throw err;
      }
    },

    async addComment(id, postId, input) {
      return toComment(await db.comment.create({ data: { id, postId, ...input } }));
    },
    async listComments(postId, page) {
      const result = await db.comment.paginate({
        where: { postId },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        limit: page.limit,
        cursor: page.cursor ?? null,
      });
      return { items: result.items.map(toComment), cursor: result.cursor };
    },

    async topAuthors(limit) {
      // One grouped query for the counts, one `include` for names and latest titles: no N+1.
      const counts = await db.post.groupBy({
        by: ['authorId'],
        where: { published: true },
        _count: { _all: true },
      });
      const authors = await db.user.findMany({
        where: { id: { in: counts.map((c) => c.authorId) } },
        include: {
          posts: {
            where: { published: true },
            orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
            take: 1,
            select: { title: true },
          },
        },
      });
      const countOf = new Map(counts.map((c) => [c.authorId, c._count._all]));
      return authors
        .map((a) => ({
          authorId: a.id,
          name: a.name,
          publishedCount: countOf.get(a.id) ?? 0,
          latestPostTitle: a.posts[0]?.title ?? '',
        }))
        .sort(reportOrder)
        .slice(0, limit);
    },

    async openAccount(id, input) {
      return toAccount(
        await db.account.create({ data: { id, ownerId: input.ownerId, balance: input.balance } }),
      );
    },
    async getAccount(id) {
      const account = await db.account.findUnique({ where: { id } });
      return account && toAccount(account);
    },
    async transfer(id, idempotencyKey, input) {
      const replay = async (): Promise<Transfer> => {
        const existing = await db.transfer.findUnique({ where: { idempotencyKey } });
        return replayTransfer(existing && toTransfer(existing), idempotencyKey, input);
      };
      const seen = await db.transfer.findUnique({ where: { idempotencyKey } });
      if (seen) return replay();
      try {
        return await db.$transactionWithRetry(
          async (tx) => {
            // The debit carries its funds check in its WHERE, so check and write are one atomic statement even
            // under READ COMMITTED (PostgreSQL re-checks the row after waiting for its lock). Rows are locked in
            // id order, so opposite transfers queue instead of deadlocking.
            const debit = async () => {
              const debited = await tx.account.updateMany({
                where: { id: input.fromId, balance: { gte: input.amount } },
                data: { balance: { decrement: input.amount } },
              });
              if (debited.count === 1) return;
              const from = await tx.account.findUnique({ where: { id: input.fromId }, select: { id: true } });
              if (!from) throw new NotFoundError(`account ${input.fromId} not found`);
              throw insufficientFunds(input.fromId, input.amount);
            };
            const credit = async () => {
              const credited = await tx.account.updateMany({
                where: { id: input.toId },
                data: { balance: { increment: input.amount } },
              });
              if (credited.count !== 1) throw new NotFoundError(`account ${input.toId} not found`);
            };
            if (input.fromId < input.toId) {
              await debit();
              await credit();
            } else {
              await credit();
              await debit();
            }
            return toTransfer(await tx.transfer.create({ data: { id, idempotencyKey, ...input } }));
          },
          { isolationLevel: 'ReadCommitted', timeout: 2 * budget, maxWait: budget },
        );
      } catch (err) {
        // A concurrent request with the same key won the race: answer as a replay.
        if (err instanceof ConflictError && err.fields.includes('idempotencyKey')) return replay();
        throw err;
      }
    },

    async createSession(token, input) {
      const s = await db.session.create({
        data: { token, userId: input.userId, expiresAt: new Date(Date.now() + input.ttlSeconds * 1000) },
      });
      return { token: s.token, userId: s.userId, expiresAt: iso(s.expiresAt) } satisfies Session;
    },
    async getSession(token) {
      const s = await db.session.findFirst({ where: { token, expiresAt: { gt: new Date() } } });
      return s && { token: s.token, userId: s.userId, expiresAt: iso(s.expiresAt) };
    },
    async sweepSessions() {
      // PostgreSQL has no TTL: a periodic sweep deletes what reads already ignore.
      return (await db.session.deleteMany({ where: { expiresAt: { lte: new Date() } } })).count;
    },

    close: () => managed.close(),
  };
}
