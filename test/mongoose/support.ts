// Runs a Mongoose suite on every provisioned Mongo engine with its own database and a dbkit connection on the same pool.
import mongoose from 'mongoose';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe } from 'vitest';
import { describeEngine, MONGO_ENGINES, uniqueName } from '../helpers/engines.js';
import { isDbkitError } from '../../src/core/errors.js';
import { connectMongo } from '../../src/mongo/index.js';
import type { MongoCapabilities, MongoConnection } from '../../src/mongo/index.js';

/** What a Mongoose suite gets once its engine is connected. */
export interface MongooseTestEnv {
  engine: string;
  conn: Connection;
  dbkit: MongoConnection;
  caps: MongoCapabilities;
  /**
   * Whether `dbkit` shares Mongoose's pool. False only when the application's mongodb and Mongoose's
   * bundled driver differ in BSON major version (the lowest-versions run: mongodb 6 beside Mongoose 9),
   * where dbkit refuses Mongoose's client and the suite connects dbkit by URI instead.
   */
  shared: boolean;
  /** Why sharing was refused, when it was. */
  refused?: unknown;
}

export const TEST_CURSOR_SECRET = 'dbkit-test-cursor-secret-0123456789';

/** Declares `fn`'s tests once per Mongo engine, on a fresh database dropped afterwards. */
export function mongooseSuite(title: string, fn: (env: () => MongooseTestEnv) => void): void {
  for (const name of MONGO_ENGINES) {
    describeEngine(name, (url) => {
      describe(title, () => {
        let env: MongooseTestEnv | undefined;
        beforeAll(async () => {
          const conn = await mongoose
            .createConnection(url, { dbName: uniqueName(title), serverSelectionTimeoutMS: 5_000 })
            .asPromise();
          let dbkit: MongoConnection;
          let refused: unknown;
          try {
            dbkit = await connectMongo({
              client: conn.getClient(),
              dbName: conn.name,
              cursorSecret: TEST_CURSOR_SECRET,
            });
          } catch (err) {
            if (!isDbkitError(err, 'unsupported.bsonVersion')) throw err;
            refused = err;
            dbkit = await connectMongo({ uri: url, dbName: conn.name, cursorSecret: TEST_CURSOR_SECRET });
          }
          const shared = refused === undefined;
          env = {
            engine: name,
            conn,
            dbkit,
            caps: await dbkit.capabilities(),
            shared,
            ...(shared ? {} : { refused }),
          };
        });
        afterAll(async () => {
          if (env === undefined) return;
          await env.conn.dropDatabase().catch(() => undefined);
          await env.dbkit.close();
          await env.conn.close();
        });
        fn(() => {
          if (env === undefined) throw new Error('the Mongoose test environment is not ready');
          return env;
        });
      });
    });
  }
}
