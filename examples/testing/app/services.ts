// The example user's code under test: small services over dbkit's DynamoDB, MongoDB and Prisma clients.
import type { DynamoClient } from 'dbkit/dynamo';
import type { MongoRepository } from 'dbkit/mongo';
import type { PrismaClient } from '../../../test/prisma/generated/client/client.js';
import type { Accounts, Customer, Order } from './definitions.js';

/** Entities as the service receives them (the production ones, or a test context's rebound copies). */
export interface ShopEntities {
  Customer: typeof Customer;
  Order: typeof Order;
}

/**
 * Places an order and returns the customer's order total so far.
 *
 * @example
 * ```ts
 * const total = await placeOrder(db, { Customer, Order }, 'c1', 'o1', 25);
 * ```
 */
export async function placeOrder(
  db: DynamoClient,
  entities: ShopEntities,
  customerId: string,
  orderId: string,
  total: number,
): Promise<number> {
  if ((await db.entity(entities.Customer).get({ id: customerId })) === null) {
    throw new Error(`no customer ${customerId}`);
  }
  await db.entity(entities.Order).create({ customerId, orderId, total });
  const orders = db.entity(entities.Order).queryAll({ partition: { customerId } });
  let sum = 0;
  for await (const page of orders) for (const order of page.items) sum += order.total;
  return sum;
}

/**
 * Upgrades an account to the paid plan; false when there is no such account.
 *
 * @example
 * ```ts
 * await upgrade(repo, 'ada@example.com');
 * ```
 */
export async function upgrade(accounts: MongoRepository<typeof Accounts>, email: string): Promise<boolean> {
  const { matchedCount } = await accounts.updateMany({ email }, { $set: { plan: 'pro' } });
  return matchedCount === 1;
}

/**
 * Publishes every draft of an author; returns how many were published.
 *
 * @example
 * ```ts
 * await publishDrafts(prisma, 'u1');
 * ```
 */
export async function publishDrafts(prisma: PrismaClient, authorId: string): Promise<number> {
  const { count } = await prisma.post.updateMany({
    where: { authorId, published: false },
    data: { published: true },
  });
  return count;
}
