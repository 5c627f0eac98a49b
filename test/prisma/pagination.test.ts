// Keyset pagination with signed cursors over 10,000 rows while rows are inserted, on PGlite and PostgreSQL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError, createCursorCodec } from '../../src/core/internal.js';
import { dbkitExtension } from '../../src/prisma/index.js';
import { describeEngine } from '../helpers/engines.js';
import { errorOf, openPglite, openPostgres } from './support.js';
import type { TestDb } from './support.js';

const cursors = createCursorCodec({ secret: 'pagination-test-secret-0123456789' });

function suite(open: () => Promise<TestDb>): void {
  let db: TestDb;
  let prisma: ReturnType<typeof extend>;
  function extend(d: TestDb) {
    return d.prisma.$extends(dbkitExtension({ nPlusOne: false, cursors }));
  }
  let authorId: string;
  const original = new Set<string>();
  beforeAll(async () => {
    db = await open();
    prisma = extend(db);
    authorId = (await prisma.user.create({ data: { name: 'a', email: `${randomUUID()}@x.io` } })).id;
    const base = Date.UTC(2026, 0, 1);
    for (let chunk = 0; chunk < 10; chunk++) {
      const rows = Array.from({ length: 1000 }, (_, i) => ({
        id: `p${String(chunk * 1000 + i).padStart(5, '0')}-${randomUUID()}`,
        authorId,
        title: `post ${chunk * 1000 + i}`,
        // Many rows share a timestamp, so the id must break ties.
        createdAt: new Date(base + Math.floor((chunk * 1000 + i) / 7) * 1000),
      }));
      await prisma.post.createMany({ data: rows });
      for (const r of rows) original.add(r.id);
    }
  }, 120_000);
  afterAll(async () => {
    await db.close();
  });

  it('visits every one of 10,000 rows exactly once while rows are inserted concurrently', async () => {
    const seen = new Map<string, number>();
    let cursor: string | null = null;
    let pages = 0;
    let inserted = 0;
    const args = { where: { authorId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] as const, limit: 500 };
    do {
      const insert = prisma.post.createMany({
        data: Array.from({ length: 5 }, (_, i) => ({
          authorId,
          title: 'late',
          // Some land behind the cursor, some ahead of it.
          createdAt: new Date(Date.UTC(2026, 0, 1) + (i % 2 === 0 ? -1 : 1) * (1 + i) * 86_400_000 * pages),
        })),
      });
      const page: { items: { id: string }[]; cursor: string | null } = await prisma.post.paginate({
        ...args,
        cursor,
      });
      await insert;
      inserted += 5;
      for (const row of page.items) seen.set(row.id, (seen.get(row.id) ?? 0) + 1);
      cursor = page.cursor;
      pages += 1;
    } while (cursor !== null);
    expect(inserted).toBeGreaterThan(0);
    for (const id of original) expect(seen.get(id), id).toBe(1);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(pages).toBeGreaterThanOrEqual(20);
  });

  it('returns the page in key order with a select, and refuses a cursor from another query or a tampered one', async () => {
    const first = await prisma.post.paginate({
      where: { authorId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      limit: 50,
      select: { title: true, createdAt: true, id: true },
    });
    expect(first.items).toHaveLength(50);
    const titles: string[] = first.items.map((p) => p.title);
    expect(titles).toHaveLength(50);
    const keys = first.items.map((p) => `${p.createdAt.toISOString()}|${p.id}`);
    expect([...keys].sort().reverse()).toEqual(keys);
    expect(first.cursor).not.toBeNull();
    const other = await errorOf(
      prisma.post.paginate({
        where: { published: true },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        cursor: first.cursor,
      }),
    );
    expect(other).toBeInstanceOf(ValidationError);
    expect(other).toMatchObject({ code: 'cursor.queryMismatch' });
    const token = first.cursor ?? '';
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const bad = await errorOf(
      prisma.post.paginate({
        where: { authorId },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        cursor: tampered,
      }),
    );
    expect(bad).toMatchObject({ code: 'cursor.invalidSignature' });
  });

  it('takes cursor and limit straight from a request (string | undefined under exactOptionalPropertyTypes)', async () => {
    const req: { query: { cursor?: string | undefined; limit?: number | undefined } } = { query: {} };
    const args = { where: { authorId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] as const };
    const first = await prisma.post.paginate({ ...args, cursor: req.query.cursor, limit: req.query.limit });
    expect(first.items).toHaveLength(25);
    req.query = { cursor: first.cursor ?? undefined, limit: 10 };
    const second = await prisma.post.paginate({ ...args, cursor: req.query.cursor, limit: req.query.limit });
    expect(second.items).toHaveLength(10);
    expect(second.items[0]?.id).not.toBe(first.items[0]?.id);
  });
}

describe('[pglite] keyset pagination', () => {
  suite(() => openPglite());
});

describeEngine('postgres', (serverUrl) => {
  describe('keyset pagination', () => {
    suite(() => openPostgres(serverUrl));
  });
});
