// The example suite's Prisma Client on a file's isolated SQL context (PostgreSQL through pg, or PGlite in process).
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { afterAll, beforeAll } from 'vitest';
import type { PgliteTestContext, PostgresTestContext } from 'dbkit/testing';
import { PrismaClient } from '../../../test/prisma/generated/client/client.js';

/**
 * A Prisma Client on the file's isolated database, created after it and disconnected before it is dropped.
 *
 * @example
 * ```ts
 * const db = usePostgres();
 * const prisma = usePrisma(db);
 * ```
 */
export function usePrisma(ctx: () => PostgresTestContext | PgliteTestContext): () => PrismaClient {
  let prisma: PrismaClient | undefined;
  beforeAll(() => {
    const c = ctx();
    const adapter =
      c.engine === 'pglite'
        ? new PrismaPGlite(c.pglite)
        : new PrismaPg({ connectionString: c.url }, { schema: c.schema });
    prisma = new PrismaClient({ adapter });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
  });
  return () => {
    if (prisma === undefined) throw new Error('the Prisma Client is not ready');
    return prisma;
  };
}
