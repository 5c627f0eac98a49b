// One suite over core's Repository contract, run against each engine module's implementation.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictError,
  NotFoundError,
  UnsupportedError,
  ValidationError,
  VersionConflictError,
  createCursorCodec,
} from '../../src/core/internal.js';
import type { Repository } from '../../src/core/internal.js';
import { createDynamoClient, defineEntity, defineTable } from '../../src/dynamo/index.js';
import { connectMongo, defineCollection, mongoRepository } from '../../src/mongo/index.js';
import { dbkitExtension, prismaRepository } from '../../src/prisma/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import type { TestEngine } from '../helpers/provided.js';
import { openPglite, openPostgres } from '../prisma/support.js';

/** What every engine's item looks like to the contract. */
interface Item {
  name: string;
  version: number;
}

/** An engine's repository plus how to address and fill it. */
interface Harness {
  repo: Repository<Item, unknown, unknown, unknown, unknown>;
  key(id: string): unknown;
  input(id: string, name: string): unknown;
  patch(name: string): unknown;
  /** A list query over this harness's items, and another query whose cursors must not mix with it. */
  listQuery: unknown;
  otherQuery: unknown;
  /** False where versioned writes are refused as unsupported (FerretDB v1). */
  atomicUpdates: boolean;
  close(): Promise<void>;
}

const cursors = createCursorCodec({ secret: 'conformance-secret-0123456789' });

const harnesses: { engine: TestEngine | 'pglite'; open: (url: string) => Promise<Harness> }[] = [
  {
    engine: 'pglite',
    open: async () => {
      const db = await openPglite();
      return prismaHarness(db.prisma.$extends(dbkitExtension({ cursors, nPlusOne: false })), () =>
        db.close(),
      );
    },
  },
  {
    engine: 'postgres',
    open: async (url) => {
      const db = await openPostgres(url);
      return prismaHarness(db.prisma.$extends(dbkitExtension({ cursors, nPlusOne: false })), () =>
        db.close(),
      );
    },
  },
  {
    engine: 'dynamodb',
    open: async (endpoint) => {
      const table = defineTable({ name: uniqueName('contract'), partitionKey: 'pk', sortKey: 'sk' });
      const Note = defineEntity(table, {
        name: 'Note',
        schema: z.object({ listId: z.string(), id: z.string(), name: z.string() }),
        key: { pk: 'LIST#{listId}', sk: 'NOTE#{id}' },
        version: true,
      });
      const db = createDynamoClient({ local: endpoint, cursorSecret: 'conformance-secret-0123456789' });
      await db.ensureTable(table);
      const listId = randomUUID();
      return {
        repo: db.entity(Note) as unknown as Harness['repo'],
        key: (id) => ({ listId, id }),
        input: (id, name) => ({ listId, id, name }),
        patch: (name) => ({ set: { name } }),
        listQuery: { partition: { listId } },
        otherQuery: { partition: { listId: `${listId}-other` } },
        atomicUpdates: true,
        close: async () => {
          await db.deleteTable(table);
          db.destroy();
        },
      };
    },
  },
  ...(['ferretdb', 'mongo-java-server', 'mongodb'] as const).map((engine) => ({
    engine,
    open: async (uri: string): Promise<Harness> => {
      const mongo = await connectMongo({
        uri,
        dbName: uniqueName('contract'),
        shared: false,
        cursorSecret: 'conformance-secret-0123456789',
      });
      const caps = await mongo.capabilities();
      const notes = defineCollection({
        name: 'notes',
        schema: z.object({ _id: z.string(), name: z.string(), group: z.string() }),
        idType: 'string',
        version: true,
        mapId: true,
      });
      return {
        repo: mongoRepository(mongo, notes) as unknown as Harness['repo'],
        key: (id) => id,
        input: (id, name) => ({ _id: id, name, group: 'a' }),
        patch: (name) => ({ $set: { name } }),
        listQuery: { group: 'a' },
        otherQuery: { group: 'b' },
        atomicUpdates: caps.atomicUpdates,
        close: async () => {
          await mongo.db.dropDatabase();
          await mongo.close();
        },
      };
    },
  })),
];

