// Keyset pagination on real engines: every document exactly once, in order, signed query-bound cursors, no skip.
import { beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import type { CommandStartedEvent, Document } from 'mongodb';
import { ValidationError } from '../../src/core/internal.js';
import { explainFind } from '../../src/mongo/explain.js';
import { connectMongo, defineCollection, mongoRepository } from '../../src/mongo/index.js';
import type { MongoConnection, MongoRepository } from '../../src/mongo/index.js';
import { mongoSuite, TEST_CURSOR_SECRET } from './support.js';

const Posts = defineCollection({
  name: 'posts',
  schema: z.object({
    title: z.string(),
    authorId: z.string(),
    published: z.boolean(),
    score: z.number().nullable(),
    createdAt: z.date(),
  }),
  indexes: [
    { key: { createdAt: -1, _id: -1 } },
    { key: { authorId: 1, createdAt: -1 } },
    { key: { score: 1, _id: 1 } },
  ],
});

type Repo = MongoRepository<typeof Posts>;

async function walk(
  repo: Repo,
  filter: Parameters<Repo['paginate']>[0],
  options: Parameters<Repo['paginate']>[1],
): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const page: { items: { title: string }[]; cursor: string | null } = await repo.paginate(filter, {
      ...options,
      cursor,
    });
    seen.push(...page.items.map((p) => p.title));
    cursor = page.cursor;
    if (cursor === null) return seen;
  }
  throw new Error('pagination did not end');
}

