// Runs a Mongo suite on every provisioned engine (FerretDB, mongo-java-server, MONGODB_URI) with its own database.
import { afterAll, beforeAll, describe } from 'vitest';
import { describeEngine, MONGO_ENGINES, uniqueName } from '../helpers/engines.js';
import { connectMongo } from '../../src/mongo/index.js';
import type { ConnectMongoOptions, MongoCapabilities, MongoConnection } from '../../src/mongo/index.js';

/** What a suite gets once its engine is connected. */
export interface MongoTestEnv {
  engine: string;
  url: string;
  mongo: MongoConnection;
  caps: MongoCapabilities;
}

export const TEST_CURSOR_SECRET = 'dbkit-test-cursor-secret-0123456789';

/**
 * Declares `fn`'s tests once per Mongo engine. Each engine gets a fresh database (unique to this
 * file), dropped afterwards, so files run in parallel.
 */
export function mongoSuite(
  title: string,
  fn: (env: () => MongoTestEnv) => void,
  options: Partial<ConnectMongoOptions> = {},
): void {
  for (const name of MONGO_ENGINES) {
    describeEngine(name, (url) => {
      describe(title, () => {
        let env: MongoTestEnv | undefined;
        beforeAll(async () => {
          const mongo = await connectMongo({
            uri: url,
            dbName: uniqueName(title),
            shared: false,
            cursorSecret: TEST_CURSOR_SECRET,
            ...options,
          });
          env = { engine: name, url, mongo, caps: await mongo.capabilities() };
        });
        afterAll(async () => {
          if (env === undefined) return;
          await env.mongo.db.dropDatabase().catch(() => undefined);
          await env.mongo.close();
        });
        fn(() => {
          if (env === undefined) throw new Error('the Mongo test environment is not ready');
          return env;
        });
      });
    });
  }
}
