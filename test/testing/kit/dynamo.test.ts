// DynamoDB contexts: a renamed copy of the user's table per file, entities rebound to it, emptied between tests, deleted after.
import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEntity } from '../../../src/dynamo/entity.js';
import { defineTable } from '../../../src/dynamo/table.js';
import { createDynamoContext } from '../../../src/testing/kit/dynamo.js';
import type { DynamoTestContext } from '../../../src/testing/kit/dynamo.js';
import { describeEngine } from '../../helpers/engines.js';

// The user's production definitions: the kit never changes them.
const app = defineTable({
  name: 'kit_app',
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: { gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } },
});
const User = defineEntity(app, {
  name: 'User',
  schema: z.object({ id: z.string(), name: z.string() }),
  key: { pk: 'USER#{id}', sk: 'PROFILE' },
});
const Order = defineEntity(app, {
  name: 'Order',
  schema: z.object({ userId: z.string(), orderId: z.string(), total: z.number() }),
  key: { pk: 'USER#{userId}', sk: 'ORDER#{orderId}' },
  indexes: { gsi1: { pk: 'ORDER#{orderId}', sk: 'ORDER' } },
});
const entities = { User, Order };

describeEngine('dynamodb', (endpoint) => {
  let a: DynamoTestContext<typeof entities>;
  let b: DynamoTestContext<typeof entities>;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      createDynamoContext({ endpoint, entities }),
      createDynamoContext({ endpoint, entities, resetStrategy: 'recreate' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a.drop(), b.drop()]);
  });

  it('creates a renamed copy of the table per context and leaves the definitions alone', () => {
    expect(a.tableNames).toHaveLength(1);
    expect(a.tableNames[0]).not.toBe(b.tableNames[0]);
    expect(a.entities.User.table.name).toBe(a.tableNames[0]);
    expect(User.table.name).toBe('kit_app');
  });

  it('keeps two contexts apart: an item in one is not in the other', async () => {
    await a.seed({ User: [{ id: 'u1', name: 'Ada' }] });
    expect(await a.db.entity(a.entities.User).get({ id: 'u1' })).toEqual({ id: 'u1', name: 'Ada' });
    expect(await b.db.entity(b.entities.User).get({ id: 'u1' })).toBeNull();
    await a.reset();
  });

  it('reset deletes every item (past one batch) and keeps the table and its index', async () => {
    await a.seed({
      User: [{ id: 'u1', name: 'Ada' }],
      Order: Array.from({ length: 60 }, (_, i) => ({ userId: 'u1', orderId: `o${i}`, total: i })),
    });
    const orders = a.db.entity(a.entities.Order);
    expect((await orders.query({ partition: { userId: 'u1' }, limit: 100 })).items).toHaveLength(60);
    await a.reset();
    expect((await orders.query({ partition: { userId: 'u1' }, limit: 100 })).items).toHaveLength(0);
    expect(await a.db.entity(a.entities.User).get({ id: 'u1' })).toBeNull();
    const described = await a.db.client.send(new DescribeTableCommand({ TableName: a.tableNames[0] }));
    expect(described.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['gsi1']);
  });

  it('resets by recreating the table when asked to', async () => {
    await b.seed({ User: [{ id: 'u2', name: 'Grace' }] });
    await b.reset();
    expect(await b.db.entity(b.entities.User).get({ id: 'u2' })).toBeNull();
    await b.seed({ User: [{ id: 'u3', name: 'Linus' }] });
    expect(await b.db.entity(b.entities.User).get({ id: 'u3' })).not.toBeNull();
  });

  it('drop deletes the tables it created', async () => {
    const ctx = await createDynamoContext({ endpoint, tables: [app] });
    const name = ctx.tableNames[0] ?? '';
    const listed = async (): Promise<string[]> =>
      (await a.db.client.send(new ListTablesCommand({ ExclusiveStartTableName: name.slice(0, -1) })))
        .TableNames ?? [];
    expect(await listed()).toContain(name);
    await ctx.drop();
    expect(await listed()).not.toContain(name);
  });
});
