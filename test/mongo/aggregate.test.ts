// Aggregation passthrough: the seed's "top 10 authors with their latest post" pipeline, and $match guarded.
import { beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src/core/internal.js';
import { defineCollection, mongoRepository, ObjectId, op, trusted } from '../../src/mongo/index.js';
import type { MongoRepository, PipelineStage } from '../../src/mongo/index.js';
import { mongoSuite } from './support.js';

const Users = defineCollection({
  name: 'users',
  schema: z.object({ name: z.string(), email: z.string() }),
});
const Posts = defineCollection({
  name: 'posts',
  schema: z.object({
    title: z.string(),
    authorId: z.instanceof(ObjectId),
    published: z.boolean(),
    createdAt: z.date(),
  }),
  indexes: [{ key: { published: 1, createdAt: -1 } }],
});

interface TopAuthor {
  authorName: string;
  authorEmail: string;
  postCount: number;
  latestPostTitle: string;
  latestPostDate: Date;
}

/** The seed's pipeline, as written there, through the repository. */
function topAuthors(posts: MongoRepository<typeof Posts>): Promise<TopAuthor[]> {
  return posts.aggregate<TopAuthor>([
    { $match: { published: true } },
    { $sort: { createdAt: -1 } },
    {
      $group: {
        _id: '$authorId',
        postCount: { $sum: 1 },
        latestPostTitle: { $first: '$title' },
        latestPostDate: { $first: '$createdAt' },
      },
    },
    { $sort: { postCount: -1 } },
    { $limit: 10 },
    { $lookup: { from: 'users', localField: '_id', foreignField: '_id', as: 'author' } },
    { $unwind: '$author' },
    {
      $project: {
        _id: 0,
        authorName: '$author.name',
        authorEmail: '$author.email',
        postCount: 1,
        latestPostTitle: 1,
        latestPostDate: 1,
      },
    },
  ]);
}

mongoSuite('aggregation', (env) => {
  let users: MongoRepository<typeof Users>;
  let posts: MongoRepository<typeof Posts>;
  const authorIds: ObjectId[] = [];
  const base = Date.UTC(2024, 5, 1);

  beforeAll(async () => {
    users = mongoRepository(env().mongo, Users);
    posts = mongoRepository(env().mongo, Posts);
    // 12 authors: author i has i+1 published posts and one draft newer than all of them.
    for (let i = 0; i < 12; i++)
      authorIds.push((await users.create({ name: `Author ${i}`, email: `a${i}@example.com` }))._id);
    const ops = authorIds.flatMap((authorId, i) => [
      ...Array.from({ length: i + 1 }, (_, j) => ({
        insertOne: {
          document: {
            title: `a${i}-p${j}`,
            authorId,
            published: true,
            createdAt: new Date(base + (i * 100 + j) * 60_000),
          },
        },
      })),
      {
        insertOne: {
          document: {
            title: `a${i}-draft`,
            authorId,
            published: false,
            createdAt: new Date(base + 10_000 * 60_000),
          },
        },
      },
    ]);
    expect((await posts.bulkWrite(ops)).ok).toBe(true);
  });

  it('runs the seed’s top-10-authors pipeline with each author’s latest published post', async (t) => {
    const { caps } = env();
    t.skip(!caps.joins, `${caps.flavor} lacks $lookup (and FerretDB v1 also lacks the $first accumulator)`);
    const top = await topAuthors(posts);
    expect(top).toHaveLength(10);
    expect(top.map((a) => a.postCount)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    expect(top[0]).toEqual({
      authorName: 'Author 11',
      authorEmail: 'a11@example.com',
      postCount: 12,
      latestPostTitle: 'a11-p11',
      latestPostDate: new Date(base + (1100 + 11) * 60_000),
    });
  });

  it('counts posts per author with $match / $group / $sort / $limit everywhere', async () => {
    const counts = await posts.aggregate<{ _id: ObjectId; postCount: number }>([
      { $match: { published: true, createdAt: op.gte(new Date(base)) } },
      { $group: { _id: '$authorId', postCount: { $sum: 1 } } },
      { $sort: { postCount: -1 } },
      { $limit: 3 },
    ]);
    expect(counts.map((c) => c.postCount)).toEqual([12, 11, 10]);
    expect(String(counts[0]?._id)).toBe(String(authorIds[11]));
  });

  it('guards $match stages built from input and refuses JavaScript anywhere in the pipeline', async () => {
    const body = JSON.parse('{"published":{"$ne":null}}') as Record<string, unknown>;
    await expect(posts.aggregate([{ $match: body }])).rejects.toBeInstanceOf(ValidationError);
    await expect(
      posts.aggregate([
        { $match: { published: true } },
        { $addFields: { x: { $function: { body: 'return 1', args: [], lang: 'js' } } } },
      ]),
    ).rejects.toMatchObject({
      code: 'injection.javascript',
    });
    await expect(posts.aggregate([{ $match: { published: true }, $limit: 1 }])).rejects.toMatchObject({
      code: 'pipeline.invalid',
    });
    const count = await posts.aggregate<{ n: number }>([
      trusted({ $match: { published: { $ne: false } } }),
      { $count: 'n' },
    ]);
    expect(count[0]?.n).toBe(78);
  });

  it('guards $match stages inside $lookup, $facet and $unionWith sub-pipelines like top-level ones', async () => {
    const forged = JSON.parse('{"email":{"$gt":""}}') as Record<string, unknown>;
    const lookup = (pipeline: unknown[]): PipelineStage => ({
      $lookup: { from: 'users', as: 'author', pipeline },
    });
    const cases: [string, PipelineStage[], (string | number)[]][] = [
      [
        '$lookup.pipeline',
        [lookup([{ $match: forged }])],
        ['pipeline', 0, '$lookup', 'pipeline', 0, '$match', 'email'],
      ],
      [
        '$facet branch',
        [{ $facet: { byEmail: [{ $match: forged }] } }],
        ['pipeline', 0, '$facet', 'byEmail', 0, '$match', 'email'],
      ],
      [
        '$unionWith.pipeline',
        [{ $unionWith: { coll: 'users', pipeline: [{ $match: forged }] } }],
        ['pipeline', 0, '$unionWith', 'pipeline', 0, '$match', 'email'],
      ],
      [
        '$lookup in a $facet branch',
        [{ $facet: { deep: [lookup([{ $match: forged }])] } }],
        ['pipeline', 0, '$facet', 'deep', 0, '$lookup', 'pipeline', 0, '$match', 'email'],
      ],
    ];
    for (const [label, pipeline, path] of cases) {
      const err = await posts.aggregate(pipeline).catch((e: unknown) => e);
      expect(err, label).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues[0]?.path.slice(0, path.length), label).toEqual(path);
    }
    // Server-side JavaScript and operator expressions in `let` are refused there too.
    await expect(
      posts.aggregate([lookup([{ $match: JSON.parse('{"$where":"true"}') as Record<string, unknown> }])]),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      posts.aggregate([
        {
          $lookup: {
            from: 'users',
            as: 'a',
            let: { v: JSON.parse('{"$function":{"body":"return 1","args":[],"lang":"js"}}') as unknown },
            pipeline: [],
          },
        },
      ]),
    ).rejects.toMatchObject({ code: 'injection.javascript' });
    await expect(
      posts.aggregate([
        {
          $lookup: {
            from: 'users',
            as: 'a',
            let: { v: JSON.parse('{"$literal":"x"}') as unknown },
            pipeline: [],
          },
        },
      ]),
    ).rejects.toMatchObject({ code: 'injection.operator' });
  });

  it('refuses a forged operator in a $lookup sub-pipeline that would otherwise join every user', async (t) => {
    const { caps } = env();
    t.skip(!caps.joins, `${caps.flavor} lacks $lookup`);
    const forged = JSON.parse('{"email":{"$gt":""}}') as Record<string, unknown>;
    const joined = (match: Record<string, unknown> | ReturnType<typeof trusted>) =>
      posts.aggregate<{ author: unknown[] }>([
        { $match: { title: 'a0-p0' } },
        { $lookup: { from: 'users', as: 'author', pipeline: [{ $match: match }] } },
      ]);
    const supported = await joined(trusted({ email: { $gt: '' } })).catch(() => undefined);
    t.skip(supported === undefined, `${caps.flavor} lacks $lookup with a pipeline`);
    // What the forged filter does when it reaches the server: every user is joined (the leak).
    expect(supported?.[0]?.author).toHaveLength(12);
    await expect(joined(forged)).rejects.toBeInstanceOf(ValidationError);
    // The same request with a plain value is compared literally and joins only the match.
    expect((await joined({ email: 'a3@example.com' }))[0]?.author).toHaveLength(1);
  });

  it('answers a NUL byte in a nested filter key with a ValidationError naming the path', async () => {
    const body = JSON.parse('{"author":{"na\\u0000me":"x"}}') as Record<string, unknown>;
    const err = await posts.aggregate([{ $match: body }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]).toMatchObject({
      path: ['pipeline', 0, '$match', 'author', 'na\u0000me'],
      code: 'injection.nullByte',
    });
    await expect(posts.findMany(body)).rejects.toMatchObject({
      kind: 'validation',
      issues: [{ path: ['author', 'na\u0000me'] }],
    });
  });
});
