// PGlite contexts: a fresh in-process database per file, reset in foreign-key order, seeded through Prisma, closed on drop.
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteContext } from '../../../src/testing/kit/pglite.js';
import type { PgliteTestContext } from '../../../src/testing/kit/pglite.js';
import { seedPrisma } from '../../../src/testing/kit/prisma-seed.js';
import { seedSql } from '../../../src/testing/kit/sql-seed.js';
import { PrismaClient } from '../../prisma/generated/client/client.js';
import { childFirst, migrationsDir } from './fixtures.js';
import type { ProjectRows } from './fixtures.js';

const count = async (ctx: PgliteTestContext, table: string): Promise<number> => {
  const [row] = await ctx.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
  return row?.n ?? -1;
};

describe('[pglite] isolated contexts', () => {
  let a: PgliteTestContext;
  let b: PgliteTestContext;

  beforeAll(async () => {
    a = await createPgliteContext({ migrations: migrationsDir });
    b = await createPgliteContext({ migrations: migrationsDir });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a.drop(), b.drop()]);
  });

  it('gives each context its own database: rows in one are not in the other', async () => {
    await seedSql<ProjectRows>(a, childFirst);
    expect(await count(a, 'Post')).toBe(1);
    expect(await count(b, 'Post')).toBe(0);
    await a.reset();
  });

  it('reset deletes children before parents and keeps the schema and migration history', async () => {
    await seedSql<ProjectRows>(a, childFirst);
    await a.query(`INSERT INTO "Comment" (id, "postId", "authorId", body) VALUES ('c1', 'p1', 'u1', 'hi')`);
    await a.reset();
    for (const table of ['User', 'Post', 'Comment']) expect(await count(a, table)).toBe(0);
    expect(await count(a, '_prisma_migrations')).toBe(1);
    expect((await a.tables()).insertOrder.indexOf('User')).toBeLessThan(
      (await a.tables()).insertOrder.indexOf('Comment'),
    );
  });

  it('seeds through a Prisma Client on the PGlite adapter', async () => {
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(a.pglite) });
    try {
      await seedPrisma(a, prisma, {
        post: [{ id: 'p1', authorId: 'u1', title: 'Hello' }],
        user: [{ id: 'u1', name: 'Ada', email: 'ada@example.com' }],
      });
      expect(await prisma.post.count({ where: { author: { name: 'Ada' } } })).toBe(1);
    } finally {
      await prisma.$disconnect();
      await a.reset();
    }
  });

  it('drop closes the instance, and dropping twice is harmless', async () => {
    await b.drop();
    expect(b.pglite.closed).toBe(true);
    await b.drop();
  });
});
