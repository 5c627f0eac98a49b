// The publishDrafts tests, written once: each test file runs them on its own isolated SQL database.
import { expect, it } from 'vitest';
import { seedPrisma } from 'dbkit/testing';
import { publishDrafts } from '../app/services.js';
import { usePrisma } from './prisma.js';

/**
 * Registers the publishDrafts tests on the database `db` gives. Several files call it with the
 * same ids at once: each has its own database, so none sees another's rows.
 *
 * @example
 * ```ts
 * draftsTests(usePglite())
 * ```
 */
export function draftsTests(db: Parameters<typeof usePrisma>[0]): void {
  const prisma = usePrisma(db);

  it("publishes the author's drafts and nobody else's", async () => {
    // listed child first: the kit inserts users before posts, as the foreign keys require
    await seedPrisma(db(), prisma(), {
      post: [
        { id: 'p1', authorId: 'u1', title: 'Draft' },
        { id: 'p2', authorId: 'u1', title: 'Live', published: true },
        { id: 'p3', authorId: 'u2', title: 'Other draft' },
      ],
      user: [
        { id: 'u1', name: 'Ada', email: 'ada@example.com' },
        { id: 'u2', name: 'Grace', email: 'grace@example.com' },
      ],
    });
    expect(await publishDrafts(prisma(), 'u1')).toBe(1);
    expect(await prisma().post.count({ where: { published: false } })).toBe(1);
  });

  it('starts every test with empty tables and the schema in place', async () => {
    expect(await prisma().user.count()).toBe(0);
    expect(await prisma().post.count()).toBe(0);
    // the unique email index survived the reset: the same address twice is refused
    await prisma().user.create({ data: { id: 'u9', name: 'Ada', email: 'ada@example.com' } });
    await expect(
      prisma().user.create({ data: { id: 'u8', name: 'Eve', email: 'ada@example.com' } }),
    ).rejects.toThrow();
  });
}
