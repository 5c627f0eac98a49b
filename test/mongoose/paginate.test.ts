// paginate on a real Mongoose model: every document exactly once across pages, tampered and foreign cursors refused.
import mongoose from 'mongoose';
import { beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src/core/internal.js';
import { defineCollection, mongoRepository } from '../../src/mongo/index.js';
import { paginate } from '../../src/mongoose/index.js';
import type { DbkitStatics } from '../../src/mongoose/index.js';
import { seedModels } from './models.js';
import { mongooseSuite } from './support.js';

type Models = ReturnType<typeof seedModels>;

mongooseSuite('paginate', (env) => {
  let models: Models;
  const authorId = new mongoose.Types.ObjectId();

  beforeAll(async () => {
    models = seedModels(env().conn, { connection: env().dbkit });
    // Indexes first: mongo-java-server fails writes that race its collection's index builds.
    await Promise.all([models.User.init(), models.Post.init(), models.Comment.init()]);
    const base = Date.UTC(2026, 0, 1);
    // Ten posts share each timestamp, so the `_id` tiebreaker decides order within a tie.
    await models.Post.insertMany(
      Array.from({ length: 100 }, (_, i) => ({
        title: `post ${String(i).padStart(3, '0')}`,
        content: 'c',
        authorId,
        seq: i,
        createdAt: new Date(base + Math.floor(i / 10) * 1000),
      })),
    );
  });

  it('walks 100 posts in pages of 7 without gaps or repeats', async () => {
    const { Post } = models;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof paginate<unknown>>> = await paginate(
        Post,
        { authorId },
        { sort: { createdAt: -1 }, limit: 7, cursor },
      );
      seen.push(...page.items.map((p) => (p as { title: string }).title));
      cursor = page.cursor;
      pages += 1;
    } while (cursor !== null && pages < 50);
    expect(pages).toBe(15);
    expect(seen).toHaveLength(100);
    expect(new Set(seen).size).toBe(100);
    const all = await Post.find({ authorId }).sort({ createdAt: -1, _id: -1 }).lean();
    expect(seen).toEqual(all.map((p) => p.title));
  });

  it('is also a static of every model the plugin is applied to', async () => {
    const Post = models.Post as typeof models.Post & DbkitStatics<{ title: string }>;
    const page = await Post.paginate({ authorId }, { sort: { seq: 1 }, limit: 3 });
    expect(page.items.map((p) => p.title)).toEqual(['post 000', 'post 001', 'post 002']);
  });

  it('takes a cursor and limit straight from a request (string | undefined)', async () => {
    const query: { cursor: string | undefined; limit: number | undefined } = {
      cursor: undefined,
      limit: undefined,
    };
    const first = await paginate(models.Post, { authorId }, { cursor: query.cursor, limit: query.limit });
    expect(first.items).toHaveLength(20);
    const second = await paginate(
      models.Post,
      { authorId },
      { cursor: first.cursor ?? undefined, limit: query.limit },
    );
    expect(second.items).toHaveLength(20);
  });

  it('refuses a tampered cursor and a cursor issued for another query', async () => {
    const { Post } = models;
    const first = await paginate(Post, { authorId }, { sort: { seq: 1 }, limit: 5 });
    expect(first.cursor).not.toBeNull();
    const token = first.cursor ?? '';
    const flipped = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
    const tampered = await paginate(
      Post,
      { authorId },
      { sort: { seq: 1 }, limit: 5, cursor: flipped },
    ).catch((e: unknown) => e);
    expect(tampered).toBeInstanceOf(ValidationError);
    const foreign = await paginate(
      Post,
      { title: 'post 001' },
      { sort: { seq: 1 }, limit: 5, cursor: token },
    ).catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(ValidationError);
    const resorted = await paginate(Post, { authorId }, { sort: { seq: -1 }, limit: 5, cursor: token }).catch(
      (e: unknown) => e,
    );
    expect(resorted).toBeInstanceOf(ValidationError);
  });

  it('guards the filter it pages over', async () => {
    const err = await paginate(models.Post, { title: JSON.parse('{"$ne": null}') as string }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
  });

  it('shares one pool with a dbkit repository on mongoose.connection.getClient()', async () => {
    const { conn, dbkit, shared, refused } = env();
    if (!shared) {
      // The application's mongodb has another BSON major than Mongoose's driver: refused at connect, clearly.
      expect(refused).toMatchObject({ name: 'UnsupportedError', code: 'unsupported.bsonVersion' });
      expect((refused as Error).message).toMatch(/BSON 7\.x .* BSON 6\.x/);
      return;
    }
    expect(dbkit.client).toBe(conn.getClient());
    const Tags = defineCollection({ name: 'tags', schema: z.object({ label: z.string() }) });
    await mongoRepository(dbkit, Tags).create({ label: 'written by dbkit' });
    const Tag = conn.model('Tag', new mongoose.Schema({ label: String }), 'tags');
    expect((await Tag.findOne().lean())?.label).toBe('written by dbkit');
  });
});
