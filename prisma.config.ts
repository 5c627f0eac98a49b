// Prisma 7 CLI configuration. The datasource URL lives here (no longer in schema.prisma) and is only
// needed by commands that talk to a database; `prisma generate` runs without it, offline
// (see scripts/prisma-generate.mjs and docs/prisma.md and ARCHITECTURE.md).
import { defineConfig } from 'prisma/config';

const url = process.env.DATABASE_URL;

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  ...(url ? { datasource: { url } } : {}),
});
