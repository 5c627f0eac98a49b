// The documented filter and option forms type-check: and/or/nor over text searches, nested logicals and
// trusted filters; options passed straight from a request under exactOptionalPropertyTypes.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { and, defineCollection, nor, op, or, textSearch, trusted } from '../../src/mongo/index.js';
import type { FilterInput, MongoRepository, PageOptions } from '../../src/mongo/index.js';
import { guardFilter } from '../../src/mongo/injection-guard.js';

const Posts = defineCollection({
  name: 'posts',
  schema: z.object({ title: z.string(), published: z.boolean(), likeCount: z.number(), role: z.string() }),
  indexes: [{ key: { title: 'text' } }],
});
type PostsFilter = FilterInput<typeof Posts>;

// Stands in for an HTTP framework's parsed query string.
const req: { query: { q: string; cursor: string | undefined; limit: number | undefined } } = {
  query: { q: 'coffee', cursor: undefined, limit: undefined },
};

describe('filter helper types', () => {
  it('accepts a text search, or() and trusted() inside and()', () => {
    expectTypeOf(and(textSearch(req.query.q), { published: true })).toExtend<PostsFilter>();
    expectTypeOf(
      and(or({ role: 'admin' }, { role: 'moderator' }), { published: true }),
    ).toExtend<PostsFilter>();
    expectTypeOf(
      or(and({ published: true }, { likeCount: op.gte(10) }), { role: 'admin' }),
    ).toExtend<PostsFilter>();
    expectTypeOf(nor(textSearch('x'), trusted({ $expr: { $gt: ['$a', '$b'] } }))).toExtend<PostsFilter>();
  });

  it('still refuses values of the wrong type, inside logicals too', () => {
    expectTypeOf({ published: 'yes' }).not.toExtend<PostsFilter>();
    expectTypeOf(and({ published: 'yes' })).not.toExtend<PostsFilter>();
    expectTypeOf(and(or({ likeCount: 'many' }), { published: true })).not.toExtend<PostsFilter>();
  });

  it('accepts options passed through from a request', () => {
    const options: PageOptions<typeof Posts, never> = { cursor: req.query.cursor, limit: req.query.limit };
    expectTypeOf(options).toExtend<Parameters<MongoRepository<typeof Posts>['paginate']>[1]>();
  });

  it('guards the documented forms into the filters the server expects', () => {
    const filter: PostsFilter = and(or({ role: 'admin' }, { role: 'moderator' }), { published: true });
    expect(guardFilter(filter, { target: Posts.name })).toEqual({
      $and: [
        { $or: [{ role: { $eq: 'admin' } }, { role: { $eq: 'moderator' } }] },
        { published: { $eq: true } },
      ],
    });
    const search: PostsFilter = and(textSearch('coffee'), { published: true });
    expect(guardFilter(search, { target: Posts.name })).toEqual({
      $and: [{ $text: { $search: 'coffee' } }, { published: { $eq: true } }],
    });
  });
});
