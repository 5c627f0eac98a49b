// N+1 detection through the dbkit extension: a loop of findUnique is reported once with the caller's line, an include is not.
// Engine-independent logic, so it runs on PGlite only.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dbkitExtension } from '../../src/prisma/index.js';
import { createNPlusOneDetector } from '../../src/prisma/n-plus-one.js';
import type { NPlusOneReport } from '../../src/prisma/index.js';
import { openPglite } from './support.js';
import type { TestDb } from './support.js';

describe('[pglite] N+1 detection', () => {
  let db: TestDb;
  const reports: NPlusOneReport[] = [];
  const detector = createNPlusOneDetector({ threshold: 5, onDetect: (r) => reports.push(r) });
  let prisma: ReturnType<typeof extend>;
  function extend(d: TestDb) {
    return d.prisma.$extends(dbkitExtension({ nPlusOne: detector }));
  }
  const authorIds: string[] = [];
  beforeAll(async () => {
    db = await openPglite();
    prisma = extend(db);
    for (let i = 0; i < 10; i++) {
      const u = await prisma.user.create({
        data: {
          name: `u${i}`,
          email: `${randomUUID()}@x.io`,
          posts: { create: [{ title: 'a' }, { title: 'b' }] },
        },
      });
      authorIds.push(u.id);
    }
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(() => {
    reports.length = 0;
  });

  it('reports a loop of findUnique once, with the model, the caller’s line and a hint', async () => {
    await detector.scope(async () => {
      const posts = await prisma.post.findMany({ where: { authorId: { in: authorIds } } });
      for (const post of posts) await prisma.user.findUnique({ where: { id: post.authorId } });
    });
    expect(reports).toHaveLength(1);
    const [report] = reports;
    expect(report).toMatchObject({
      model: 'User',
      operation: 'findUnique',
      shape: '{where:{id:?}}',
      count: 6,
    });
    expect(report?.location).toMatch(/n-plus-one\.test\.ts:\d+:\d+$/);
    expect(report?.hint).toMatch(/include.*in/);
  });

  it('does not report the same data loaded with include, or with one `in` query', async () => {
    await detector.scope(async () => {
      const users = await prisma.user.findMany({
        where: { id: { in: authorIds } },
        include: { posts: true },
      });
      expect(users.flatMap((u) => u.posts)).toHaveLength(20);
      await prisma.post.findMany({ where: { authorId: { in: authorIds } } });
    });
    expect(reports).toEqual([]);
  });

  it('counts per request: five lookups in each of two scopes are not reported', async () => {
    for (let request = 0; request < 2; request++) {
      await detector.scope(async () => {
        for (const id of authorIds.slice(0, 5)) await prisma.user.findUnique({ where: { id } });
      });
    }
    expect(reports).toEqual([]);
  });
});