function prismaHarness(prisma: { user: unknown }, close: () => Promise<void>): Harness {
  const repo = prismaRepository<Item, { id: string }, object, object, object>(prisma.user as never, {
    model: 'User',
    where: (k) => ({ id: k.id }),
    orderBy: [{ id: 'asc' }],
    cursors,
  });
  return {
    repo,
    key: (id) => ({ id }),
    input: (id, name) => ({ id, name, email: `${id}@example.com` }),
    patch: (name) => ({ name }),
    listQuery: { role: 'MEMBER' },
    otherQuery: { role: 'ADMIN' },
    atomicUpdates: true,
    close,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

for (const { engine, open } of harnesses) {
  const suite = (url: string) => {
    describe('repository contract', () => {
      let h: Harness;
      beforeAll(async () => {
        h = await open(url);
      });
      afterAll(async () => {
        await h.close();
      });

      it('creates, gets, and returns null for a missing key', async () => {
        const id = randomUUID();
        const created = await h.repo.create(h.input(id, 'first'));
        expect(created.name).toBe('first');
        expect(typeof created.version).toBe('number');
        expect((await h.repo.get(h.key(id)))?.name).toBe('first');
        expect(await h.repo.get(h.key(randomUUID()))).toBeNull();
      });

      it('refuses a second create of the same key as a conflict', async () => {
        const id = randomUUID();
        await h.repo.create(h.input(id, 'one'));
        expect(await rejection(h.repo.create(h.input(id, 'two')))).toBeInstanceOf(ConflictError);
        expect((await h.repo.get(h.key(id)))?.name).toBe('one');
      });

      it('refuses versioned writes as unsupported where updates are not atomic', async (ctx) => {
        if (h.atomicUpdates) ctx.skip('this engine has atomic single-record updates');
        const id = randomUUID();
        const created = await h.repo.create(h.input(id, 'v1'));
        expect(
          await rejection(h.repo.update(h.key(id), h.patch('v2'), { expectedVersion: created.version })),
        ).toBeInstanceOf(UnsupportedError);
        expect((await h.repo.get(h.key(id)))?.name).toBe('v1');
      });

      it('updates at the expected version, and tells a stale version from a missing record', async (ctx) => {
        if (!h.atomicUpdates)
          ctx.skip('conditional updates are read-then-write here: versioned writes are refused');
        const id = randomUUID();
        const created = await h.repo.create(h.input(id, 'v1'));
        const updated = await h.repo.update(h.key(id), h.patch('v2'), { expectedVersion: created.version });
        expect(updated.name).toBe('v2');
        expect(updated.version).toBe(created.version + 1);
        const stale = await rejection(
          h.repo.update(h.key(id), h.patch('lost'), { expectedVersion: created.version }),
        );
        expect(stale).toBeInstanceOf(VersionConflictError);
        expect((stale as VersionConflictError).expectedVersion).toBe(created.version);
        expect(
          await rejection(h.repo.update(h.key(randomUUID()), h.patch('x'), { expectedVersion: 1 })),
        ).toBeInstanceOf(NotFoundError);
        expect((await h.repo.get(h.key(id)))?.name).toBe('v2');
      });

      it('deletes at the expected version only', async (ctx) => {
        if (!h.atomicUpdates)
          ctx.skip('conditional updates are read-then-write here: versioned writes are refused');
        const id = randomUUID();
        const created = await h.repo.create(h.input(id, 'doomed'));
        expect(
          await rejection(h.repo.delete(h.key(id), { expectedVersion: created.version + 5 })),
        ).toBeInstanceOf(VersionConflictError);
        await h.repo.delete(h.key(id), { expectedVersion: created.version });
        expect(await h.repo.get(h.key(id))).toBeNull();
        expect(await rejection(h.repo.delete(h.key(id)))).toBeInstanceOf(NotFoundError);
      });

      it('lists every item once in pages of 7, and refuses tampered and foreign cursors', async () => {
        const before = new Set<string>();
        let cursor: string | null = null;
        do {
          const page: { items: Item[]; cursor: string | null } = await h.repo.list(h.listQuery, {
            limit: 7,
            cursor,
          });
          for (const item of page.items) before.add(JSON.stringify(item));
          cursor = page.cursor;
        } while (cursor);
        const names = Array.from({ length: 60 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
        for (const name of names) await h.repo.create(h.input(randomUUID(), name));
        const seen: string[] = [];
        let pages = 0;
        let first: string | null = null;
        cursor = null;
        do {
          const page: { items: Item[]; cursor: string | null } = await h.repo.list(h.listQuery, {
            limit: 7,
            cursor,
          });
          expect(page.items.length).toBeLessThanOrEqual(7);
          seen.push(...page.items.map((i) => i.name));
          cursor = page.cursor;
          first ??= cursor;
          pages++;
        } while (cursor && pages < 100);
        for (const name of names) expect(seen.filter((n) => n === name)).toHaveLength(1);
        expect(seen.length).toBe(names.length + before.size);
        expect(first).toBeTruthy();
        const token = first ?? '';
        const tampered = `${token.slice(0, 12)}${token[12] === 'A' ? 'B' : 'A'}${token.slice(13)}`;
        expect(await rejection(h.repo.list(h.listQuery, { limit: 7, cursor: tampered }))).toBeInstanceOf(
          ValidationError,
        );
        const foreign = await rejection(h.repo.list(h.otherQuery, { limit: 7, cursor: token }));
        expect(foreign).toBeInstanceOf(ValidationError);
        expect((foreign as ValidationError).code).toBe('cursor.queryMismatch');
      });
    });
  };
  if (engine === 'pglite')
    describe('[pglite]', () => {
      suite('');
    });
  else describeEngine(engine, suite);
}
