// PostgreSQL contexts: a database (or schema) per file, isolated, reset in foreign-key order, seeded, dropped.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPostgresContext } from '../../../src/testing/kit/postgres.js';
import type { PostgresTestContext } from '../../../src/testing/kit/postgres.js';
import { seedPrisma } from '../../../src/testing/kit/prisma-seed.js';
import { seedSql } from '../../../src/testing/kit/sql-seed.js';
import { describeEngine } from '../../helpers/engines.js';
import { PrismaClient } from '../../prisma/generated/client/client.js';
import { childFirst, migrationsDir } from './fixtures.js';
import type { ProjectRows } from './fixtures.js';

async function serverQuery<R>(serverUrl: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as R[];
  } finally {
    await client.end();
  }
}

const count = async (ctx: PostgresTestContext, table: string): Promise<number> => {
  const [row] = await ctx.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
  return row?.n ?? -1;
};

describeEngine('postgres', (serverUrl) => {
  let a: PostgresTestContext;
  let b: PostgresTestContext;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      createPostgresContext({ url: serverUrl, migrations: migrationsDir, name: 'kit_a' }),
      createPostgresContext({ url: serverUrl, migrations: migrationsDir, name: 'kit_b' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a.drop(), b.drop()]);
  });

  it('gives each context its own migrated database: rows in one are not in the other', async () => {
    expect(a.database).not.toBe(b.database);
    await seedSql<ProjectRows>(a, childFirst);
    expect(await count(a, 'User')).toBe(1);
    expect(await count(b, 'User')).toBe(0);
    expect((await b.tables()).tables).toContain('Post');
    await a.reset();
  });

  it('seeds parents before children whatever the key order, where a naive loader fails', async () => {
    await expect(
      a.query(`INSERT INTO "Post" (id, "authorId", title) VALUES ('p0', 'nobody', 'orphan')`),
    ).rejects.toThrow(/foreign key/);
    await seedSql<ProjectRows>(a, childFirst);
    expect(await a.query('SELECT id, "authorId" FROM "Post"')).toEqual([{ id: 'p1', authorId: 'u1' }]);
    await a.reset();
  });

  it('reset empties every table but keeps tables, indexes and the migration history', async () => {
    const indexes = 'SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname';
    const before = await a.query(indexes, [a.schema]);
    await seedSql<ProjectRows>(a, childFirst);
    await a.reset();
    expect(await count(a, 'User')).toBe(0);
    expect(await count(a, 'Post')).toBe(0);
    expect(await count(a, '_prisma_migrations')).toBe(1);
    expect(await a.query(indexes, [a.schema])).toEqual(before);
    // the schema still works after the reset
    await seedSql<ProjectRows>(a, childFirst);
    expect(await count(a, 'Post')).toBe(1);
    await a.reset();
  });

  it('resets with DELETE, children first, when asked to', async () => {
    const ctx = await createPostgresContext({
      url: serverUrl,
      migrations: migrationsDir,
      resetStrategy: 'delete',
    });
    try {
      await seedSql<ProjectRows>(ctx, childFirst);
      await ctx.query(
        `INSERT INTO "Comment" (id, "postId", "authorId", body) VALUES ('c1', 'p1', 'u1', 'hi')`,
      );
      await ctx.reset();
      expect(await count(ctx, 'User')).toBe(0);
      expect(await count(ctx, 'Comment')).toBe(0);
    } finally {
      await ctx.drop();
    }
  });

  it('seeds through the Prisma Client, typed from its models, parents first', async () => {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: a.url }) });
    try {
      await seedPrisma(a, prisma, {
        post: [{ id: 'p1', authorId: 'u1', title: 'Hello' }],
        user: [{ id: 'u1', name: 'Ada', email: 'ada@example.com' }],
      });
      const post = await prisma.post.findUniqueOrThrow({ where: { id: 'p1' }, include: { author: true } });
      expect(post.author.name).toBe('Ada');
    } finally {
      await prisma.$disconnect();
      await a.reset();
    }
  });

  it('drop removes the database it created', async () => {
    const ctx = await createPostgresContext({ url: serverUrl });
    const exists = (): Promise<unknown[]> =>
      serverQuery(serverUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [ctx.database]);
    expect(await exists()).toHaveLength(1);
    await ctx.drop();
    expect(await exists()).toHaveLength(0);
  });

  it('isolates by schema when asked, for servers where you cannot create databases', async () => {
    const ctx = await createPostgresContext({
      url: serverUrl,
      isolation: 'schema',
      migrations: migrationsDir,
    });
    const schemaExists = (): Promise<unknown[]> =>
      serverQuery(serverUrl, 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [ctx.schema]);
    try {
      expect(ctx.schema).not.toBe('public');
      await seedSql<ProjectRows>(ctx, childFirst);
      // unqualified names reach the schema through the URL's search_path
      const direct = new pg.Client({ connectionString: ctx.url });
      await direct.connect();
      try {
        expect((await direct.query('SELECT title FROM "Post"')).rows).toEqual([{ title: 'Hello' }]);
      } finally {
        await direct.end();
      }
      const prisma = new PrismaClient({
        adapter: new PrismaPg({ connectionString: ctx.url }, { schema: ctx.schema }),
      });
      try {
        expect(await prisma.user.count()).toBe(1);
      } finally {
        await prisma.$disconnect();
      }
      await ctx.reset();
      expect(await count(ctx, 'Post')).toBe(0);
      expect(await schemaExists()).toHaveLength(1);
    } finally {
      await ctx.drop();
    }
    expect(await schemaExists()).toHaveLength(0);
  });
});
