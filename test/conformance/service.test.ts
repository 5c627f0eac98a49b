// One suite, written once, run against every engine: the example service's behaviour over HTTP.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../examples/service/app.js';
import type { Store } from '../../examples/service/store.js';
import { conformanceTargets } from './targets.js';

interface Problem {
  type: string;
  status: number;
  code: string;
  fields?: string[];
  issues?: { path: (string | number)[]; code?: string }[];
}

/** The error kind a problem's type URI names, e.g. `version-conflict`. */
const kindOf = (problem: Problem): string | undefined => problem.type.split('/').pop();

for (const target of conformanceTargets()) {
  target.describe('example service over HTTP', () => {
    let app: FastifyInstance;
    let store: Store;

    beforeAll(async () => {
      store = await target.open();
      app = await buildApp({ store });
    });
    afterAll(async () => {
      await app.close();
    });

    async function post<T = Record<string, unknown>>(
      url: string,
      body: unknown,
      headers: Record<string, string> = {},
    ) {
      const res = await app.inject({ method: 'POST', url, payload: body as object, headers });
      return { status: res.statusCode, body: res.json<T>(), headers: res.headers };
    }
    async function get<T = Record<string, unknown>>(url: string) {
      const res = await app.inject({ method: 'GET', url });
      return { status: res.statusCode, body: res.json<T>(), headers: res.headers };
    }
    async function newUser(name = 'Ada'): Promise<{ id: string; email: string; version: number }> {
      const res = await post<{ id: string; email: string; version: number }>('/users', {
        name,
        email: `${randomUUID()}@example.com`,
      });
      expect(res.status).toBe(201);
      return res.body;
    }

    it('creates a user, then refuses the same email (any case) as a 409 naming the field', async () => {
      const email = `Ada.${randomUUID()}@Example.com`;
      const first = await post<{ email: string }>('/users', { name: 'Ada', email: `  ${email} ` });
      expect(first.status).toBe(201);
      expect(first.body.email).toBe(email.toLowerCase());
      const again = await post<Problem>('/users', { name: 'Other Ada', email: email.toLowerCase() });
      expect(again.status).toBe(409);
      expect(again.headers['content-type']).toContain('application/problem+json');
      expect(again.body).toMatchObject({ type: 'https://dbkit.dev/problems/conflict', fields: ['email'] });
      expect(again.body.code).toMatch(/^conflict/);
      expect(JSON.stringify(again.body)).not.toMatch(/E11000|P2002|ConditionalCheckFailed|stack/);
    });

    it('gets a user by id and by email, and answers 404 for an unknown id', async () => {
      const user = await newUser();
      const byId = await get<{ id: string }>(`/users/${user.id}`);
      expect(byId.status).toBe(200);
      expect(byId.headers.etag).toMatch(/^"\d+"$/);
      expect(
        (await get<{ id: string }>(`/users?email=${encodeURIComponent(user.email.toUpperCase())}`)).body.id,
      ).toBe(user.id);
      const missing = await get<Problem>(`/users/${randomUUID()}`);
      expect(missing.status).toBe(404);
      expect(kindOf(missing.body)).toBe('not-found');
    });

    it('updates with optimistic locking: a stale If-Match is a 412', async (ctx) => {
      const user = await newUser();
      const read = await get(`/users/${user.id}`);
      const etag = String(read.headers.etag);
      if (!store.capabilities.atomicUpdates) {
        const refused = await app.inject({
          method: 'PATCH',
          url: `/users/${user.id}`,
          payload: { name: 'x' },
          headers: { 'if-match': etag },
        });
        expect(refused.statusCode).toBe(501);
        ctx.skip(
          `${target.name} applies conditional updates as read-then-write, so dbkit refuses versioned writes there`,
        );
      }
      expect(etag).toMatch(/^"\d+"$/);
      const patch = (ifMatch: string, name: string, id = user.id) =>
        app.inject({
          method: 'PATCH',
          url: `/users/${id}`,
          payload: { name },
          headers: { 'if-match': ifMatch },
        });
      const first = await patch(etag, 'Ada L.');
      expect(first.statusCode).toBe(200);
      expect(first.headers.etag).not.toBe(etag);
      const stale = await patch(etag, 'Lost update');
      expect(stale.statusCode).toBe(412);
      expect(kindOf(stale.json<Problem>())).toBe('version-conflict');
      expect((await get<{ name: string }>(`/users/${user.id}`)).body.name).toBe('Ada L.');
      expect((await patch(etag, 'x', randomUUID())).statusCode).toBe(404);
      expect(
        (await app.inject({ method: 'PATCH', url: `/users/${user.id}`, payload: { name: 'x' } })).statusCode,
      ).toBe(400);
    });

    it('pages through 1,000 posts in pages of 37, newest first, none missed or repeated', async () => {
      const author = await newUser();
      const created = new Set<string>();
      for (let i = 0; i < 1000; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(50, 1000 - i) }, (_, j) =>
            post<{ id: string }>(`/users/${author.id}/posts`, { title: `post ${i + j}` }),
          ),
        );
        for (const res of batch) {
          expect(res.status).toBe(201);
          created.add(res.body.id);
        }
      }
      const seen: string[] = [];
      const times: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `/users/${author.id}/posts?limit=37${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await get<{ items: { id: string; createdAt: string }[]; nextCursor: string | null }>(
          url,
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(37);
        seen.push(...page.body.items.map((p) => p.id));
        times.push(...page.body.items.map((p) => p.createdAt));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      expect(seen.length).toBe(1000);
      expect(new Set(seen).size).toBe(1000);
      expect(new Set(seen)).toEqual(created);
      expect([...times].sort().reverse()).toEqual(times);
      expect(pages).toBe(Math.ceil(1000 / 37));
    });

    it('refuses a tampered cursor and a cursor from another query with a 400', async () => {
      const [a, b] = [await newUser(), await newUser()];
      for (let i = 0; i < 3; i++) await post(`/users/${a.id}/posts`, { title: `p${i}` });
      const page = await get<{ nextCursor: string }>(`/users/${a.id}/posts?limit=1`);
      const cursor = page.body.nextCursor;
      expect(cursor).toBeTruthy();
      const flipped = `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;
      const tampered = await get<Problem>(
        `/users/${a.id}/posts?limit=1&cursor=${encodeURIComponent(flipped)}`,
      );
      expect(tampered.status).toBe(400);
      expect(tampered.body.code).toMatch(/^cursor\./);
      const foreign = await get<Problem>(`/users/${b.id}/posts?limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect(foreign.status).toBe(400);
      expect(foreign.body.code).toBe('cursor.queryMismatch');
    });

    it('counts 40 concurrent likes exactly', async (ctx) => {
      if (!store.capabilities.atomicUpdates)
        ctx.skip(
          `${target.name} loses concurrent $inc updates (read-then-write), so counters are not atomic there`,
        );
      const author = await newUser();
      const { body: created } = await post<{ id: string }>(`/users/${author.id}/posts`, { title: 'liked' });
      const results = await Promise.all(
        Array.from({ length: 40 }, () => post<{ likeCount: number }>(`/posts/${created.id}/like`, {})),
      );
      expect(results.every((r) => r.status === 200)).toBe(true);
      // Each response reports a count in range; the stored total is exact. (mongo-java-server may hand two
      // concurrent callers the same post-increment snapshot, though no increment is lost.)
      for (const r of results) expect(r.body.likeCount).toBeGreaterThanOrEqual(1);
      expect(Math.max(...results.map((r) => r.body.likeCount))).toBe(40);
      expect((await get<{ likeCount: number }>(`/posts/${created.id}`)).body.likeCount).toBe(40);
    });

    it('returns the same validation problem, with the same paths and codes, on every engine', async () => {
      const res = await post<Problem>('/users', {
        name: '',
        email: 'not-an-email',
        addresses: Array.from({ length: 6 }, () => ({
          label: 'home',
          street: '1 Road',
          city: 'Town',
          country: 'UK',
        })),
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation');
      expect(res.body.issues?.map((i) => [i.path.join('.'), i.code])).toEqual([
        ['body.name', 'too_small'],
        ['body.email', 'invalid_format'],
        ['body.addresses', 'too_big'],
      ]);
      const badId = await get<Problem>('/users/not-a-uuid');
      expect(badId.status).toBe(400);
      expect(badId.body.issues?.[0]?.path).toEqual(['params', 'id']);
    });

    it('builds the top-authors report identically for the same data', async () => {
      const report = await seedAuthors(post, target.name);
      const res =
        await get<{ authorId: string; name: string; publishedCount: number; latestPostTitle: string }[]>(
          '/reports/top-authors',
        );
      expect(res.status).toBe(200);
      const ours = res.body
        .filter((r) => report.ids.has(r.authorId))
        .map(({ name, publishedCount, latestPostTitle }) => ({ name, publishedCount, latestPostTitle }));
      expect(ours).toEqual(report.expected);
    });

    it('expires sessions', async () => {
      const user = await newUser();
      const short = await post<{ token: string }>('/sessions', { userId: user.id, ttlSeconds: 1 });
      const long = await post<{ token: string }>('/sessions', { userId: user.id, ttlSeconds: 3600 });
      expect(short.status).toBe(201);
      expect((await get(`/sessions/${short.body.token}`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1_300));
      expect((await get(`/sessions/${short.body.token}`)).status).toBe(404);
      expect((await get(`/sessions/${long.body.token}`)).status).toBe(200);
    });

    it('answers 503 problem details, with no driver message, once the database connection is gone', async (ctx) => {
      if (target.name === 'dynamodb')
        ctx.skip(
          'the DynamoDB client speaks HTTP per request: there is no connection to lose (an unreachable endpoint is mapped in test/dynamo)',
        );
      const gone = await target.open();
      const goneApp = await buildApp({ store: gone });
      await gone.close();
      const res = await goneApp.inject({ method: 'GET', url: `/users/${randomUUID()}` });
      expect(res.statusCode).toBe(503);
      const problem = res.json<Problem>();
      expect(kindOf(problem)).toBe('connection');
      expect(JSON.stringify(problem)).not.toMatch(/stack|at .*\.js|Cannot use a pool|PGlite|MongoClient/);
      await goneApp.close().catch(() => undefined);
    });

    describe('transfers', () => {
      const skipReason = () =>
        store.capabilities.transactions ? null : `${target.name} has no multi-document transactions`;

      it('moves money atomically under concurrency, conserving the total and never going negative', async (ctx) => {
        const reason = skipReason();
        if (reason) {
          const res = await post<Problem>(
            '/transfers',
            { fromId: randomUUID(), toId: randomUUID(), amount: 1 },
            { 'idempotency-key': randomUUID() },
          );
          expect(res.status).toBe(501);
          expect(kindOf(res.body)).toBe('unsupported');
          ctx.skip(reason);
        }
        const owner = await newUser();
        const accounts = await Promise.all(
          [0, 1, 2].map(() => post<{ id: string }>('/accounts', { ownerId: owner.id, balance: 100 })),
        );
        const ids = accounts.map((a) => a.body.id);
        const moves = Array.from({ length: 30 }, (_, i) => ({
          fromId: ids[i % 3]!,
          toId: ids[(i + 1) % 3]!,
          amount: 17 + (i % 5) * 11,
        }));
        const results = await Promise.all(
          moves.map((m) => post<Problem>('/transfers', m, { 'idempotency-key': randomUUID() })),
        );
        for (const r of results) expect([201, 409]).toContain(r.status);
        expect(results.filter((r) => r.status === 201).length).toBeGreaterThan(0);
        const balances = await Promise.all(
          ids.map(async (id) => (await get<{ balance: number }>(`/accounts/${id}`)).body.balance),
        );
        expect(balances.reduce((a, b) => a + b, 0)).toBe(300);
        for (const b of balances) expect(b).toBeGreaterThanOrEqual(0);
      });

      it('refuses an overdraft with a 409 and moves nothing', async (ctx) => {
        const reason = skipReason();
        if (reason) ctx.skip(reason);
        const owner = await newUser();
        const [a, b] = await Promise.all([
          post<{ id: string }>('/accounts', { ownerId: owner.id, balance: 10 }),
          post<{ id: string }>('/accounts', { ownerId: owner.id, balance: 0 }),
        ]);
        const res = await post<Problem>(
          '/transfers',
          { fromId: a.body.id, toId: b.body.id, amount: 11 },
          { 'idempotency-key': randomUUID() },
        );
        expect(res.status).toBe(409);
        expect(kindOf(res.body)).toBe('condition-failed');
        expect((await get<{ balance: number }>(`/accounts/${a.body.id}`)).body.balance).toBe(10);
        expect((await get<{ balance: number }>(`/accounts/${b.body.id}`)).body.balance).toBe(0);
      });

      it('moves money once for an idempotency key retried 5 times', async (ctx) => {
        const reason = skipReason();
        if (reason) ctx.skip(reason);
        const owner = await newUser();
        const [a, b] = await Promise.all([
          post<{ id: string }>('/accounts', { ownerId: owner.id, balance: 100 }),
          post<{ id: string }>('/accounts', { ownerId: owner.id, balance: 0 }),
        ]);
        const key = randomUUID();
        const body = { fromId: a.body.id, toId: b.body.id, amount: 30 };
        const first = await post<{ id: string }>('/transfers', body, { 'idempotency-key': key });
        expect(first.status).toBe(201);
        const retries = await Promise.all(
          Array.from({ length: 4 }, () =>
            post<{ id: string }>('/transfers', body, { 'idempotency-key': key }),
          ),
        );
        for (const r of retries) {
          expect(r.status).toBe(201);
          expect(r.body.id).toBe(first.body.id);
        }
        expect((await get<{ balance: number }>(`/accounts/${a.body.id}`)).body.balance).toBe(70);
        expect((await get<{ balance: number }>(`/accounts/${b.body.id}`)).body.balance).toBe(30);
        const misuse = await post<Problem>('/transfers', { ...body, amount: 31 }, { 'idempotency-key': key });
        expect(misuse.status).toBe(409);
      });
    });
  });
}

/** Seeds four authors with a known set of posts and returns the report rows they must produce. */
async function seedAuthors(
  post: <T>(url: string, body: unknown) => Promise<{ status: number; body: T }>,
  tag: string,
): Promise<{
  ids: Set<string>;
  expected: { name: string; publishedCount: number; latestPostTitle: string }[];
}> {
  const plan = [
    { name: `${tag}-Grace`, posts: [true, true, true, false] },
    { name: `${tag}-Linus`, posts: [true, false] },
    { name: `${tag}-Barbara`, posts: [true, true] },
    { name: `${tag}-Ken`, posts: [false] },
  ];
  const ids = new Set<string>();
  const expected: { name: string; publishedCount: number; latestPostTitle: string }[] = [];
  for (const author of plan) {
    const user = await post<{ id: string }>('/users', {
      name: author.name,
      email: `${randomUUID()}@example.com`,
    });
    ids.add(user.body.id);
    let latest = '';
    for (const [i, published] of author.posts.entries()) {
      const title = `${author.name} post ${i}`;
      await post(`/users/${user.body.id}/posts`, { title, published });
      if (published) latest = title;
      await new Promise((r) => setTimeout(r, 5));
    }
    const count = author.posts.filter(Boolean).length;
    if (count > 0) expected.push({ name: author.name, publishedCount: count, latestPostTitle: latest });
  }
  expected.sort((a, b) => b.publishedCount - a.publishedCount || a.name.localeCompare(b.name));
  return { ids, expected };
}
