// `dbkit migrate` and `dbkit backfill` as CI runs them: the built bin, a TypeScript config, stdin closed, exit codes, --json.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine } from '../helpers/engines.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { bin, dbkit, ensureBuilt, root } from './built-bin.js';

const config = 'test/cli/fixtures/sql.config.ts';

describeEngine('postgres', (serverUrl) => {
  let database: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let pool: pg.Pool;

  beforeAll(async () => {
    await ensureBuilt();
    database = await createTestDatabase(serverUrl, 'cli');
    dir = await mkdtemp(join(tmpdir(), 'dbkit-cli-'));
    env = { DBKIT_CLI_DATABASE_URL: database.url, DBKIT_CLI_MIGRATIONS: dir };
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    await mkdir(join(dir, '20260101000000_items'), { recursive: true });
    await writeFile(
      join(dir, '20260101000000_items', 'migration.sql'),
      'CREATE TABLE items (id INT PRIMARY KEY, email TEXT NOT NULL);\n',
    );
  }, 240_000);

  afterAll(async () => {
    await pool.end();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('status exits 3 while a migration is pending, deploy applies it once, then status exits 0', async () => {
    const before = await dbkit(['migrate', 'status', '--config', config, '--json'], env);
    expect(before.stderr).toBe('');
    expect(before.code).toBe(3);
    const status = JSON.parse(before.stdout) as {
      upToDate: boolean;
      targets: { sql: { migrations: unknown[] } };
    };
    expect(status.upToDate).toBe(false);
    expect(status.targets.sql.migrations).toMatchObject([{ name: '20260101000000_items', state: 'pending' }]);

    const deploy = await dbkit(['migrate', 'deploy', '--config', config, '--json'], env);
    expect(deploy.code).toBe(0);
    expect(JSON.parse(deploy.stdout)).toMatchObject({
      ok: true,
      targets: { sql: { applied: ['20260101000000_items'], alreadyApplied: [] } },
    });
    const again = await dbkit(['migrate', 'deploy', '--config', config], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('sql: nothing to apply');

    const after = await dbkit(['migrate', 'status', '--config', config], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/sql \(postgres, public\): up to date\n\s+applied\s+20260101000000_items/);
  });

  it('exits 1 with the migration named when one fails, and resolve makes it pending again', async () => {
    await mkdir(join(dir, '20260102000000_broken'), { recursive: true });
    await writeFile(
      join(dir, '20260102000000_broken', 'migration.sql'),
      'ALTER TABLE nope ADD COLUMN x INT;\n',
    );
    const failed = await dbkit(['migrate', 'deploy', '--config', config, '--json'], env);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ ok: false, error: { code: 'migration.failed' } });
    const status = await dbkit(['migrate', 'status', '--config', config, '--json'], env);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain('"state": "failed"');

    await writeFile(
      join(dir, '20260102000000_broken', 'migration.sql'),
      'ALTER TABLE items ADD COLUMN email_lower TEXT;\n',
    );
    const resolved = await dbkit(['migrate', 'resolve', '20260102000000_broken', '--config', config], env);
    expect(resolved.code).toBe(0);
    const deploy = await dbkit(['migrate', 'deploy', '--config', config, '--json'], env);
    expect(deploy.code).toBe(0);
    expect(JSON.parse(deploy.stdout)).toMatchObject({
      targets: { sql: { applied: ['20260102000000_broken'] } },
    });
    const twice = await dbkit(['migrate', 'resolve', '20260102000000_broken', '--config', config], env);
    expect(twice.code).toBe(1);
  });

  it('exits 2 on usage errors, naming what is wrong', async () => {
    const noConfig = await dbkit(
      ['migrate', 'status', '--config', 'test/cli/fixtures/absent.config.ts'],
      env,
    );
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toContain('file not found');
    const badTarget = await dbkit(['migrate', 'status', '--config', config, '--target', 'mongo'], env);
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('no target "mongo"');
    const badOption = await dbkit(['migrate', 'deploy', '--config', config, '--lock-timeout', 'soon'], env);
    expect(badOption.code).toBe(2);
    const unknown = await dbkit(['migrate', 'deploy', '--bogus'], env);
    expect(unknown.code).toBe(2);
    const badBackfill = await dbkit(['backfill', 'run', 'nope', '--config', config], env);
    expect(badBackfill.code).toBe(2);
    expect(badBackfill.stderr).toContain('no backfill "nope"');
  });

  it('runs a named backfill: dry run writes nothing, SIGINT stops it with exit 130 and the next run resumes', async () => {
    await pool.query(
      `INSERT INTO items (id, email) SELECT g, 'User' || g || '@Example.COM' FROM generate_series(1, 3000) g`,
    );
    const dry = await dbkit(
      ['backfill', 'run', 'lower-email', '--config', config, '--dry-run', '--json'],
      env,
    );
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      report: { dryRun: true, changed: 3000, completed: true },
    });
    const untouched = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM items WHERE email_lower IS NULL',
    );
    expect(untouched.rows[0]?.n).toBe(3000);

    // A slow run (500 rows/s) interrupted as CI would on cancel.
    const child = spawn(
      process.execPath,
      [bin, 'backfill', 'run', 'lower-email', '--config', config, '--rate', '500', '--json'],
      {
        cwd: root,
        env: { ...process.env, ...env, DBKIT_CLI_BATCH: '50' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    for (let i = 0; i < 100; i++) {
      const done = await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM items WHERE email_lower IS NOT NULL',
      );
      if ((done.rows[0]?.n ?? 0) >= 300) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, report: { completed: false } });
    const partial = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM items WHERE email_lower IS NOT NULL',
    );
    expect(partial.rows[0]?.n).toBeGreaterThan(0);
    expect(partial.rows[0]?.n).toBeLessThan(3000);

    const resumed = await dbkit(['backfill', 'run', 'lower-email', '--config', config, '--json'], env);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({
      ok: true,
      report: { completed: true, resumed: true, failed: 0 },
    });
    const wrong = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM items WHERE email_lower IS DISTINCT FROM lower(email)',
    );
    expect(wrong.rows[0]?.n).toBe(0);
    const checkpoints = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM _dbkit_backfills');
    expect(checkpoints.rows[0]?.n).toBe(0);
  });
});
