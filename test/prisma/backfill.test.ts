import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isDbkitError } from '../../src/core/internal.js';
import { backfill, sqlSource } from '../../src/prisma/index.js';
import type { SqlBackfillOptions } from '../../src/prisma/index.js';
import { killAt } from '../helpers/kill-at.js';
import { describeEngine } from '../helpers/engines.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';

const N = Number(process.env['DBKIT_BACKFILL_ROWS'] ?? 5_000);

type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

async function seed(query: Query, rows: number): Promise<void> {
  await query('DROP TABLE IF EXISTS items');
  await query('DROP TABLE IF EXISTS _dbkit_backfills');
  await query(
    'CREATE TABLE items (id integer PRIMARY KEY, email text NOT NULL, email_lower text, touched integer NOT NULL DEFAULT 0)',
  );
  await query(
    `INSERT INTO items (id, email) SELECT g, 'User' || g || '@Example.COM' FROM generate_series(1, $1::int) AS g`,
    [rows],
  );
}

// The row transform of these tests: `touched` counts applications, so a row written twice shows 2.
const lowerEmail = (name: string, extra: Partial<SqlBackfillOptions> = {}): SqlBackfillOptions => ({
  name,
  table: 'items',
  key: 'id',
  where: 'email_lower IS NULL',
  columns: ['email', 'touched'],
  transform: (row) => ({
    email_lower: String(row['email']).toLowerCase(),
    touched: Number(row['touched']) + 1,
  }),
  ...extra,
});

async function counts(
  query: Query,
): Promise<{ pending: number; touched: Record<string, number>; wrong: number }> {
  const [row] = await query(
    `SELECT count(*) FILTER (WHERE email_lower IS NULL)::int AS pending,
            count(*) FILTER (WHERE email_lower IS DISTINCT FROM lower(email))::int AS wrong FROM items`,
  );
  const touched = await query(
    'SELECT touched, count(*)::int AS n FROM items GROUP BY touched ORDER BY touched',
  );
  return {
    pending: Number(row?.['pending']),
    wrong: Number(row?.['wrong']),
    touched: Object.fromEntries(touched.map((r) => [String(r['touched']), Number(r['n'])])),
  };
}

