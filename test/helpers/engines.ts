// Test-side access to provisioned engines: URLs, skip-or-fail wrappers, and unique names for isolation.
import { randomBytes } from 'node:crypto';
import { describe, inject, it } from 'vitest';
import type { EngineAvailability, TestEngine } from './provided.js';

/**
 * True when running under CI (`CI=true` or `CI=1`), where an absent engine fails instead of skipping.
 *
 * @example
 * ```ts
 * if (isCI()) console.log('strict mode');
 * ```
 */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env['CI'] ?? '').toLowerCase();
  return value === 'true' || value === '1';
}

/**
 * The availability of an engine in this run (ready with a URL, or why not).
 *
 * @example
 * ```ts
 * const pg = engine('postgres');
 * if (pg.status === 'ready') console.log(pg.url);
 * ```
 */
export function engine(name: TestEngine): EngineAvailability {
  const provided = inject('dbkitEngines') as Partial<Record<TestEngine, EngineAvailability>> | undefined;
  return (
    provided?.[name] ?? {
      status: 'unavailable',
      reason: 'test/global-setup.ts did not run (see vitest.config.ts)',
    }
  );
}

/**
 * The URL of a ready engine, or undefined.
 *
 * @example
 * ```ts
 * const endpoint = engineUrl('dynamodb'); // 'http://127.0.0.1:40123'
 * ```
 */
export function engineUrl(name: TestEngine): string | undefined {
  const a = engine(name);
  return a.status === 'ready' ? a.url : undefined;
}

/**
 * The MongoDB wire-protocol targets the Mongo suites run on: a real MongoDB (`MONGODB_URI`) and
 * the stand-ins.
 *
 * @example
 * ```ts
 * for (const name of MONGO_ENGINES) describeEngine(name, (url) => { ... });
 * ```
 */
export const MONGO_ENGINES: readonly TestEngine[] = ['mongodb', 'ferretdb', 'mongo-java-server'];

const warned = new Set<TestEngine>();

/**
 * A `describe` block that runs when `name` is ready and receives its URL. When the engine is
 * unavailable it is skipped with the reason on a laptop, but FAILS under CI, so CI can never pass
 * by skipping. Engines deliberately not selected (`DBKIT_ENGINES`, `MONGODB_URI`) always skip.
 *
 * @example
 * ```ts
 * describeEngine('dynamodb', (endpoint) => {
 *   it('lists tables', async () => { ... });
 * });
 * ```
 */
export function describeEngine(name: TestEngine, fn: (url: string) => void): void {
  const a = engine(name);
  if (a.status === 'ready') {
    describe(`[${name}]`, () => {
      fn(a.url);
    });
    return;
  }
  if (a.status === 'unavailable' && isCI()) {
    describe(`[${name}]`, () => {
      it(`needs ${name}, which must be available under CI`, () => {
        throw new Error(`${name} is unavailable under CI=true: ${a.reason}`);
      });
    });
    return;
  }
  if (!warned.has(name)) {
    warned.add(name);
    console.warn(`[dbkit] skipping ${name} tests: ${a.reason}`);
  }
  describe.skip(`[${name}] skipped: ${a.reason}`, () => {
    it(`needs ${name}`, () => undefined);
  });
}

const fileTag = randomBytes(4).toString('hex');
let counter = 0;

/**
 * A name unique to this test file and call, safe as a DynamoDB table, MongoDB database or
 * PostgreSQL database/schema name (lowercase, `[a-z0-9_]`, at most 63 characters).
 *
 * @example
 * ```ts
 * const table = uniqueName('users'); // 'users_3fa9c2d1_1'
 * ```
 */
export function uniqueName(base: string): string {
  counter += 1;
  const suffix = `_${fileTag}_${counter}`;
  const clean =
    base
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .replace(/^[^a-z]+/, '') || 't';
  return `${clean.slice(0, 63 - suffix.length)}${suffix}`;
}

/**
 * A prefix unique to this test file, for table-name prefixes and key namespaces.
 *
 * @example
 * ```ts
 * const prefix = uniquePrefix(); // 't3fa9c2d1_'
 * ```
 */
export function uniquePrefix(): string {
  return `t${fileTag}_`;
}
