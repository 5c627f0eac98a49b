// Every Prisma 7 error mapping through the dbkit extension, on the PGlite adapter and on @prisma/adapter-pg.
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictError,
  ConnectionError,
  ForbiddenError,
  NotFoundError,
  TimeoutError,
  TransientError,
  toProblemDetails,
} from '../../src/core/internal.js';
import type { DbkitError } from '../../src/core/internal.js';
import { dbkitExtension } from '../../src/prisma/index.js';
import { transactionWithRetry } from '../../src/prisma/transaction.js';
import { describeEngine } from '../helpers/engines.js';
import { PrismaClient } from './generated/client/client.js';
import { barrier, errorOf, openPglite, openPostgres } from './support.js';
import type { TestDb } from './support.js';

function extend(db: TestDb) {
  return db.prisma.$extends(dbkitExtension({ nPlusOne: false }));
}
type Extended = ReturnType<typeof extend>;

async function seed(prisma: Extended) {
  const user = await prisma.user.create({ data: { name: 'Ada', email: `ada-${randomUUID()}@x.io` } });
  const org = await prisma.organization.create({ data: { name: 'O', slug: `o-${randomUUID()}` } });
  await prisma.membership.create({ data: { orgId: org.id, userId: user.id } });
  return { user, org };
}

function sharedMappings(open: () => Promise<TestDb>): void {
  let db: TestDb;
  let prisma: Extended;
  let user: Awaited<ReturnType<typeof seed>>['user'];
  let org: Awaited<ReturnType<typeof seed>>['org'];
  beforeAll(async () => {
    db = await open();
    prisma = extend(db);
    ({ user, org } = await seed(prisma));
  });
  afterAll(async () => {
    await db.close();
  });

  it('maps a duplicate email to a ConflictError naming the field, with Prisma’s error as cause', async () => {
    const err = await errorOf(prisma.user.create({ data: { name: 'B', email: user.email } }));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({
      fields: ['email'],
      code: 'conflict.unique',
      target: 'User',
      engine: db.engine,
    });
    expect((err as ConflictError).cause).toMatchObject({
      name: 'PrismaClientKnownRequestError',
      code: 'P2002',
    });
  });

  it('names both fields of a compound unique', async () => {
    const err = await errorOf(prisma.membership.create({ data: { orgId: org.id, userId: user.id } }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).fields).toEqual(['orgId', 'userId']);
  });

  it('names the field inside an interactive transaction, in createMany and on the update path of upsert', async () => {
    const other = await prisma.user.create({ data: { name: 'C', email: `c-${randomUUID()}@x.io` } });
    const errors = [
      await errorOf(
        prisma.$transaction(async (tx) => tx.user.create({ data: { name: 'B', email: user.email } })),
      ),
      await errorOf(prisma.user.createMany({ data: [{ name: 'B', email: user.email }] })),
      await errorOf(
        prisma.user.upsert({
          where: { id: other.id },
          create: { name: 'x', email: 'x' },
          update: { email: user.email },
        }),
      ),
    ];
    for (const err of errors) expect(err).toMatchObject({ name: 'ConflictError', fields: ['email'] });
  });

  it('names the field when a raw statement breaks the unique constraint (P2010)', async () => {
    const err = await errorOf(
      prisma.$executeRaw`INSERT INTO "User" (id, name, email, "updatedAt") VALUES (${randomUUID()}, 'r', ${user.email}, now())`,
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).fields).toEqual(['email']);
  });

  it('names the field of a unique index whose name does not follow Prisma’s convention (catalog lookup)', async () => {
    await prisma.$executeRawUnsafe(
      `CREATE UNIQUE INDEX "user_lookup_uq" ON "User" (name) WHERE name LIKE 'uq-%'`,
    );
    await prisma.user.create({ data: { name: 'uq-1', email: `${randomUUID()}@x.io` } });
    const err = await errorOf(prisma.user.create({ data: { name: 'uq-1', email: `${randomUUID()}@x.io` } }));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code: 'conflict.unique', target: 'User', fields: ['name'] });
  });

  it('maps a foreign-key violation to a ConflictError naming the field', async () => {
    const err = await errorOf(prisma.post.create({ data: { authorId: 'missing', title: 't' } }));
    expect(err).toMatchObject({ name: 'ConflictError', code: 'conflict.foreignKey', fields: ['authorId'] });
  });

  it('maps P2025 (update, delete, findUniqueOrThrow) to NotFoundError', async () => {
    for (const p of [
      prisma.user.update({ where: { id: 'missing' }, data: { name: 'x' } }),
      prisma.user.delete({ where: { id: 'missing' } }),
      prisma.user.findUniqueOrThrow({ where: { id: 'missing' } }),
    ]) {
      const err = await errorOf(p);
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ target: 'User', cause: { code: 'P2025' } });
    }
  });

  it('maps serialization failures (40001) and deadlocks (40P01) to retryable TransientErrors', async () => {
    const serialization = await errorOf(
      prisma.session.create({ data: { userId: user.id, token: 'raise:40001', expiresAt: new Date() } }),
    );
    expect(serialization).toBeInstanceOf(TransientError);
    expect(serialization).toMatchObject({
      code: 'transient.serialization',
      retryable: true,
      notApplied: true,
    });
    const deadlock = await errorOf(
      prisma.session.create({ data: { userId: user.id, token: 'raise:40P01', expiresAt: new Date() } }),
    );
    expect(deadlock).toMatchObject({ name: 'TransientError', code: 'transient.deadlock', retryable: true });
  });

  it('maps a statement timeout (57014) to TimeoutError', async () => {
    const err = await errorOf(
      prisma.session.create({ data: { userId: user.id, token: 'raise:57014', expiresAt: new Date() } }),
    );
    // The server cancelled the autocommit statement: certainly not applied, never "outcome unknown".
    expect(err).toMatchObject({ name: 'TimeoutError', code: 'timeout.statement', notApplied: true });
  });

  it('maps insufficient_privilege (42501) to a ForbiddenError answered as 403', async () => {
    const err = await errorOf(
      prisma.session.create({ data: { userId: user.id, token: 'raise:42501', expiresAt: new Date() } }),
    );
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err).toMatchObject({ code: 'forbidden.privilege', retryable: false });
    expect(toProblemDetails(err)).toMatchObject({ status: 403 });
  });

  it('keeps table and constraint names and driver text out of client-facing problem details', async () => {
    const errors = [
      await errorOf(prisma.user.create({ data: { name: 'B', email: user.email } })),
      await errorOf(prisma.post.create({ data: { authorId: 'missing', title: 't' } })),
      await errorOf(prisma.user.update({ where: { id: 'missing' }, data: { name: 'x' } })),
      // A NOT NULL violation from a raw statement: PostgreSQL's text names the relation.
      await errorOf(
        prisma.$executeRawUnsafe(
          'INSERT INTO "User" (id, email, "updatedAt") VALUES ($1, $2, now())',
          randomUUID(),
          `n-${randomUUID()}@x.io`,
        ),
      ),
    ];
    expect(errors.map((e) => (e as DbkitError).kind)).toEqual([
      'conflict',
      'conflict',
      'not_found',
      'validation',
    ]);
    for (const err of errors) {
      const text = JSON.stringify(toProblemDetails(err));
      for (const leak of [
        '\\"User\\"',
        '\\"Post\\"',
        'User_email_key',
        'Post_authorId_fkey',
        'violates',
        'relation',
        'invocation',
      ])
        expect(text).not.toContain(leak);
    }
  });

  it('maps a transaction that outlives its timeout (P2028) to TimeoutError with the limit', async () => {
    const err = await errorOf(
      prisma.$transaction(
        async (tx) => {
          await tx.user.count();
          await new Promise((r) => setTimeout(r, 300));
          return tx.user.count();
        },
        { timeout: 100 },
      ),
    );
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'timeout.transaction', timeoutMs: 100, cause: { code: 'P2028' } });
  });
}

