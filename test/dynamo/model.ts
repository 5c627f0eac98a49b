// The single-table model the DynamoDB tests share: users, posts, accounts, transfers and counters in one table.
import { z } from 'zod';
import { createDynamoClient, defineEntity, defineTable } from '../../src/dynamo/index.js';
import type { DynamoClientOptions, KeyValuePolicy } from '../../src/dynamo/index.js';

export const CURSOR_SECRET = 'dbkit-test-cursor-secret-0123456789';

/** Defines the table and entities under a given (unique) table name. */
export function defineModel(tableName: string, keyValues: KeyValuePolicy = 'reject') {
  const table = defineTable({
    name: tableName,
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: { gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } },
    ttlAttribute: 'expiresAt',
    keyValues,
  });
  const User = defineEntity(table, {
    name: 'User',
    schema: z.object({
      id: z.string(),
      email: z.string(),
      name: z.string(),
      status: z.enum(['active', 'suspended']).default('active'),
      nickname: z.string().optional(),
      tags: z.array(z.string()).default([]),
      logins: z.number().int().default(0),
    }),
    key: { pk: 'USER#{id}', sk: 'PROFILE' },
    indexes: { gsi1: { pk: 'EMAIL#{email}', sk: 'USER' } },
    version: true,
    timestamps: true,
  });
  const Post = defineEntity(table, {
    name: 'Post',
    schema: z.object({
      userId: z.string(),
      postId: z.string(),
      title: z.string(),
      likes: z.number().int().default(0),
      published: z.boolean().default(true),
    }),
    key: { pk: 'USER#{userId}', sk: 'POST#{postId}' },
  });
  const Account = defineEntity(table, {
    name: 'Account',
    schema: z.object({ id: z.string(), balance: z.number().int() }),
    key: { pk: 'ACCOUNT#{id}', sk: 'ACCOUNT' },
  });
  const Transfer = defineEntity(table, {
    name: 'Transfer',
    schema: z.object({ id: z.string(), from: z.string(), to: z.string(), amount: z.number().int() }),
    key: { pk: 'TRANSFER#{id}', sk: 'TRANSFER' },
  });
  const Counter = defineEntity(table, {
    name: 'Counter',
    schema: z.object({ id: z.string(), value: z.number().int() }),
    key: { pk: 'COUNTER#{id}', sk: 'COUNTER' },
    version: true,
  });
  const Odd = defineEntity(table, {
    name: 'Odd',
    schema: z.object({
      id: z.string(),
      name: z.string(),
      status: z.string(),
      data: z.string(),
      count: z.number(),
      'a.b': z.string().optional(),
      'x-y': z.number().optional(),
      'has space': z.string().optional(),
      '#notAPlaceholder': z.string().optional(),
      ':v0': z.string().optional(),
    }),
    key: { pk: 'ODD#{id}', sk: 'ODD' },
  });
  const Ledger = defineEntity(table, {
    name: 'Ledger',
    schema: z.object({
      id: z.string(),
      big: z.bigint().optional(),
      exact: z.string().optional(),
      plain: z.number().optional(),
    }),
    key: { pk: 'LEDGER#{id}', sk: 'LEDGER' },
    numbers: { big: 'bigint', exact: 'string' },
  });
  return { table, User, Post, Account, Transfer, Counter, Odd, Ledger };
}

/** A client on DynamoDB Local with quick retries for tests. */
export function testClient(endpoint: string, options: DynamoClientOptions = {}) {
  return createDynamoClient({
    local: endpoint,
    cursorSecret: CURSOR_SECRET,
    retry: { baseDelayMs: 5, maxDelayMs: 100, maxAttempts: 5 },
    ...options,
  });
}
