// The example's `dbkit.config.ts`: what `npm run migrate` deploys, for the engines whose connection is set.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'dbkit';
import type { MigrationTarget } from 'dbkit';
import { sqlTarget } from 'dbkit/prisma';

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

export default defineConfig({ targets });
