// MongoDB contexts: a database per file with the user's collections and indexes, emptied between tests, dropped after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isDbkitError } from '../../../src/core/errors.js';
import { defineCollection } from '../../../src/mongo/collection.js';
import { createMongoContext } from '../../../src/testing/kit/mongo.js';
import type { MongoTestContext } from '../../../src/testing/kit/mongo.js';
import { describeEngine, MONGO_ENGINES } from '../../helpers/engines.js';

const Users = defineCollection({
  name: 'users',
  schema: z.object({ name: z.string(), email: z.string() }),
  indexes: [{ key: { email: 1 }, unique: true }],
});
const Posts = defineCollection({ name: 'posts', schema: z.object({ title: z.string() }) });
const collections = { users: Users, posts: Posts };

for (const engine of MONGO_ENGINES) {
  describeEngine(engine, (url) => {
    describe('isolated contexts', () => {
      let a: MongoTestContext<typeof collections>;
      let b: MongoTestContext<typeof collections>;

      beforeAll(async () => {
        [a, b] = await Promise.all([
          createMongoContext({ url, collections }),
          createMongoContext({ url, collections }),
        ]);
      });
      afterAll(async () => {
        await Promise.all([a.drop(), b.drop()]);
      });

      it('gives each context its own database: a document in one is not in the other', async () => {
        expect(a.dbName).not.toBe(b.dbName);
        await a.seed({ users: [{ name: 'Ada', email: 'ada@example.com' }] });
        expect(await a.repo('users').count({})).toBe(1);
        expect(await b.repo('users').count({})).toBe(0);
        await a.reset();
      });

      it('reset empties collections but keeps them and their indexes', async () => {
        const indexNames = async (): Promise<string[]> =>
          (await a.db.collection('users').indexes()).map((i) => String(i.name)).sort();
        const before = await indexNames();
        expect(before).toContain('email_1');
        await a.seed({ users: [{ name: 'Ada', email: 'ada@example.com' }], posts: [{ title: 'Hello' }] });
        await a.reset();
        expect(await a.repo('users').count({})).toBe(0);
        expect(await a.repo('posts').count({})).toBe(0);
        expect(await indexNames()).toEqual(before);
        const names = (await a.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
        expect(names.sort()).toEqual(['posts', 'users']);
        // the unique index still holds after the reset
        await a.seed({ users: [{ name: 'Ada', email: 'ada@example.com' }] });
        const duplicate = await a
          .repo('users')
          .create({ name: 'Eve', email: 'ada@example.com' })
          .catch((e: unknown) => e);
        expect(isDbkitError(duplicate, 'conflict')).toBe(true);
        await a.reset();
      });

      it('validates seed documents with the collection schema', async () => {
        const bad = { users: [{ name: 'Ada' }] } as unknown as Parameters<typeof a.seed>[0];
        await expect(a.seed(bad)).rejects.toSatisfy((e: unknown) => isDbkitError(e, 'validation'));
      });

      it('drop removes the database it created', async () => {
        const ctx = await createMongoContext({ url, collections });
        const listed = async (): Promise<string[]> =>
          (await a.db.admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name);
        expect(await listed()).toContain(ctx.dbName);
        await ctx.drop();
        expect(await listed()).not.toContain(ctx.dbName);
      });
    });
  });
}
