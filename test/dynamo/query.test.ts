// Queries on DynamoDB Local: pagination with signed cursors, sort conditions, GSIs, filters, projections, collections and scans.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isDbkitError } from '../../src/core/internal.js';
import type { Page } from '../../src/core/internal.js';
import type { CollectionPage, EntityItem } from '../../src/dynamo/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { defineModel, testClient } from './model.js';

describeEngine('dynamodb', (endpoint) => {
  const model = defineModel(uniqueName('dbkit_query'));
  const db = testClient(endpoint);
  const users = db.entity(model.User);
  const posts = db.entity(model.Post);
  const postId = (i: number): string => String(i).padStart(4, '0');

  beforeAll(async () => {
    await db.ensureTable(model.table);
    await users.create({ id: 'author', email: 'author@example.com', name: 'Author' });
    await posts.batchWrite({
      put: Array.from({ length: 250 }, (_, i) => ({
        userId: 'author',
        postId: postId(i),
        title: `Post ${i}`,
        likes: i % 10,
        published: i % 2 === 0,
      })),
    });
    await users.create({ id: 'other', email: 'other@example.com', name: 'Other' });
    await posts.create({ userId: 'other', postId: '0001', title: 'Not yours' });
  });
  afterAll(async () => {
    await db.deleteTable(model.table);
    db.destroy();
  });

  it('fetches 250 posts page by page with no item missed or repeated, and no raw key in the cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page<EntityItem<typeof model.Post>> = await posts.query({
        partition: { userId: 'author' },
        limit: 40,
        cursor,
      });
      seen.push(...page.items.map((p) => p.postId));
      cursor = page.cursor;
      if (cursor !== null) expect(cursor).not.toContain('author');
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBeGreaterThanOrEqual(7);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => postId(i)));
  });

  it('rejects a tampered cursor and a cursor from another query', async () => {
    const first = await posts.query({ partition: { userId: 'author' }, limit: 10 });
    const token = first.cursor ?? '';
    const tampered = token.slice(0, 20) + (token[20] === 'A' ? 'B' : 'A') + token.slice(21);
    const err = await posts
      .query({ partition: { userId: 'author' }, limit: 10, cursor: tampered })
      .catch((e: unknown) => e);
    expect(isDbkitError(err, 'cursor.')).toBe(true);
    const replay = await posts
      .query({ partition: { userId: 'other' }, limit: 10, cursor: token })
      .catch((e: unknown) => e);
    expect(isDbkitError(replay, 'cursor.queryMismatch')).toBe(true);
    const forged = Buffer.from(JSON.stringify({ pk: 'USER#other', sk: 'POST#0001' })).toString('base64');
    const raw = await posts
      .query({ partition: { userId: 'author' }, cursor: forged })
      .catch((e: unknown) => e);
    expect(isDbkitError(raw, 'cursor.')).toBe(true);
  });

  it('applies sort-key conditions and direction', async () => {
    const between = await posts.query({
      partition: { userId: 'author' },
      sort: { between: [{ postId: '0010' }, { postId: '0014' }] },
    });
    expect(between.items.map((p) => p.postId)).toEqual(['0010', '0011', '0012', '0013', '0014']);
    const prefix = await posts.query({
      partition: { userId: 'author' },
      sort: { beginsWith: { postId: '024' } },
      order: 'desc',
    });
    expect(prefix.items.map((p) => p.postId)).toEqual([
      '0249',
      '0248',
      '0247',
      '0246',
      '0245',
      '0244',
      '0243',
      '0242',
      '0241',
      '0240',
    ]);
    const eq = await posts.query({ partition: { userId: 'author' }, sort: { eq: { postId: '0100' } } });
    expect(eq.items.map((p) => p.title)).toEqual(['Post 100']);
    const lt = await posts.query({ partition: { userId: 'author' }, sort: { lt: { postId: '0003' } } });
    expect(lt.items.map((p) => p.postId)).toEqual(['0000', '0001', '0002']);
    const newest = await posts.query({ partition: { userId: 'author' }, order: 'desc', limit: 1 });
    expect(newest.items[0]?.postId).toBe('0249');
  });

  it('filters after the key condition and projects selected attributes', async () => {
    const page = await posts.query({
      partition: { userId: 'author' },
      filter: { likes: { gte: 9 }, published: false },
      limit: 1000,
    });
    expect(page.items.map((p) => p.postId)).toEqual(Array.from({ length: 25 }, (_, i) => postId(i * 10 + 9)));
    const projected = await posts.query({ partition: { userId: 'author' }, select: ['title'], limit: 2 });
    expect(projected.items).toEqual([{ title: 'Post 0' }, { title: 'Post 1' }]);
  });

  it('queries a GSI by its template', async () => {
    const found = await users.query({ index: 'gsi1', partition: { email: 'author@example.com' } });
    expect(found.items.map((u) => u.id)).toEqual(['author']);
  });

  it('reads a user and all their posts in one query, each parsed by its own schema and grouped', async () => {
    const col = db.collection({ user: model.User, posts: model.Post });
    let userCount = 0;
    let postCount = 0;
    let cursor: string | null = null;
    let requests = 0;
    do {
      const page: CollectionPage<{ user: typeof model.User; posts: typeof model.Post }> = await col.query({
        via: 'user',
        partition: { id: 'author' },
        limit: 1000,
        cursor,
      });
      userCount += page.items.user.length;
      postCount += page.items.posts.length;
      if (page.items.user[0]) expect(page.items.user[0]).toMatchObject({ name: 'Author', version: 1 });
      cursor = page.cursor;
      requests += 1;
    } while (cursor !== null);
    expect(requests).toBeLessThanOrEqual(2);
    expect({ userCount, postCount }).toEqual({ userCount: 1, postCount: 250 });
  });

  it('queryAll iterates pages and stops at the item bound', async () => {
    let total = 0;
    let pages = 0;
    for await (const page of posts.queryAll(
      { partition: { userId: 'author' }, limit: 30 },
      { maxItems: 100 },
    )) {
      total += page.items.length;
      pages += 1;
    }
    expect(total).toBe(100);
    expect(pages).toBe(4);
  });

  it('refuses to scan without the opt-in, and scans in parallel segments with it', async () => {
    const refused = await db.scan(model.table, {} as never).catch((e: unknown) => e);
    expect(isDbkitError(refused, 'scan.notAllowed')).toBe(true);
    const ids: string[] = [];
    for await (const page of posts.scanAll({ allowScan: true, segments: 4, limit: 100 }))
      ids.push(...page.items.map((p) => `${p.userId}/${p.postId}`));
    expect(ids).toHaveLength(251);
    expect(new Set(ids).size).toBe(251);
  });
});
