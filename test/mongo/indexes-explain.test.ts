// syncIndexes (idempotent, drift report, drops nothing unasked) and explain / assertIndexed / the dev scan warning.
import { AssertionError } from 'node:assert';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { UnsupportedError } from '../../src/core/internal.js';
import type { Logger } from '../../src/core/internal.js';
import { and, connectMongo, defineCollection, mongoRepository, textSearch } from '../../src/mongo/index.js';
import type { IndexSpec } from '../../src/mongo/index.js';
import { mongoSuite, TEST_CURSOR_SECRET } from './support.js';

const schema = z.object({
  title: z.string(),
  content: z.string(),
  status: z.string(),
  authorId: z.string(),
  published: z.boolean(),
  views: z.number(),
  expiresAt: z.date().optional(),
  profile: z.object({ location: z.string() }).optional(),
  createdAt: z.date(),
});

const portable: IndexSpec[] = [
  { key: { title: 1 }, unique: true },
  { key: { status: 1, createdAt: -1 } },
  { key: { 'profile.location': 1 }, sparse: true },
];
const advanced: IndexSpec[] = [
  { key: { expiresAt: 1 }, expireAfterSeconds: 0 },
  { key: { authorId: 1, createdAt: -1 }, partialFilterExpression: { published: true } },
  { key: { title: 'text', content: 'text' }, weights: { title: 10, content: 1 } },
];