describeEngine('postgres', (serverUrl) => {
  describe('backfill', () => {
    let database: TestDatabase;
    let pool: pg.Pool;
    let query: Query;
    beforeAll(async () => {
      database = await createTestDatabase(serverUrl, 'backfill');
      pool = new pg.Pool({ connectionString: database.url, max: 6 });
      query = async (sql, params) => (await pool.query<Record<string, unknown>>(sql, params)).rows;
    });
    afterAll(async () => {
      await pool.end();
      await database.drop();
    });
    beforeEach(async () => {
      await seed(query, N);
    });

    it(
      'resumes after SIGKILL: every row is transformed exactly once and the checkpoint is removed',
      async () => {
        // Kill the child with SIGKILL once its checkpoint row shows about half.
        await killAt(
          fileURLToPath(new URL('./fixtures/backfill-child.ts', import.meta.url)),
          [database.url, 'resume', '100', String(Math.max(1_000, N / 2))],
          async () => {
            const rows = await query(`SELECT checkpoint FROM _dbkit_backfills WHERE name = 'resume'`).catch(
              () => [],
            );
            return (rows[0]?.['checkpoint'] as { scanned?: number } | null)?.scanned ?? 0;
          },
          N / 2,
          60_000,
        );
        const half = await counts(query);
        expect(half.pending).toBeGreaterThan(0);
        expect(half.pending).toBeLessThan(N);

        // The next run waits for the killed runner's lease (500 ms) to lapse, then resumes.
        const report = await backfill(
          sqlSource(pool),
          lowerEmail('resume', { leaseMs: 500, batchSize: 250 }),
        );
        expect(report.completed).toBe(true);
        expect(report.resumed).toBe(true);
        // Counts carry over from the last checkpoint: rows the killed run finished after it are not
        // read again (they no longer match `where`), so they are in no run's count.
        expect(report.scanned).toBeGreaterThan(N / 2);
        expect(report.scanned).toBeLessThanOrEqual(N);
        const after = await counts(query);
        expect(after).toEqual({ pending: 0, wrong: 0, touched: { '1': N } });
        expect(await query(`SELECT * FROM _dbkit_backfills`)).toEqual([]);
      },
      Math.max(120_000, N * 10),
    );

    it('never overwrites a concurrent write, and every concurrent UPDATE stays fast', async () => {
      const writes = { stop: false };
      const latencies: number[] = [];
      const expected = new Map<number, string>();
      const writer = (async () => {
        let n = 0;
        while (!writes.stop) {
          n++;
          const id = 1 + Math.floor(Math.random() * N);
          const email = `Writer${n}@Example.ORG`;
          const started = performance.now();
          // Half the writes set both columns; half change only the column the transform reads, on
          // rows not yet backfilled: a backfill that wrote what it had read would leave them wrong.
          const applied =
            n % 2 === 0
              ? await pool.query('UPDATE items SET email = $2, email_lower = lower($2) WHERE id = $1', [
                  id,
                  email,
                ])
              : await pool.query('UPDATE items SET email = $2 WHERE id = $1 AND email_lower IS NULL', [
                  id,
                  email,
                ]);
          latencies.push(performance.now() - started);
          if (applied.rowCount === 1) expected.set(id, email);
        }
      })();
      const first = await backfill(
        sqlSource(pool),
        lowerEmail('concurrent', { batchSize: 200, itemsPerSecond: N / 1.5 }),
      );
      writes.stop = true;
      await writer;
      expect(first.completed).toBe(true);
      expect(first.failed).toBe(0);
      expect(latencies.length).toBeGreaterThan(20);
      expect(Math.max(...latencies)).toBeLessThan(1_000);
      // A row the old code changed after it was read was skipped, not written with a stale value;
      // the next run picks it up.
      const second = await backfill(sqlSource(pool), lowerEmail('concurrent'));
      expect(second.completed).toBe(true);
      const after = await counts(query);
      expect(after.pending).toBe(0);
      expect(after.wrong).toBe(0);
      const rows = await query('SELECT id, email FROM items WHERE id = ANY($1::int[])', [
        [...expected.keys()],
      ]);
      for (const row of rows) expect(row['email']).toBe(expected.get(Number(row['id'])));
      // No row was written twice by the backfill.
      expect(Object.keys(after.touched).every((t) => t === '0' || t === '1')).toBe(true);
    }, 60_000);

    it('dry run reads and counts but writes nothing, not even a checkpoint', async () => {
      const report = await backfill(sqlSource(pool), lowerEmail('dry', { dryRun: true, batchSize: 500 }));
      expect(report).toMatchObject({ completed: true, dryRun: true, scanned: N, changed: N, total: N });
      expect(await counts(query)).toEqual({ pending: N, wrong: N, touched: { '0': N } });
      const tables = await query(`SELECT to_regclass('_dbkit_backfills') AS t`);
      expect(tables[0]?.['t']).toBeNull();
    });

    it('set-based mode writes SQL expressions in the same keyset pages', async () => {
      const report = await backfill(sqlSource(pool), {
        name: 'set',
        table: 'items',
        key: ['id'],
        where: 'email_lower IS NULL',
        set: { email_lower: 'lower(email)', touched: 'touched + 1' },
        batchSize: 1_000,
        estimate: 'planner',
      });
      expect(report).toMatchObject({ completed: true, scanned: N, changed: N });
      expect(await counts(query)).toEqual({ pending: 0, wrong: 0, touched: { '1': N } });
    });

    it('reports rows the database refuses and writes the rest of the page', async () => {
      await query(
        `ALTER TABLE items ADD CONSTRAINT refuse_some CHECK (id % 1000 <> 7 OR email_lower IS NULL)`,
      );
      const report = await backfill(sqlSource(pool), lowerEmail('refused', { batchSize: 1_000 }));
      const refused = Math.ceil((N - 7) / 1000);
      expect(report).toMatchObject({ completed: true, changed: N - refused, failed: refused });
      expect(report.failures[0]).toMatchObject({
        key: '7',
        reason: expect.stringMatching(/check constraint/),
      });
      expect((await counts(query)).pending).toBe(refused);
    });

    it('waits out a row lock held by the application instead of failing or blocking it', async () => {
      const app = await pool.connect();
      try {
        await app.query('BEGIN');
        await app.query('UPDATE items SET touched = touched WHERE id = 1');
        const run = backfill(sqlSource(pool), lowerEmail('locked', { lockTimeoutMs: 100, batchSize: 1_000 }));
        await new Promise((r) => setTimeout(r, 400));
        // No statement of the backfill queues on the lock for longer than its lock_timeout.
        const waiting = await query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE%items%' AND now() - query_start > interval '300 ms'`,
        );
        await app.query('COMMIT');
        expect(waiting[0]?.['n']).toBe(0);
        const report = await run;
        expect(report.completed).toBe(true);
      } finally {
        app.release();
      }
      expect(await counts(query)).toEqual({ pending: 0, wrong: 0, touched: { '1': N } });
      // The session's own settings were restored when the backfill returned its connection.
      const settings = await query("SELECT current_setting('lock_timeout') AS lt");
      expect(settings[0]?.['lt']).toBe('0');
    });

    it('refuses a second runner while the first keeps its lease', async () => {
      // The first saves (renewing its lease) every 50 ms, well within the second's 300 ms lease.
      const first = backfill(
        sqlSource(pool),
        lowerEmail('twice', { batchSize: 100, itemsPerSecond: N / 3, checkpointEveryMs: 50 }),
      );
      await new Promise((r) => setTimeout(r, 300));
      const err = await backfill(sqlSource(pool), lowerEmail('twice', { leaseMs: 300 })).catch(
        (e: unknown) => e,
      );
      expect(isDbkitError(err, 'backfill.running')).toBe(true);
      expect((await first).completed).toBe(true);
      expect(await counts(query)).toEqual({ pending: 0, wrong: 0, touched: { '1': N } });
    });

    it('a stopped run keeps its checkpoint and releases it: the next run resumes at once', async () => {
      const stop = new AbortController();
      const stopped = await backfill(
        sqlSource(pool),
        lowerEmail('stopped', {
          batchSize: 100,
          signal: stop.signal,
          onProgress: (p) => {
            if (p.scanned >= N / 5) stop.abort();
          },
          progressEveryMs: 0,
        }),
      );
      expect(stopped.completed).toBe(false);
      const [row] = await query(`SELECT owner, checkpoint FROM _dbkit_backfills WHERE name = 'stopped'`);
      expect(row?.['owner']).toBe('');
      // Saves are at most every second; stopping saves the last page.
      expect((row?.['checkpoint'] as { scanned?: number } | null)?.scanned).toBe(stopped.scanned);
      const started = performance.now();
      const resumed = await backfill(sqlSource(pool), lowerEmail('stopped', { batchSize: 1_000 }));
      expect(resumed).toMatchObject({ completed: true, resumed: true });
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(await counts(query)).toEqual({ pending: 0, wrong: 0, touched: { '1': N } });
    });

    it('walks a composite key and writes array, jsonb and timestamp columns', async () => {
      await query('DROP TABLE IF EXISTS docs');
      await query(
        `CREATE TABLE docs (tenant text NOT NULL, n integer NOT NULL, at timestamptz NOT NULL, tags text[], meta jsonb,
           PRIMARY KEY (tenant, n))`,
      );
      await query(
        `INSERT INTO docs (tenant, n, at) SELECT 't' || (g % 3), g, '2026-01-01 00:00:00.123456+00'::timestamptz + g * interval '1 us'
           FROM generate_series(1, 700) g`,
      );
      const options: SqlBackfillOptions = {
        name: 'docs',
        table: 'docs',
        key: ['tenant', 'n'],
        where: 'meta IS NULL',
        batchSize: 64,
        transform: (row) => ({
          meta: { n: row['n'], list: [1, 'two'] },
          tags: [String(row['tenant']), 'x,"y"'],
        }),
      };
      const first = await backfill(sqlSource(pool), options);
      expect(first).toMatchObject({ completed: true, scanned: 700, changed: 700, skipped: 0 });
      const rows = await query(`SELECT * FROM docs WHERE tenant = 't1' ORDER BY n LIMIT 1`);
      expect(rows[0]).toMatchObject({ n: 1, tags: ['t1', 'x,"y"'], meta: { n: 1, list: [1, 'two'] } });
      // Only the jsonb column: pages go through unnest; the fingerprint holds for microsecond timestamps.
      await query('UPDATE docs SET meta = NULL');
      const second = await backfill(sqlSource(pool), {
        ...options,
        name: 'docs-2',
        transform: (row) => ({ meta: [row['n']] }),
      });
      expect(second).toMatchObject({ completed: true, changed: 700, skipped: 0 });
      expect(await query(`SELECT count(*)::int AS n FROM docs WHERE meta = jsonb_build_array(n)`)).toEqual([
        { n: 700 },
      ]);
    });

    it('skips a row whose json, xml, point, timestamptz or numeric column changed after it was read', async () => {
      // json, xml and point have no equality; a Date drops microseconds; a JS number drops digits:
      // such columns are read a second time as text and compared as text.
      await query('DROP TABLE IF EXISTS odd');
      await query(
        `CREATE TABLE odd (id integer PRIMARY KEY, j json, x xml, p point, at timestamptz, n numeric, b bigint, done boolean)`,
      );
      await query(
        `INSERT INTO odd SELECT g, json_build_object('g', g), ('<g>' || g || '</g>')::xml, point(g, g),
           '2026-01-01 00:00:00.000001+00'::timestamptz + g * interval '1 us', 1.000000000000000000001 + g, 9007199254740993 + g, NULL
           FROM generate_series(1, 300) g`,
      );
      let changedConcurrently = false;
      const report = await backfill(sqlSource(pool), {
        name: 'odd',
        table: 'odd',
        key: 'id',
        where: 'done IS NULL',
        columns: ['j', 'x', 'p', 'at', 'n', 'b'],
        batchSize: 100,
        transform: async (row) => {
          if (!changedConcurrently) {
            changedConcurrently = true;
            // Rows of the page being transformed, changed by the application after the read.
            await query(`UPDATE odd SET j = '{"g": 2}' WHERE id = 2`); // same value, other text
            await query(`UPDATE odd SET x = '<g>30</g>' WHERE id = 3`);
            await query(`UPDATE odd SET p = point(4, 4.5) WHERE id = 4`);
            await query(`UPDATE odd SET at = at + interval '1 us' WHERE id = 5`);
            await query(`UPDATE odd SET n = n + 0.000000000000000000001 WHERE id = 6`);
            await query(`UPDATE odd SET b = b + 1 WHERE id = 7`);
            await query(`UPDATE odd SET at = at WHERE id = 8`); // rewritten, same value: still written
          }
          return { done: row['id'] !== undefined };
        },
      });
      expect(report).toMatchObject({ completed: true, scanned: 300, changed: 294, skipped: 6, failed: 0 });
      expect(await query(`SELECT id FROM odd WHERE done IS NULL ORDER BY id`)).toEqual(
        [2, 3, 4, 5, 6, 7].map((id) => ({ id })),
      );
    });

    it('walks a timestamptz and bigint key: keys the driver cannot return exactly travel as text', async () => {
      await query('DROP TABLE IF EXISTS evs');
      await query(
        'CREATE TABLE evs (at timestamptz NOT NULL, seq bigint NOT NULL, v text, PRIMARY KEY (at, seq))',
      );
      await query(
        `INSERT INTO evs SELECT '2026-01-01 00:00:00.000001+00'::timestamptz + (g / 2) * interval '1 us', 9007199254740993 + g, NULL
           FROM generate_series(1, 300) g`,
      );
      const report = await backfill(sqlSource(pool), {
        name: 'evs',
        table: 'evs',
        key: ['at', 'seq'],
        where: 'v IS NULL',
        columns: ['seq'],
        batchSize: 64,
        transform: (row) => ({ v: String(row['seq']) }),
      });
      expect(report).toMatchObject({ completed: true, scanned: 300, changed: 300, skipped: 0 });
      expect(await query(`SELECT count(*)::int AS n FROM evs WHERE v = seq::text`)).toEqual([{ n: 300 }]);
    });

    it('writes a page whose rows are left alone or set different columns (key order aside)', async () => {
      const report = await backfill(
        sqlSource(pool),
        lowerEmail('mixed', {
          batchSize: 100,
          transform: (row) => {
            const id = Number(row['id']);
            const email_lower = String(row['email']).toLowerCase();
            if (id % 4 === 0) return undefined;
            if (id % 4 === 1) return { email_lower };
            if (id % 4 === 2) return { touched: 7, email_lower };
            return { email_lower, touched: 7 };
          },
        }),
      );
      expect(report).toMatchObject({ completed: true, scanned: N, changed: N - N / 4, skipped: N / 4 });
      const rows = await query(
        `SELECT id % 4 AS r, count(*) FILTER (WHERE email_lower = lower(email))::int AS lowered,
                count(*) FILTER (WHERE touched = 7)::int AS touched FROM items GROUP BY 1 ORDER BY 1`,
      );
      expect(rows).toEqual([
        { r: 0, lowered: 0, touched: 0 },
        { r: 1, lowered: N / 4, touched: 0 },
        { r: 2, lowered: N / 4, touched: N / 4 },
        { r: 3, lowered: N / 4, touched: N / 4 },
      ]);
    });

    it('validates names against the catalog and quotes them', async () => {
      const err = await backfill(sqlSource(pool), {
        ...lowerEmail('bad'),
        table: 'items"; DROP TABLE items; --',
      }).catch((e: unknown) => e);
      expect(isDbkitError(err, 'backfill.table')).toBe(true);
      const col = await backfill(sqlSource(pool), { ...lowerEmail('bad'), columns: ['nope'] }).catch(
        (e: unknown) => e,
      );
      expect(isDbkitError(err, 'backfill.') && isDbkitError(col, 'backfill.column')).toBe(true);
      expect((await counts(query)).pending).toBe(N);
    });

    it('expand and contract: backfill, then NOT NULL without a long lock while the application writes', async () => {
      await query('ALTER TABLE items DROP COLUMN email_lower');
      // Migration 1 (expand): a nullable column; instant.
      await query('ALTER TABLE items ADD COLUMN email_lower text');
      // The new code writes both columns, for updates and inserts.
      const writes = { stop: false };
      const latencies: number[] = [];
      const expected = new Map<number, string>();
      const writer = (async () => {
        let n = 0;
        while (!writes.stop) {
          n++;
          const email = `Dual${n}@Example.NET`;
          const id = n % 3 === 0 ? N + n : 1 + Math.floor(Math.random() * N);
          const started = performance.now();
          await query(
            `INSERT INTO items (id, email, email_lower) VALUES ($1, $2, lower($2))
             ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, email_lower = EXCLUDED.email_lower`,
            [id, email],
          );
          latencies.push(performance.now() - started);
          expected.set(id, email);
        }
      })();
      try {
        const report = await backfill(
          sqlSource(pool),
          lowerEmail('expand', {
            batchSize: 250,
            itemsPerSecond: N / 1.5,
            columns: ['email'],
            transform: (row) => ({ email_lower: String(row['email']).toLowerCase() }),
          }),
        );
        expect(report).toMatchObject({ completed: true, failed: 0 });
        // Contract, in steps that never hold ACCESS EXCLUSIVE for a scan.
        await query(
          'ALTER TABLE items ADD CONSTRAINT items_email_lower_not_null CHECK (email_lower IS NOT NULL) NOT VALID',
        );
        await query('ALTER TABLE items VALIDATE CONSTRAINT items_email_lower_not_null');
        await query('ALTER TABLE items ALTER COLUMN email_lower SET NOT NULL');
        await query('ALTER TABLE items DROP CONSTRAINT items_email_lower_not_null');
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        writes.stop = true;
        await writer;
      }
      expect(latencies.length).toBeGreaterThan(20);
      expect(Math.max(...latencies)).toBeLessThan(1_000);
      const [column] = await query(
        `SELECT is_nullable FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'email_lower'`,
      );
      expect(column?.['is_nullable']).toBe('NO');
      const rows = await query('SELECT id, email, email_lower FROM items WHERE id = ANY($1::int[])', [
        [...expected.keys()],
      ]);
      expect(rows).toHaveLength(expected.size);
      for (const row of rows) {
        expect(row['email']).toBe(expected.get(Number(row['id'])));
        expect(row['email_lower']).toBe(String(row['email']).toLowerCase());
      }
      expect((await counts(query)).wrong).toBe(0);
    }, 60_000);
  });
});

describe('[pglite] backfill', () => {
  it('runs to completion with a checkpoint table of its own, and set-based mode too', async () => {
    const pglite = new PGlite();
    const query: Query = async (sql, params) =>
      (await pglite.query<Record<string, unknown>>(sql, params)).rows;
    try {
      await seed(query, 1_000);
      const report = await backfill(sqlSource(pglite), lowerEmail('pglite', { batchSize: 128 }));
      expect(report).toMatchObject({ completed: true, scanned: 1_000, changed: 1_000, total: 1_000 });
      expect(await counts(query)).toEqual({ pending: 0, wrong: 0, touched: { '1': 1_000 } });
      expect(await query('SELECT * FROM _dbkit_backfills')).toEqual([]);
      await query('UPDATE items SET email_lower = NULL WHERE id % 2 = 0');
      const set = await backfill(sqlSource(pglite), {
        name: 'pglite-set',
        table: 'items',
        key: 'id',
        where: 'email_lower IS NULL',
        set: { email_lower: 'lower(email)' },
      });
      expect(set).toMatchObject({ completed: true, changed: 500 });
      expect((await counts(query)).wrong).toBe(0);
    } finally {
      await pglite.close();
    }
  });
});
