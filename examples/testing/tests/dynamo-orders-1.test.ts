// Example: placeOrder on DynamoDB (file 1 of 2; both use the same keys in parallel, each on its own table).
import { expect, it } from 'vitest';
import { placeOrder } from '../app/services.js';
import { useDynamo } from '../support/isolated.js';

const shop = useDynamo();

it("adds the order to the customer's total", async () => {
  await shop().seed({
    Customer: [{ id: 'c1', name: 'Ada' }],
    Order: [{ customerId: 'c1', orderId: 'o1', total: 10 }],
  });
  expect(await placeOrder(shop().db, shop().entities, 'c1', 'o2', 25)).toBe(35);
});

it('starts every test with an empty table', async () => {
  await expect(placeOrder(shop().db, shop().entities, 'c1', 'o3', 5)).rejects.toThrow(/no customer c1/);
});