mongoSuite('keyset pagination', (env) => {
  let repo: Repo;
  const base = Date.UTC(2024, 0, 1);
  beforeAll(async () => {
    repo = mongoRepository(env().mongo, Posts);
    await repo.syncIndexes();
    const ops = Array.from({ length: 61 }, (_, i) => ({
      insertOne: {
        document: {
          title: `post-${String(i).padStart(3, '0')}`,
          authorId: i % 3 === 0 ? 'a1' : 'a2',
          published: i % 2 === 0,
          // Ties on createdAt (groups of 4) and nulls in score exercise the tiebreaker and null handling.
          score: i % 5 === 0 ? null : i % 7,
          createdAt: new Date(base + Math.floor(i / 4) * 60_000),
        },
      },
    }));
    const report = await repo.bulkWrite(ops);
    expect(report.ok).toBe(true);
  });

  it('returns every document exactly once, newest first, across pages with ties', async () => {
    const all = await repo.findMany({}, { sort: { createdAt: -1, _id: -1 } });
    const titles = await walk(repo, {}, { sort: { createdAt: -1 }, limit: 7 });
    expect(titles).toHaveLength(61);
    expect(new Set(titles).size).toBe(61);
    expect(titles).toEqual(all.map((p) => p.title));
  });

  it('pages a filtered query in order', async () => {
    const titles = await walk(
      repo,
      { authorId: 'a1', published: true },
      { sort: { createdAt: -1 }, limit: 2 },
    );
    const expected = (
      await repo.findMany({ authorId: 'a1', published: true }, { sort: { createdAt: -1, _id: -1 } })
    ).map((p) => p.title);
    expect(titles).toEqual(expected);
    expect(titles.length).toBeGreaterThan(4);
  });

  it('pages ascending through null values without skipping any', async () => {
    const titles = await walk(repo, {}, { sort: { score: 1 }, limit: 6 });
    expect(new Set(titles).size).toBe(61);
    const expected = (await repo.findMany({}, { sort: { score: 1, _id: 1 } })).map((p) => p.title);
    expect(titles).toEqual(expected);
  });

  it('pages descending through null values without skipping any', async () => {
    const titles = await walk(repo, {}, { sort: { score: -1 }, limit: 5 });
    const expected = (await repo.findMany({}, { sort: { score: -1, _id: -1 } })).map((p) => p.title);
    expect(titles).toEqual(expected);
  });

  it('refuses a cursor replayed on another query, a tampered cursor and garbage', async () => {
    const first = await repo.paginate({ authorId: 'a1' }, { sort: { createdAt: -1 }, limit: 2 });
    expect(first.cursor).toEqual(expect.any(String));
    const cursor = first.cursor ?? '';
    await expect(
      repo.paginate({ authorId: 'a2' }, { sort: { createdAt: -1 }, limit: 2, cursor }),
    ).rejects.toMatchObject({ code: 'cursor.queryMismatch' });
    await expect(
      repo.paginate({ authorId: 'a1' }, { sort: { createdAt: 1 }, limit: 2, cursor }),
    ).rejects.toMatchObject({ code: 'cursor.queryMismatch' });
    const tampered = cursor.slice(0, -3) + (cursor.endsWith('AAA') ? 'BBB' : 'AAA');
    await expect(
      repo.paginate({ authorId: 'a1' }, { sort: { createdAt: -1 }, cursor: tampered }),
    ).rejects.toMatchObject({ code: 'cursor.invalidSignature' });
    await expect(repo.paginate({ authorId: 'a1' }, { cursor: '{"$gt":""}' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('fetches a deep page with a keyset range, never skip, at about the cost of page 1', async () => {
    const { url } = env();
    const commands: CommandStartedEvent[] = [];
    const watched: MongoConnection = await connectMongo({
      uri: url,
      dbName: env().mongo.db.databaseName,
      shared: false,
      cursorSecret: TEST_CURSOR_SECRET,
      client: { monitorCommands: true },
    });
    try {
      watched.client.on('commandStarted', (e) => commands.push(e));
      const deepRepo = mongoRepository(watched, Posts);
      const bulk = Array.from({ length: 3000 }, (_, i) => ({
        insertOne: {
          document: {
            title: `deep-${i}`,
            authorId: 'deep',
            published: true,
            score: i,
            createdAt: new Date(base + i * 1000),
          },
        },
      }));
      expect((await deepRepo.bulkWrite(bulk)).insertedCount).toBe(3000);
      // Page size 3: walking to page 1,000 in big steps (cursors are bound to filter and sort, not size).
      let cursor: string | null = null;
      for (let i = 0; i < 3; i++)
        cursor = (
          await deepRepo.paginate({ authorId: 'deep' }, { sort: { createdAt: -1 }, limit: 999, cursor })
        ).cursor;
      const time = async (c: string | null): Promise<number> => {
        const samples: number[] = [];
        for (let i = 0; i < 7; i++) {
          const begun = performance.now();
          const page = await deepRepo.paginate(
            { authorId: 'deep' },
            { sort: { createdAt: -1 }, limit: 3, cursor: c },
          );
          samples.push(performance.now() - begun);
          expect(page.items).toHaveLength(3);
        }
        return samples.sort((a, b) => a - b)[3] ?? 0;
      };
      commands.length = 0;
      const page1000 = await deepRepo.paginate(
        { authorId: 'deep' },
        { sort: { createdAt: -1 }, limit: 3, cursor },
      );
      expect(page1000.items.map((p) => p.title)).toEqual(['deep-2', 'deep-1', 'deep-0']);
      expect(page1000.cursor).toBeNull();
      const find = commands.find((c) => c.commandName === 'find');
      expect(find?.command.skip).toBeUndefined();
      expect(JSON.stringify(find?.command.filter)).toContain('$lt');
      const [first, deep] = [await time(null), await time(cursor)];
      expect(deep).toBeLessThan(first * 3 + 5);
      if (env().caps.explain === 'full' && find !== undefined) {
        // Where the server reports examined counts, the deep page reads about as many documents as it returns.
        const plan = await explainFind(watched.db.collection('posts'), {
          filter: find.command.filter as Document,
          sort: find.command.sort as Document,
          limit: 4,
        });
        expect(plan.usesIndex).toBe(true);
        expect(plan.docsExamined ?? 0).toBeLessThanOrEqual(4);
      }
    } finally {
      await watched.close();
    }
  });
});
