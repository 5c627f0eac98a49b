// Smoke test: a record round-trips through the generated Prisma Client (Prisma 7, query compiler + driver
// adapters) on both adapters dbkit supports: in-process PGlite and a PostgreSQL server via @prisma/adapter-pg.
// Each adapter gets its own database: a fresh in-memory PGlite, or a uniquely named database on the server.
// The schema comes from prisma/migrations, applied as plain SQL (the Prisma CLI cannot migrate offline).
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEngine } from '../helpers/engines.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';

import { PrismaClient } from '../prisma/generated/client/client.js';

const migrationsDir = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

/** The migration scripts in Prisma's order (folder names start with a UTC timestamp). */
function migrationScripts(): string[] {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8'));
}

async function roundTrip(prisma: PrismaClient): Promise<void> {
  const email = `ada-${randomUUID()}@example.com`;
  const created = await prisma.user.create({
    data: {
      name: 'Ada',
      email,
      posts: { create: { title: 'Hello', tags: ['intro', 'prisma'], content: 'First post' } },
    },
    include: { posts: true },
  });
  expect(created).toMatchObject({ name: 'Ada', email, role: 'MEMBER', version: 0 });
  expect(created.createdAt).toBeInstanceOf(Date);
  expect(created.posts).toHaveLength(1);
  expect(created.posts[0]).toMatchObject({ title: 'Hello', tags: ['intro', 'prisma'], published: false });

  const found = await prisma.user.findUnique({ where: { email }, include: { posts: true } });
  expect(found).toEqual(created);

  const bumped = await prisma.user.updateMany({
    where: { id: created.id, version: 0 },
    data: { name: 'Ada Lovelace', version: { increment: 1 } },
  });
  expect(bumped.count).toBe(1);
  expect(await prisma.user.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({
    name: 'Ada Lovelace',
    version: 1,
  });

  const org = await prisma.organization.create({ data: { name: 'Analytical', slug: `org-${randomUUID()}` } });
  await prisma.membership.create({ data: { orgId: org.id, userId: created.id, role: 'ADMIN' } });
  const membership = await prisma.membership.findUnique({
    where: { orgId_userId: { orgId: org.id, userId: created.id } },
  });
  expect(membership?.role).toBe('ADMIN');

  await prisma.post.deleteMany({ where: { authorId: created.id } });
  await prisma.user.delete({ where: { id: created.id } });
  expect(await prisma.user.findUnique({ where: { id: created.id } })).toBeNull();
  expect(await prisma.membership.count({ where: { orgId: org.id } })).toBe(0);
}

describe('Prisma Client with the PGlite adapter', () => {
  let pglite: PGlite;
  let prisma: PrismaClient;

  beforeAll(async () => {
    pglite = new PGlite();
    for (const script of migrationScripts()) await pglite.exec(script);
    prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  });

  afterAll(async () => {
    await prisma.$disconnect();
    await pglite.close();
  });

  it('round-trips a record', async () => {
    await roundTrip(prisma);
  });
});

describeEngine('postgres', (serverUrl) => {
  describe('Prisma Client with @prisma/adapter-pg', () => {
    let database: TestDatabase;
    let prisma: PrismaClient;

    beforeAll(async () => {
      database = await createTestDatabase(serverUrl, 'smoke');
      const setup = new pg.Client({ connectionString: database.url });
      await setup.connect();
      try {
        for (const script of migrationScripts()) await setup.query(script);
      } finally {
        await setup.end();
      }
      prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url }) });
    });

    afterAll(async () => {
      await prisma.$disconnect();
      await database.drop();
    });

    it('round-trips a record', async () => {
      await roundTrip(prisma);
    });
  });
});
