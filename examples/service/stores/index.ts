// Picks and opens the store for DBKIT_ENGINE: pglite (default, in-process), postgres, dynamo or mongo.
import type { EngineKind, Store } from '../store.js';

const engines: readonly EngineKind[] = ['pglite', 'postgres', 'dynamo', 'mongo'];

/**
 * The engine named by `DBKIT_ENGINE`, defaulting to PGlite; an unknown name is an error that lists the valid ones.
 *
 * @example
 * ```ts
 * const engine = engineFromEnv() // 'pglite' unless DBKIT_ENGINE says otherwise
 * ```
 */
export function engineFromEnv(env: NodeJS.ProcessEnv = process.env): EngineKind {
  const name = (env.DBKIT_ENGINE ?? 'pglite').trim().toLowerCase();
  if ((engines as readonly string[]).includes(name)) return name as EngineKind;
  throw new Error(`DBKIT_ENGINE=${name} is not one of ${engines.join(', ')}`);
}

function required(env: NodeJS.ProcessEnv, name: string, engine: EngineKind): string {
  const value = env[name];
  if (!value)
    throw new Error(
      `DBKIT_ENGINE=${engine} needs ${name} (start one with \`npm run engines -- up\`, which prints it)`,
    );
  return value;
}

/**
 * Opens the store for an engine, reading its connection from the environment (`DATABASE_URL`,
 * `DYNAMODB_ENDPOINT`, `MONGODB_URI`). Each engine module is loaded only when chosen. With
 * `schema: 'verify'` (what `npm start` uses on a server) it refuses to open a database, table or
 * collection set whose schema was not deployed by `npm run migrate`; `apply` (tests) prepares it.
 *
 * @example
 * ```ts
 * const store = await openStore('pglite')
 * ```
 */
export async function openStore(
  engine: EngineKind,
  env: NodeJS.ProcessEnv = process.env,
  schema: 'apply' | 'verify' = 'apply',
): Promise<Store> {
  switch (engine) {
    case 'pglite': {
      const { openPrismaStore } = await import('./prisma-store.js');
      return openPrismaStore({
        engine: 'pglite',
        ...(env.DBKIT_PGLITE_DIR ? { dataDir: env.DBKIT_PGLITE_DIR } : {}),
      });
    }
    case 'postgres': {
      const { openPrismaStore } = await import('./prisma-store.js');
      return openPrismaStore({ engine: 'postgres', url: required(env, 'DATABASE_URL', engine), schema });
    }
    case 'dynamo': {
      const { openDynamoStore } = await import('./dynamo-store.js');
      return openDynamoStore({
        endpoint: required(env, 'DYNAMODB_ENDPOINT', engine),
        table: env.DYNAMODB_TABLE ?? 'dbkit-example',
        schema,
      });
    }
    case 'mongo': {
      const { openMongoStore } = await import('./mongo-store.js');
      return openMongoStore({
        uri: required(env, 'MONGODB_URI', engine),
        database: env.MONGODB_DB ?? 'dbkit_example',
        schema,
      });
    }
  }
}
