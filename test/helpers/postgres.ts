// Per-test-file PostgreSQL databases on the shared server, created and dropped through `pg`.
import pg from 'pg';
import { uniqueName } from './engines.js';

/**
 * A database created for one test file, with its URL and a function dropping it.
 *
 * @example
 * ```ts
 * const db: TestDatabase = await createTestDatabase(serverUrl);
 * ```
 */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Creates a uniquely named database on the server at `serverUrl` and returns its URL.
 *
 * @example
 * ```ts
 * const db = await createTestDatabase(engineUrl('postgres')!, 'users');
 * afterAll(() => db.drop());
 * ```
 */
export async function createTestDatabase(serverUrl: string, base = 'test'): Promise<TestDatabase> {
  const name = uniqueName(base);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
