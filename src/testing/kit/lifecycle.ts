// Runner-agnostic per-file lifecycle: create an isolated context before the file, reset it before each test, drop it after.

/**
 * What every isolated context can do: empty its data (schema and indexes kept) and drop what it created.
 *
 * @example
 * ```ts
 * const ctx: IsolatedContext = await createPgliteContext();
 * await ctx.reset();
 * await ctx.drop();
 * ```
 */
export interface IsolatedContext {
  /** Empties every table or collection; keeps the schema, indexes and migration history. */
  reset(): Promise<void>;
  /** Drops the database, schema or tables this context created and closes its connections. */
  drop(): Promise<void>;
}

/** A hook registrar of any runner: vitest's and jest's `beforeAll`, node:test's `before`, ... */
export type HookRegistrar = (fn: () => Promise<void>) => unknown;

/**
 * The test runner's hooks, passed in so the kit imports no runner: `{ beforeAll, afterAll, beforeEach }`
 * from vitest or jest, `{ beforeAll: before, afterAll: after, beforeEach }` from `node:test`.
 *
 * @example
 * ```ts
 * import { afterAll, beforeAll, beforeEach } from 'vitest';
 * const hooks: SuiteHooks = { beforeAll, afterAll, beforeEach };
 * ```
 */
export interface SuiteHooks {
  beforeAll: HookRegistrar;
  afterAll: HookRegistrar;
  beforeEach?: HookRegistrar;
}

/** Options of {@link useIsolated}. */
export interface UseIsolatedOptions<C> {
  /** Reset before each test (`each`, the default; needs `hooks.beforeEach`) or never (`never`). */
  reset?: 'each' | 'never';
  /** Data every test starts with, loaded after each reset (or once, with `reset: 'never'`). */
  seed?: (ctx: C) => Promise<unknown>;
}

/**
 * Registers the per-file pattern once: `create` before the file's tests, `reset` (then `seed`) before
 * each test, `drop` after the file, even when a test failed. Returns an accessor for the context,
 * which throws if called before the `beforeAll` hook ran (at collection time, for instance).
 *
 * @example
 * ```ts
 * import { afterAll, beforeAll, beforeEach, it } from 'vitest';
 * const db = useIsolated({ beforeAll, afterAll, beforeEach }, () => createPgliteContext({ migrations: 'prisma/migrations' }));
 * it('starts empty', async () => {
 *   expect(await db().query('SELECT * FROM "User"')).toEqual([]);
 * });
 * ```
 */
export function useIsolated<C extends IsolatedContext>(
  hooks: SuiteHooks,
  create: () => Promise<C>,
  options: UseIsolatedOptions<C> = {},
): () => C {
  let ctx: C | undefined;
  const resetEach = (options.reset ?? 'each') === 'each';
  if (resetEach && hooks.beforeEach === undefined) {
    throw new TypeError(
      'dbkit: useIsolated resets before each test: pass hooks.beforeEach (or reset: "never")',
    );
  }
  hooks.beforeAll(async () => {
    ctx = await create();
    if (!resetEach && options.seed !== undefined) await options.seed(ctx);
  });
  if (resetEach && hooks.beforeEach !== undefined) {
    hooks.beforeEach(async () => {
      if (ctx === undefined) return;
      await ctx.reset();
      if (options.seed !== undefined) await options.seed(ctx);
    });
  }
  hooks.afterAll(async () => {
    const created = ctx;
    ctx = undefined;
    await created?.drop();
  });
  return () => {
    if (ctx === undefined)
      throw new Error('dbkit: the isolated context is not ready (use it inside a test or hook)');
    return ctx;
  };
}
