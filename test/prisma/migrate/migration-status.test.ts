import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PRISMA_MIGRATE_LOCK_KEY,
  applyMigrations,
  migrationStatus,
  sqlSource,
} from '../../../src/prisma/migrate/index.js';
import type { ApplyMigrationsResult } from '../../../src/prisma/migrate/index.js';
import { describeEngine } from '../../helpers/engines.js';
import { createTestDatabase } from '../../helpers/postgres.js';
import type { TestDatabase } from '../../helpers/postgres.js';

async function write(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, 'migration.sql'), sql);
}

describeEngine('postgres', (serverUrl) => {
  const databases: TestDatabase[] = [];
  const pools: pg.Pool[] = [];
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dbkit-status-'));
    await write(dir, '20260101000000_a', 'CREATE TABLE "A" ("id" INT PRIMARY KEY);\n');
    await write(dir, '20260102000000_b', 'CREATE TABLE "B" ("id" INT PRIMARY KEY);\n');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await Promise.all(databases.map((d) => d.drop()));
  });
  async function newPool(): Promise<pg.Pool> {
    const database = await createTestDatabase(serverUrl, 'mstatus');
    databases.push(database);
    const pool = new pg.Pool({ connectionString: database.url, max: 3 });
    pools.push(pool);
    return pool;
  }

  describe('migrationStatus', () => {
    it('reports every migration pending on an empty database, and creates nothing', async () => {
      const pool = await newPool();
      const status = await migrationStatus(sqlSource(pool), { dir });
      expect(status).toMatchObject({ upToDate: false, hasJournal: false });
      expect(status.migrations.map((m) => [m.name, m.state])).toEqual([
        ['20260101000000_a', 'pending'],
        ['20260102000000_b', 'pending'],
      ]);
      const { rows } = await pool.query(`SELECT to_regclass('"_prisma_migrations"')::text AS t`);
      expect(rows[0]).toEqual({ t: null });
    });

    it('reports applied, changed, failed, missing locally and rolled back, as JSON with ISO dates', async () => {
      const pool = await newPool();
      await applyMigrations(sqlSource(pool), { dir });
      expect((await migrationStatus(sqlSource(pool), { dir })).upToDate).toBe(true);
      await write(dir, '20260102000000_b', 'CREATE TABLE "B" ("id" BIGINT PRIMARY KEY);\n');
      await write(dir, '20260103000000_c', 'ALTER TABLE "Nope" ADD COLUMN "x" INT;\n');
      await write(dir, '20260104000000_d', 'SELECT 1;\n');
      await expect(applyMigrations(sqlSource(pool), { dir: join(dir) })).rejects.toThrow(/changed/);
      await pool.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count, logs) VALUES
         ('f', 'x', '20260103000000_c', now(), NULL, 0, 'relation "Nope" does not exist'),
         ('g', 'y', '20251231000000_gone', now(), now(), 1, NULL),
         ('h', 'z', '20260104000000_d', now(), NULL, 0, 'boom')`,
      );
      await pool.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE id = 'h'`);
      const status = await migrationStatus(sqlSource(pool), { dir });
      const parsed = JSON.parse(JSON.stringify(status)) as typeof status;
      expect(parsed).toEqual(status);
      expect(status.upToDate).toBe(false);
      expect(Object.fromEntries(status.migrations.map((m) => [m.name, m.state]))).toEqual({
        '20260101000000_a': 'applied',
        '20260102000000_b': 'changed',
        '20260103000000_c': 'failed',
        '20260104000000_d': 'pending',
        '20251231000000_gone': 'missingLocally',
      });
      const a = status.migrations[0];
      expect(a?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
      expect(a?.appliedStepsCount).toBe(1);
      expect(status.migrations.find((m) => m.state === 'failed')?.logs).toContain('Nope');
      expect(status.migrations.find((m) => m.state === 'failed')?.error).toContain('Nope');
      // Rolled back: pending again, and the journal's rollback time is kept.
      expect(status.migrations.find((m) => m.name === '20260104000000_d')?.rolledBackAt).toMatch(/Z$/);
    });

    it('takes no lock: answers while another process holds the migration lock', async () => {
      const pool = await newPool();
      const holder = await pool.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
        const status = await migrationStatus(sqlSource(pool), { dir });
        expect(status.migrations).toHaveLength(2);
      } finally {
        await holder.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
        holder.release();
      }
    });

    it('reads the journal of a named schema', async () => {
      const pool = await newPool();
      await applyMigrations(sqlSource(pool), { dir, schema: 'tenant_s' });
      expect((await migrationStatus(sqlSource(pool), { dir })).hasJournal).toBe(false);
      expect((await migrationStatus(sqlSource(pool), { dir, schema: 'tenant_s' })).upToDate).toBe(true);
    });
  });

  describe('applyMigrations from two processes', () => {
    function child(url: string): {
      ready: Promise<void>;
      go: () => void;
      result: Promise<ApplyMigrationsResult>;
    } {
      const proc = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'fixtures/apply-child.ts'), url, dir],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      let out = '';
      let onReady: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => (onReady = resolve));
      const result = new Promise<ApplyMigrationsResult>((resolve, reject) => {
        proc.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.startsWith('ready\n')) onReady();
        });
        proc.on('exit', () => {
          const line = out.split('\n').filter(Boolean).at(-1) ?? '';
          try {
            resolve(JSON.parse(line) as ApplyMigrationsResult);
          } catch {
            reject(new Error(`child printed ${out}`));
          }
        });
      });
      return { ready, go: () => proc.stdin.write('go\n'), result };
    }

    it('apply each migration exactly once when started together', async () => {
      for (let i = 3; i <= 12; i++) {
        await write(
          dir,
          `202601${String(i).padStart(2, '0')}000000_m${i}`,
          `CREATE TABLE "T${i}" ("id" INT);\nSELECT pg_sleep(0.05);\n`,
        );
      }
      const pool = await newPool();
      const url = pool.options.connectionString ?? '';
      const a = child(url);
      const b = child(url);
      await Promise.all([a.ready, b.ready]);
      a.go();
      b.go();
      const [ra, rb] = await Promise.all([a.result, b.result]);
      expect(ra).not.toHaveProperty('error');
      expect(rb).not.toHaveProperty('error');
      expect(ra.applied.length + rb.applied.length).toBe(12);
      expect([...ra.applied, ...rb.applied].sort()).toEqual(
        [...new Set([...ra.applied, ...rb.applied])].sort(),
      );
      const { rows } = await pool.query<{ migration_name: string; n: number }>(
        'SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY 1',
      );
      expect(rows).toHaveLength(12);
      expect(rows.every((r) => r.n === 1)).toBe(true);
    }, 120_000);
  });
});
