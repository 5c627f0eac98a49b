// The engines the conformance suite runs on, each with a way to open an isolated example store.
import { describe } from 'vitest';
import type { Store } from '../../examples/service/store.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import type { TestEngine } from '../helpers/provided.js';
import { createTestDatabase } from '../helpers/postgres.js';

/** One engine the suite runs on. */
export interface ConformanceTarget {
  name: string;
  /** A describe block that runs when the engine is there (skips with the reason, or fails under CI). */
  describe(title: string, fn: () => void): void;
  /** Opens a store on fresh, isolated storage; closing the store releases it. */
  open(): Promise<Store>;
}

function onEngine(
  engine: TestEngine,
  name: string,
  open: (url: string) => Promise<Store>,
): ConformanceTarget {
  let url = '';
  return {
    name,
    describe: (title, fn) => {
      describeEngine(engine, (u) => {
        url = u;
        describe(title, fn);
      });
    },
    open: () => open(url),
  };
}

/**
 * Every target: PGlite in-process, PostgreSQL, DynamoDB Local, FerretDB, mongo-java-server, and a
 * real MongoDB when `MONGODB_URI` is set. `DBKIT_CONFORMANCE=pglite,dynamo` narrows the list.
 *
 * @example
 * ```ts
 * for (const target of conformanceTargets()) target.describe('users', () => { ... })
 * ```
 */
export function conformanceTargets(): ConformanceTarget[] {
  const all: ConformanceTarget[] = [
    {
      name: 'pglite',
      describe: (title, fn) => {
        describe(`[pglite] ${title}`, fn);
      },
      open: async () =>
        (await import('../../examples/service/stores/prisma-store.js')).openPrismaStore({ engine: 'pglite' }),
    },
    onEngine('postgres', 'postgres', async (serverUrl) => {
      const database = await createTestDatabase(serverUrl, 'conformance');
      const store = await (
        await import('../../examples/service/stores/prisma-store.js')
      ).openPrismaStore({ engine: 'postgres', url: database.url });
      return withCleanup(store, () => database.drop());
    }),
    onEngine('dynamodb', 'dynamodb', async (endpoint) => {
      const { openDynamoStore } = await import('../../examples/service/stores/dynamo-store.js');
      return openDynamoStore({ endpoint, table: uniqueName('conformance'), dropOnClose: true });
    }),
    ...(['ferretdb', 'mongo-java-server', 'mongodb'] as const).map((engine) =>
      onEngine(engine, engine, async (uri) => {
        const { openMongoStore } = await import('../../examples/service/stores/mongo-store.js');
        return openMongoStore({ uri, database: uniqueName('conformance'), dropOnClose: true });
      }),
    ),
  ];
  const only = process.env.DBKIT_CONFORMANCE?.split(',').map((s) => s.trim());
  return only ? all.filter((t) => only.includes(t.name)) : all;
}

function withCleanup(store: Store, cleanup: () => Promise<void>): Store {
  return {
    ...store,
    close: async () => {
      await store.close();
      await cleanup();
    },
  };
}
