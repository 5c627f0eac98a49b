// Names unique to one test worker and file, safe for a PostgreSQL database/schema, a MongoDB database and a DynamoDB table.
import { randomBytes } from 'node:crypto';

/** The prefix every kit-created name starts with, so leftovers of a crashed run are recognisable. */
export const ISOLATED_PREFIX = 'dbkit_t';

// One random tag per module instance: test runners load a fresh module graph per file (vitest, jest)
// or per process (node:test), so two files never share it even inside one worker.
const fileTag = randomBytes(3).toString('hex');
let counter = 0;

/**
 * The test runner's worker number when it sets one (vitest `VITEST_POOL_ID`, jest `JEST_WORKER_ID`),
 * else the process id: two parallel workers never produce the same name.
 *
 * @example
 * ```ts
 * workerTag(); // '3' under vitest's fourth worker, '48211' under node:test
 * ```
 */
export function workerTag(env: NodeJS.ProcessEnv = process.env): string {
  const id = env['VITEST_POOL_ID'] ?? env['JEST_WORKER_ID'];
  return id !== undefined && /^\d+$/.test(id) ? `w${id}` : `p${process.pid}`;
}

/**
 * A fresh name for an isolated database, schema or table: `dbkit_t_<base>_<worker>_<file>_<n>`,
 * lowercase `[a-z0-9_]`, at most 63 characters (PostgreSQL's identifier limit, under MongoDB's 64
 * and DynamoDB's 255). Unique per worker, file and call.
 *
 * @example
 * ```ts
 * isolatedName('shop'); // 'dbkit_t_shop_w1_a3f9c2_1'
 * ```
 */
export function isolatedName(base: string, env: NodeJS.ProcessEnv = process.env): string {
  counter += 1;
  const suffix = `_${workerTag(env)}_${fileTag}_${counter}`;
  const clean =
    base
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'db';
  const head = `${ISOLATED_PREFIX}_${clean}`;
  return `${head.slice(0, 63 - suffix.length)}${suffix}`;
}

/**
 * Quotes an SQL identifier (a table, schema or database name), doubling embedded quotes.
 *
 * @example
 * ```ts
 * quoteIdent('User'); // '"User"'
 * ```
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