mongoSuite('indexes and explain', (env) => {
  describe('syncIndexes', () => {
    it('creates every declared index once and is idempotent', async (t) => {
      const { mongo, caps } = env();
      t.skip(!caps.ttl || !caps.partialIndexes, `${caps.flavor} lacks TTL / partial indexes`);
      const repo = mongoRepository(
        mongo,
        defineCollection({ name: 'all_kinds', schema, indexes: [...portable, ...advanced] }),
      );
      const first = await repo.syncIndexes({ onUnsupported: 'report' });
      const expectedText = caps.textIndexes ? ['title_text_content_text'] : [];
      expect(first.created).toEqual(
        expect.arrayContaining([
          'title_1',
          'status_1_createdAt_-1',
          'profile.location_1',
          'expiresAt_1',
          'authorId_1_createdAt_-1',
          ...expectedText,
        ]),
      );
      const second = await repo.syncIndexes({ onUnsupported: 'report' });
      expect(second.created).toEqual([]);
      expect(second.drifted).toEqual([]);
      expect(second.unchanged).toHaveLength(first.created.length);
      const ttl = (await repo.collection.listIndexes().toArray()).find((i) => i.name === 'expiresAt_1');
      expect(ttl?.expireAfterSeconds).toBe(0);
    });

    it('reports what the deployment cannot build and throws UnsupportedError by default', async (t) => {
      const { mongo, caps } = env();
      t.skip(caps.ttl && caps.partialIndexes, `${caps.flavor} builds TTL and partial indexes`);
      const repo = mongoRepository(
        mongo,
        defineCollection({ name: 'unsupported_kinds', schema, indexes: [...portable, ...advanced] }),
      );
      await expect(repo.syncIndexes()).rejects.toBeInstanceOf(UnsupportedError);
      const report = await repo.syncIndexes({ onUnsupported: 'report' });
      expect(report.unchanged).toEqual(expect.arrayContaining(['title_1', 'status_1_createdAt_-1']));
      // FerretDB v1 accepts `sparse` but does not keep it: the report says so instead of hiding it.
      const sparse = report.drifted.find((d) => d.name === 'profile.location_1');
      if (sparse) expect(sparse.differences).toEqual(['sparse: declared true, server false']);
      else expect(report.unchanged).toContain('profile.location_1');
      expect(report.unsupported.map((u) => u.name).length).toBeGreaterThan(0);
    });

    it('reports drift and undeclared indexes without dropping anything unless told to', async () => {
      const { mongo } = env();
      const def = defineCollection({
        name: 'drifting',
        schema,
        indexes: [{ key: { status: 1 }, unique: true }, { key: { views: -1 } }],
      });
      const repo = mongoRepository(mongo, def);
      await repo.collection.createIndex({ status: 1 }, { name: 'status_1' }, undefined);
      await repo.collection.createIndex({ authorId: 1 }, { name: 'authorId_1' }, undefined);
      const report = await repo.syncIndexes();
      expect(report.created).toEqual(['views_-1']);
      expect(report.drifted).toEqual([
        { name: 'status_1', differences: ['unique: declared true, server false'] },
      ]);
      expect(report.undeclared).toEqual(['authorId_1']);
      expect(report.dropped).toEqual([]);
      const names = (await repo.collection.listIndexes().toArray()).map((i) => String(i.name)).sort();
      expect(names).toEqual(['_id_', 'authorId_1', 'status_1', 'views_-1']);

      const fixed = await repo.syncIndexes({ recreateDrifted: true, dropUndeclared: true });
      expect(fixed.dropped.sort()).toEqual(['authorId_1', 'status_1']);
      expect(fixed.created).toEqual(['status_1']);
      const status = (await repo.collection.listIndexes().toArray()).find((i) => i.name === 'status_1');
      expect(status?.unique).toBe(true);
    });
  });

  it('searches text through the weighted text index, title matches first', async (t) => {
    const { mongo, caps } = env();
    t.skip(!caps.textIndexes, `${caps.flavor} has no $text queries`);
    const repo = mongoRepository(
      mongo,
      defineCollection({ name: 'searchable', schema, indexes: [advanced[2] as IndexSpec] }),
    );
    await repo.syncIndexes();
    const base = { status: 'live', authorId: 'a', published: true, views: 0, createdAt: new Date() };
    await repo.create({ ...base, title: 'About tea', content: 'coffee is mentioned here' });
    await repo.create({ ...base, title: 'Coffee roasting', content: 'beans' });
    await repo.create({ ...base, title: 'Unrelated', content: 'nothing' });
    const hits = await repo.aggregate<{ title: string }>([
      { $match: and(textSearch('coffee'), { published: true }) },
      { $sort: { score: { $meta: 'textScore' } } },
      { $project: { title: 1 } },
    ]);
    expect(hits.map((h) => h.title)).toEqual(['Coffee roasting', 'About tea']);
  });

  describe('explain', () => {
    const Articles = defineCollection({ name: 'articles', schema, indexes: portable });
    beforeAll(async () => {
      const repo = mongoRepository(env().mongo, Articles);
      await repo.syncIndexes();
      await repo.bulkWrite(
        Array.from({ length: 200 }, (_, i) => ({
          insertOne: {
            document: {
              title: `t${i}`,
              content: 'c',
              status: i % 2 ? 'draft' : 'live',
              authorId: `a${i % 10}`,
              published: true,
              views: i,
              createdAt: new Date(i * 1000),
            },
          },
        })),
      );
    });

    it('is an UnsupportedError where the server has no explain command', async (t) => {
      const { mongo, caps } = env();
      t.skip(caps.explain !== 'none', `${caps.flavor} has explain`);
      await expect(mongoRepository(mongo, Articles).explain({ status: 'live' })).rejects.toBeInstanceOf(
        UnsupportedError,
      );
    });

    it('summarises a query without an index as a collection scan, and assertIndexed fails it', async (t) => {
      const { mongo, caps } = env();
      t.skip(caps.explain === 'none', `${caps.flavor} has no explain command`);
      const repo = mongoRepository(mongo, Articles);
      const summary = await repo.explain({ authorId: 'a1' });
      expect(summary.collectionScan).toBe(true);
      expect(summary.usesIndex).toBe(false);
      await expect(repo.assertIndexed({ authorId: 'a1' })).rejects.toBeInstanceOf(AssertionError);
    });

    it('summarises an indexed query as an index scan with examined close to returned', async (t) => {
      const { mongo, caps } = env();
      t.skip(
        caps.explain !== 'full',
        `${caps.flavor}: ${caps.flavor === 'ferretdb' ? "the SQLite backend's plan is a table SCAN for every query" : 'no explain command'}`,
      );
      const repo = mongoRepository(mongo, Articles);
      const summary = await repo.assertIndexed(
        { status: 'live' },
        { sort: { createdAt: -1 }, limit: 5, maxExaminedPerReturned: 1 },
      );
      expect(summary.stage).toMatch(/IXSCAN/);
      expect(summary.indexName).toBe('status_1_createdAt_-1');
      expect(summary.returned).toBe(5);
    });

    it('warns once per query shape, in development, when a repository query scans the collection', async (t) => {
      const { url, mongo, caps } = env();
      t.skip(caps.explain === 'none', `${caps.flavor} has no explain command`);
      const warn = vi.fn();
      const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn, error: vi.fn() };
      const dev = await connectMongo({
        uri: url,
        dbName: mongo.db.databaseName,
        shared: false,
        logger,
        warnOnCollectionScan: true,
        cursorSecret: TEST_CURSOR_SECRET,
      });
      try {
        const repo = mongoRepository(dev, Articles);
        await repo.findMany({ authorId: 'a1' });
        await repo.findMany({ authorId: 'a2' });
        await repo.findOne({ authorId: 'a3' });
        await vi.waitFor(() => {
          expect(warn).toHaveBeenCalled();
        });
        await new Promise((r) => setTimeout(r, 100));
        const scans = warn.mock.calls.filter(([, message]) =>
          String(message).includes('scans the whole collection'),
        );
        expect(scans).toHaveLength(1);
        expect(scans[0]?.[0]).toMatchObject({ collection: 'articles' });
      } finally {
        await dev.close();
      }
    });
  });
});
