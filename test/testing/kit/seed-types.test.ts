// Seed data is typed from the user's definitions: Prisma models, dbkit entities and collections.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineEntity } from '../../../src/dynamo/entity.js';
import { defineTable } from '../../../src/dynamo/table.js';
import { defineCollection } from '../../../src/mongo/collection.js';
import type { DynamoSeedData } from '../../../src/testing/kit/dynamo.js';
import type { MongoSeedData } from '../../../src/testing/kit/mongo.js';
import type { CreateManyRow, PrismaModelName, PrismaSeedData } from '../../../src/testing/kit/prisma-seed.js';
import type { SqlSeedData } from '../../../src/testing/kit/sql-seed.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client/client.js';
import type { ProjectRows } from './fixtures.js';

const app = defineTable({ name: 'app', partitionKey: 'pk', sortKey: 'sk' });
export const User = defineEntity(app, {
  name: 'User',
  schema: z.object({ id: z.string(), name: z.string(), age: z.number().optional() }),
  key: { pk: 'USER#{id}', sk: 'PROFILE' },
});
export const Users = defineCollection({
  name: 'users',
  schema: z.object({ name: z.string(), email: z.string() }),
});

describe('seed typing', () => {
  it('types Prisma seeds by delegate, each row as the model createMany input', () => {
    expectTypeOf<PrismaModelName<PrismaClient>>().toEqualTypeOf<
      'user' | 'post' | 'comment' | 'account' | 'transfer' | 'session' | 'organization' | 'membership'
    >();
    expectTypeOf<CreateManyRow<PrismaClient['user']>>().toEqualTypeOf<Prisma.UserCreateManyInput>();
    expectTypeOf<{ user: [{ id: string; name: string; email: string }] }>().toExtend<
      PrismaSeedData<PrismaClient>
    >();
    // a misspelt field, a missing required field, or an unknown model does not compile
    expectTypeOf<{ user: [{ id: string; name: string; emial: string }] }>().not.toExtend<
      PrismaSeedData<PrismaClient>
    >();
    expectTypeOf<{ user: [{ id: string }] }>().not.toExtend<PrismaSeedData<PrismaClient>>();
    expectTypeOf<{ users: [] }>().not.toExtend<PrismaSeedData<PrismaClient>>();
  });

  it('types DynamoDB seeds by entity, each item as its create input', () => {
    type Data = DynamoSeedData<{ User: typeof User }>;
    expectTypeOf<{ User: [{ id: string; name: string }] }>().toExtend<Data>();
    expectTypeOf<{ User: [{ id: string; name: number }] }>().not.toExtend<Data>();
    expectTypeOf<{ User: [{ name: string }] }>().not.toExtend<Data>();
  });

  it('types MongoDB seeds by collection, each document as its create input', () => {
    type Data = MongoSeedData<{ users: typeof Users }>;
    expectTypeOf<{ users: [{ name: string; email: string }] }>().toExtend<Data>();
    expectTypeOf<{ users: [{ name: string }] }>().not.toExtend<Data>();
  });

  it('types SQL seeds by the row map you declare', () => {
    expectTypeOf<{ User: [ProjectRows['User']] }>().toExtend<SqlSeedData<ProjectRows>>();
    expectTypeOf<{ User: [{ id: string }] }>().not.toExtend<SqlSeedData<ProjectRows>>();
  });
});
