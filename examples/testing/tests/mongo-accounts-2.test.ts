// Example: upgrade on MongoDB (file 2 of 2; both use the same emails in parallel, each in its own database).
import { expect, it } from 'vitest';
import { upgrade } from '../app/services.js';
import { useMongo } from '../support/isolated.js';

const mongo = useMongo();

it('upgrades an existing account', async () => {
  await mongo().seed({ accounts: [{ email: 'ada@example.com', plan: 'free' }] });
  expect(await upgrade(mongo().repo('accounts'), 'ada@example.com')).toBe(true);
  expect(await mongo().repo('accounts').count({ plan: 'pro' })).toBe(1);
});

it('starts every test with empty collections, unique index kept', async () => {
  expect(await upgrade(mongo().repo('accounts'), 'ada@example.com')).toBe(false);
  await mongo().seed({ accounts: [{ email: 'ada@example.com', plan: 'free' }] });
  await expect(mongo().seed({ accounts: [{ email: 'ada@example.com', plan: 'pro' }] })).rejects.toThrow();
});
