// The example suite's per-file contexts, written once: an isolated database per file, reset before every test.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import {
  createDynamoContext,
  createMongoContext,
  createPgliteContext,
  createPostgresContext,
  useIsolated,
} from 'dbkit/testing';
import type {
  DynamoTestContext,
  MongoTestContext,
  PgliteTestContext,
  PostgresTestContext,
} from 'dbkit/testing';
import { Accounts, Customer, Order } from '../app/definitions.js';

/** The app's Prisma migrations (this repository's, standing in for yours). */
export const migrations = fileURLToPath(new URL('../../../prisma/migrations/', import.meta.url));

const hooks = { beforeAll, afterAll, beforeEach };
const entities = { Customer, Order };
const collections = { accounts: Accounts };

/**
 * A migrated PostgreSQL database for this file, emptied before each test.
 *
 * @example
 * ```ts
 * const db = usePostgres();
 * it('…', async () => { await db().query('SELECT 1'); });
 * ```
 */
export function usePostgres(): () => PostgresTestContext {
  return useIsolated(hooks, () => createPostgresContext({ url: process.env['DATABASE_URL'], migrations }));
}

/**
 * A migrated in-process PGlite for this file, emptied before each test.
 *
 * @example
 * ```ts
 * const db = usePglite();
 * ```
 */
export function usePglite(): () => PgliteTestContext {
  return useIsolated(hooks, () => createPgliteContext({ migrations }));
}

/**
 * This file's copy of the `shop` table, with the app's entities bound to it, emptied before each test.
 *
 * @example
 * ```ts
 * const shop = useDynamo();
 * ```
 */
export function useDynamo(): () => DynamoTestContext<typeof entities> {
  return useIsolated(hooks, () =>
    createDynamoContext({ endpoint: process.env['DYNAMODB_ENDPOINT'], entities }),
  );
}

/**
 * This file's MongoDB database with the app's collections and indexes, emptied before each test.
 *
 * @example
 * ```ts
 * const mongo = useMongo();
 * ```
 */
export function useMongo(): () => MongoTestContext<typeof collections> {
  return useIsolated(hooks, () => createMongoContext({ url: process.env['MONGODB_URI'], collections }));
}