describe('[pglite] error mapping', () => {
  sharedMappings(() => openPglite({ trigger: true }));
  // PGlite runs one transaction at a time and has no network: real serialization failures,
  // deadlocks, unreachable servers and killed backends cannot happen there (see the PostgreSQL suite).
});

describeEngine('postgres', (serverUrl) => {
  describe('error mapping', () => {
    sharedMappings(() => openPostgres(serverUrl, { trigger: true }));
  });

  describe('errors only a server produces', () => {
    let db: TestDb;
    let prisma: Extended;
    beforeAll(async () => {
      db = await openPostgres(serverUrl);
      prisma = extend(db);
    });
    afterAll(async () => {
      await db.close();
    });

    it('maps a serialization failure raised at COMMIT (a raw DriverAdapterError) to TransientError', async () => {
      const owner = await prisma.user.create({ data: { name: 'o', email: `${randomUUID()}@x.io` } });
      const a = await prisma.account.create({ data: { ownerId: owner.id, balance: 100 } });
      const b = await prisma.account.create({ data: { ownerId: owner.id, balance: 100 } });
      const bothRead = barrier(2);
      const bothWrote = barrier(2);
      let firstDone!: () => void;
      const firstCommitted = new Promise<void>((r) => (firstDone = r));
      const opts = { isolationLevel: 'Serializable' as const, timeout: 10_000, retry: false as const };
      const t1 = transactionWithRetry(
        prisma,
        async (tx) => {
          await tx.account.findUnique({ where: { id: b.id } });
          await bothRead();
          await tx.account.update({ where: { id: a.id }, data: { balance: { decrement: 10 } } });
          await bothWrote();
        },
        opts,
      ).finally(() => {
        firstDone();
      });
      const t2 = transactionWithRetry(
        prisma,
        async (tx) => {
          await tx.account.findUnique({ where: { id: a.id } });
          await bothRead();
          await tx.account.update({ where: { id: b.id }, data: { balance: { decrement: 10 } } });
          await bothWrote();
          await firstCommitted;
        },
        opts,
      );
      const [r1, r2] = await Promise.allSettled([t1, t2]);
      expect(r1.status).toBe('fulfilled');
      expect(r2.status).toBe('rejected');
      const err = (r2 as PromiseRejectedResult).reason as TransientError;
      expect(err).toBeInstanceOf(TransientError);
      expect(err.code).toBe('transient.serialization');
      expect((err.cause as Error).name).toMatch(/DriverAdapterError|PrismaClientKnownRequestError/);
    });

    it('maps a real deadlock to TransientError', async () => {
      const owner = await prisma.user.create({ data: { name: 'o', email: `${randomUUID()}@x.io` } });
      const a = await prisma.account.create({ data: { ownerId: owner.id } });
      const b = await prisma.account.create({ data: { ownerId: owner.id } });
      const arrive = barrier(2);
      const txn = (first: string, second: string) =>
        prisma.$transaction(
          async (tx) => {
            await tx.account.update({ where: { id: first }, data: { version: { increment: 1 } } });
            await arrive();
            await tx.account.update({ where: { id: second }, data: { version: { increment: 1 } } });
          },
          { timeout: 10_000 },
        );
      const results = await Promise.allSettled([txn(a.id, b.id), txn(b.id, a.id)]);
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({
        name: 'TransientError',
        code: 'transient.deadlock',
      });
    });

    it('maps a backend terminated during a query to a ConnectionError', async () => {
      const running = prisma.$queryRaw`SELECT pg_sleep(5)`;
      const caught = errorOf(running);
      await new Promise((r) => setTimeout(r, 300));
      await db.sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND pid <> pg_backend_pid()`,
      );
      const err = await caught;
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err).toMatchObject({ code: 'connection.lost', retryable: true });
    });

    it('maps a transaction that cannot start within maxWait to TimeoutError', async () => {
      const single = await openPostgres(serverUrl, { max: 1 });
      try {
        const p = extend(single);
        const holding = p.$transaction(async (tx) => {
          await tx.user.count();
          await new Promise((r) => setTimeout(r, 500));
        });
        await new Promise((r) => setTimeout(r, 50));
        const err = await errorOf(p.$transactionWithRetry(async (tx) => tx.user.count(), { maxWait: 100 }));
        await holding;
        expect(err).toMatchObject({ name: 'TimeoutError', code: 'timeout.transactionStart' });
      } finally {
        await single.close();
      }
    });

    it('keeps pool exhaustion (every connection busy) apart from an unreachable server', async () => {
      const pool = new pg.Pool({ connectionString: db.url, max: 1, connectionTimeoutMillis: 200 });
      const p = new PrismaClient({ adapter: new PrismaPg(pool) }).$extends(
        dbkitExtension({ nPlusOne: false }),
      );
      try {
        const holding = p.$transaction(async (tx) => {
          await tx.user.count();
          await new Promise((r) => setTimeout(r, 600));
        });
        await new Promise((r) => setTimeout(r, 100));
        const err = await errorOf(p.user.create({ data: { name: 'w', email: `${randomUUID()}@x.io` } }));
        await holding;
        // Nothing was sent: a plain TimeoutError the caller may retry, not "outcome unknown".
        expect(err).toMatchObject({ name: 'TimeoutError', code: 'timeout.pool', notApplied: true });
      } finally {
        await p.$disconnect();
        await pool.end();
      }
    });

    it('maps an unreachable server (P1001) to a retryable ConnectionError', async () => {
      const url = new URL(serverUrl);
      url.port = '1';
      const unreachable = new PrismaClient({
        adapter: new PrismaPg({ connectionString: url.toString() }),
      }).$extends(dbkitExtension({ nPlusOne: false }));
      const err = await errorOf(unreachable.user.count());
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err).toMatchObject({
        code: 'connection.unreachable',
        retryable: true,
        notApplied: true,
        cause: { code: 'P1001' },
      });
      await unreachable.$disconnect();
    });
  });
});
