// The example's `dbkit.config.ts`: what `npm run migrate` deploys, for the engines whose connection is set.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'dbkit';
import type { MigrationTarget } from 'dbkit';
import { dynamoTarget } from 'dbkit/dynamo';
import { sqlTarget } from 'dbkit/prisma';
import { exampleDynamoMigrations, model } from './stores/dynamo-store.js';

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

export default defineConfig({ targets });
