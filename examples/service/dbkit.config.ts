// The example's `dbkit.config.ts`: what `npm run migrate` deploys, for the engines whose connection is set.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'dbkit';
import type { MigrationTarget } from 'dbkit';
import { dynamoTarget } from 'dbkit/dynamo';
import { mongoTarget } from 'dbkit/mongo';
import { sqlTarget } from 'dbkit/prisma';
import { exampleDynamoMigrations, model } from './stores/dynamo-store.js';
import { exampleMongoMigrations, mongoCollections } from './stores/mongo-store.js';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const env = process.env;
const targets: Record<string, MigrationTarget> = {};

if (env['DATABASE_URL']) {
  targets['postgres'] = sqlTarget({
    database: env['DATABASE_URL'],
    dir: here('./prisma/migrations'),
    schema: here('./prisma/schema.prisma'),
  });
}

if (env['DYNAMODB_ENDPOINT']) {
  // The table with its GSI and TTL (`dbkit sync`), and the journal of the migrations in it.
  targets['dynamo'] = dynamoTarget({
    table: model(env['DYNAMODB_TABLE'] ?? 'dbkit-example').table,
    client: { local: env['DYNAMODB_ENDPOINT'] },
    dir: exampleDynamoMigrations,
  });
}

if (env['MONGODB_URI']) {
  // The collections' indexes (`dbkit sync`), and the journal of the migrations in the database.
  targets['mongo'] = mongoTarget({
    connection: { uri: env['MONGODB_URI'], dbName: env['MONGODB_DB'] ?? 'dbkit_example', shared: false },
    dir: exampleMongoMigrations,
    collections: mongoCollections,
  });
}

export default defineConfig({ targets });
