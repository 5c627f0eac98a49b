// The example user's production data definitions: a DynamoDB table with entities and MongoDB collections (SQL lives in prisma/).
import { z } from 'zod';
import { defineEntity, defineTable } from 'dbkit/dynamo';
import { defineCollection } from 'dbkit/mongo';

/** The production table; tests get a renamed copy per file. */
export const shop = defineTable({ name: 'shop', partitionKey: 'pk', sortKey: 'sk' });

/** A customer, one item per customer. */
export const Customer = defineEntity(shop, {
  name: 'Customer',
  schema: z.object({ id: z.string(), name: z.string() }),
  key: { pk: 'CUSTOMER#{id}', sk: 'PROFILE' },
});

/** An order, stored under its customer. */
export const Order = defineEntity(shop, {
  name: 'Order',
  schema: z.object({ customerId: z.string(), orderId: z.string(), total: z.number().int().nonnegative() }),
  key: { pk: 'CUSTOMER#{customerId}', sk: 'ORDER#{orderId}' },
});

/** Accounts with a unique email. */
export const Accounts = defineCollection({
  name: 'accounts',
  schema: z.object({ email: z.string(), plan: z.enum(['free', 'pro']) }),
  indexes: [{ key: { email: 1 }, unique: true }],
});
