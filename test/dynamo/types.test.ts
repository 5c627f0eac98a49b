// Types are inferred end to end from the schema and key templates; mistakes are type errors (checked by tsc).
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createDynamoClient, defineEntity } from '../../src/dynamo/index.js';
import type { CollectionPage, EntityItem, EntityKey } from '../../src/dynamo/index.js';
import type { TemplateVars } from '../../src/dynamo/key-template.js';
import { CURSOR_SECRET, defineModel } from './model.js';

const { table, User, Post } = defineModel('types_app');

describe('inferred types', () => {
  it('parses template attributes from the template text', () => {
    expectTypeOf<TemplateVars<'ORG#{orgId}#USER#{userId}'>>().toEqualTypeOf<'orgId' | 'userId'>();
    expectTypeOf<TemplateVars<'PROFILE'>>().toEqualTypeOf<never>();
  });

  it('infers keys and items, with managed fields only where enabled', () => {
    expectTypeOf<EntityKey<typeof User>>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<EntityKey<typeof Post>>().toEqualTypeOf<{ userId: string; postId: string }>();
    expectTypeOf<EntityItem<typeof User>['version']>().toEqualTypeOf<number>();
    expectTypeOf<EntityItem<typeof User>['createdAt']>().toEqualTypeOf<string>();
    expectTypeOf<EntityItem<typeof Post>>().not.toHaveProperty('version');
  });

  it('makes a wrong attribute name in a template a type error', () => {
    const schema = z.object({ id: z.string() });
    const bad = { pk: 'BAD#{idd}', sk: 'X' } as const;
    const badIndex = { gsi1: { pk: 'X#{nope}', sk: 'Y' } } as const;
    const good = { pk: 'GOOD#{id}', sk: 'X' } as const;
    // @ts-expect-error `idd` is not an attribute of the schema
    const Bad = defineEntity(table, { name: 'Bad', schema, key: bad });
    // @ts-expect-error nor is `nope`, in an index template
    defineEntity(table, { name: 'Bad2', schema, key: good, indexes: badIndex });
    const Good = defineEntity(table, { name: 'Good', schema, key: good });
    expect(Good.key({ id: '1' })).toEqual({ pk: 'GOOD#1', sk: 'X' });
    expect(Bad.name).toBe('Bad');
  });

  it('types operations from the entity', () => {
    const db = createDynamoClient({ local: 'http://127.0.0.1:1', cursorSecret: CURSOR_SECRET });
    const users = db.entity(User);
    expectTypeOf<Parameters<typeof users.get>[0]>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<Awaited<ReturnType<typeof users.get>>>().toEqualTypeOf<EntityItem<typeof User> | null>();
    const posts = db.entity(Post);
    // @ts-expect-error the GSI partition of User is the email
    void users.query({ index: 'gsi1', partition: { id: '1' } }).catch(() => undefined);
    // @ts-expect-error Post has no template for gsi1
    void posts.query({ index: 'gsi1', partition: { userId: '1' } }).catch(() => undefined);
    // @ts-expect-error increment only takes numeric attributes
    void users.update({ id: '1' }, { increment: { name: 1 } }).catch(() => undefined);
    // @ts-expect-error remove only takes optional attributes
    void users.update({ id: '1' }, { remove: ['email'] }).catch(() => undefined);
    expectTypeOf<Awaited<ReturnType<typeof posts.query>>['cursor']>().toEqualTypeOf<string | null>();
    db.destroy();
  });

  it('types a grouped collection by its keys', () => {
    type Items = CollectionPage<{ user: typeof User; posts: typeof Post }>['items'];
    expectTypeOf<Items['posts']>().toEqualTypeOf<EntityItem<typeof Post>[]>();
  });

  it('takes a cursor and a limit straight from a request, where either may be undefined', () => {
    const db = createDynamoClient({ local: 'http://127.0.0.1:1', cursorSecret: CURSOR_SECRET });
    const request = { query: {} as { cursor?: string; limit?: number } };
    const { cursor, limit } = request.query;
    const posts = db.entity(Post);
    // Under exactOptionalPropertyTypes each of these is a type error unless the option admits `undefined`.
    void posts.query({ partition: { userId: '1' }, cursor, limit }).catch(() => undefined);
    void posts.list({ partition: { userId: '1' } }, { cursor, limit }).catch(() => undefined);
    void posts
      .queryAll({ partition: { userId: '1' } }, { maxItems: limit })
      .next()
      .catch(() => undefined);
    void posts.scan({ allowScan: true, cursor, limit }).catch(() => undefined);
    void db.scan(table, { allowScan: true, cursor, limit }).catch(() => undefined);
    void db
      .collection({ user: User, posts: Post })
      .query({ via: 'user', partition: { id: '1' }, cursor, limit })
      .catch(() => undefined);
    void posts.get({ userId: '1', postId: '2' }, { timeoutMs: limit }).catch(() => undefined);
    expect(cursor).toBeUndefined();
    db.destroy();
  });
});
