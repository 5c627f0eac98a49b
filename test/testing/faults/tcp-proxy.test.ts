// The TCP fault proxy in front of PostgreSQL: forwarding, black holes, cuts, refusals and resets seen by a pg client.
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { seededRandom, startTcpProxy } from '../../../src/testing/index.js';
import type { TcpProxy } from '../../../src/testing/index.js';
import { describeEngine } from '../../helpers/engines.js';

const settle = <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

const after = (ms: number): Promise<'timeout'> =>
  new Promise((resolve) =>
    setTimeout(() => {
      resolve('timeout');
    }, ms),
  );

describeEngine('postgres', (databaseUrl) => {
  const proxies: TcpProxy[] = [];
  const clients: pg.Client[] = [];

  const proxy = async (): Promise<TcpProxy> => {
    const p = await startTcpProxy({ upstream: databaseUrl });
    proxies.push(p);
    return p;
  };
  const client = (p: TcpProxy): pg.Client => {
    const c = new pg.Client({ connectionString: p.url(databaseUrl) });
    // a cut connection also emits 'error' on an idle client; the tests assert on the query instead
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };

  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    // the proxies are closed, so ending can no longer wait on a held connection
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  });

  it('forwards queries and counts live connections', async () => {
    const p = await proxy();
    expect(p.url(databaseUrl)).toContain(`127.0.0.1:${p.port}`);
    const c = client(p);
    await c.connect();
    expect(p.connections).toBe(1);
    const { rows } = await c.query<{ n: number }>('SELECT 41 + 1 AS n');
    expect(rows[0]?.n).toBe(42);
    await c.end();
    await expect.poll(() => p.connections).toBe(0);
  });

  it('blackhole makes a query on a live connection hang, and close releases it', async () => {
    const p = await proxy();
    const c = client(p);
    await c.connect();
    p.setMode({ kind: 'blackhole' });
    const query = settle(c.query('SELECT 1'));
    expect(await Promise.race([query, after(500)])).toBe('timeout');
    expect(p.connections).toBe(1);
    await p.close();
    expect((await query).ok).toBe(false);
  });

  it('blackhole holds new connections too, and a healed network lets held bytes through intact', async () => {
    const p = await proxy();
    const live = client(p);
    await live.connect();
    p.setMode({ kind: 'blackhole' });
    const fresh = client(p);
    const connecting = settle(fresh.connect());
    const query = settle(live.query<{ n: number }>('SELECT 7 AS n'));
    expect(await Promise.race([connecting, after(500)])).toBe('timeout');
    expect(await Promise.race([query, after(10)])).toBe('timeout');
    p.setMode({ kind: 'forward' });
    expect(await connecting).toMatchObject({ ok: true });
    expect(await query).toMatchObject({ ok: true, value: { rows: [{ n: 7 }] } });
    expect((await fresh.query<{ n: number }>('SELECT 8 AS n')).rows[0]?.n).toBe(8);
  });

  it('cutAfterBytes breaks the connection in the middle of a response', async () => {
    const p = await proxy();
    const c = client(p);
    await c.connect();
    p.setMode({ kind: 'cutAfterBytes', bytes: 100 });
    const result = await settle(c.query("SELECT repeat('x', 100000) AS big"));
    expect(result.ok).toBe(false);
    await expect.poll(() => p.connections).toBe(0);
  });

  it('cutAfterBytes from client to server breaks the connection while the request is sent', async () => {
    const p = await proxy();
    const c = client(p);
    await c.connect();
    p.setMode({ kind: 'cutAfterBytes', bytes: 10, direction: 'clientToServer' });
    expect((await settle(c.query('SELECT $1::text AS t', ['y'.repeat(1000)]))).ok).toBe(false);
  });

  it('refuse fails new connections at once and leaves live ones working', async () => {
    const p = await proxy();
    const live = client(p);
    await live.connect();
    p.setMode({ kind: 'refuse' });
    const started = Date.now();
    expect((await settle(client(p).connect())).ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await live.query<{ n: number }>('SELECT 1 AS n')).rows[0]?.n).toBe(1);
  });

  it('cutShare with a seeded random fails exactly the connections its sequence picks', async () => {
    const p = await proxy();
    p.setMode({ kind: 'cutShare', share: 0.5, random: seededRandom(11) });
    const results: boolean[] = [];
    for (let i = 0; i < 8; i += 1) results.push((await settle(client(p).connect())).ok);
    const expected = seededRandom(11);
    expect(results).toEqual(Array.from({ length: 8 }, () => expected() >= 0.5));
    expect(results).toContain(true);
    expect(results).toContain(false);
  });

  it('cutShare at firstBytes lets the connection open and closes it once the client speaks', async () => {
    const p = await proxy();
    p.setMode({ kind: 'cutShare', share: 1, at: 'firstBytes' });
    expect((await settle(client(p).connect())).ok).toBe(false);
  });

  it('resetAll breaks every live connection', async () => {
    const p = await proxy();
    const a = client(p);
    const b = client(p);
    await Promise.all([a.connect(), b.connect()]);
    expect(p.connections).toBe(2);
    p.resetAll();
    expect(p.connections).toBe(0);
    expect((await settle(a.query('SELECT 1'))).ok).toBe(false);
    expect((await settle(b.query('SELECT 1'))).ok).toBe(false);
    expect((await settle(client(p).connect())).ok).toBe(true);
  });
});
