// Migrations on real engines: concurrent deploys apply each migration once, edited ones are refused, failed ones block until resolved.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Collection, Document } from 'mongodb';
import type { DeployResult } from '../../src/core/internal.js';
import { deployMigrations, migrationStatus, resolveMigration } from '../../src/mongo/index.js';
import { mongoSuite } from './support.js';

// A migration that counts its runs in `applied` and takes a while, so concurrent deploys overlap.
function countingMigration(name: string, ms = 600): string {
  return `export async function up(ctx) {
  await ctx.db.collection('applied').updateOne({ _id: '${name}' }, { $inc: { n: 1 } }, { upsert: true })
  await new Promise((r) => setTimeout(r, ${ms}))
}
`;
}

function runChild(url: string, dbName: string, dir: string): Promise<DeployResult> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=dbkit-source',
      '--import',
      'tsx',
      fileURLToPath(new URL('./fixtures/deploy-child.ts', import.meta.url)),
      url,
      dbName,
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as DeployResult);
      else reject(new Error(`deploy child exited ${String(code)}: ${err}`));
    });
  });
}

mongoSuite('migrations', (env) => {
  let dir = '';
  const journal = (): Collection => env().mongo.db.collection('dbkit_migrations');
  const applied = (): Collection => env().mongo.db.collection('applied');
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dbkit-mongo-migrations-'));
    await journal().deleteMany({});
    await applied().deleteMany({});
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('two deploys started together apply each migration once', async () => {
    for (const name of ['20261202000001_a', '20261202000002_b', '20261202000003_c']) {
      await writeFile(join(dir, `${name}.mjs`), countingMigration(name));
    }
    const [one, two] = await Promise.all([
      runChild(env().url, env().mongo.db.databaseName, dir),
      runChild(env().url, env().mongo.db.databaseName, dir),
    ]);
    expect([...one.applied, ...two.applied].sort()).toEqual([
      '20261202000001_a',
      '20261202000002_b',
      '20261202000003_c',
    ]);
    const counts = await applied().find({}).sort({ _id: 1 }).toArray();
    expect(counts.map((c) => c.n as number)).toEqual([1, 1, 1]);
    const status = await migrationStatus(env().mongo, { dir });
    expect(status.upToDate).toBe(true);
    expect(status.migrations.map((m) => m.state)).toEqual(['applied', 'applied', 'applied']);
    expect(await journal().countDocuments({ _id: 'lock' } as Document)).toBe(0);
    // A third deploy finds nothing to do.
    expect(await deployMigrations(env().mongo, { dir })).toMatchObject({
      applied: [],
      alreadyApplied: status.migrations.map((m) => m.name),
    });
  }, 120_000);

  it('refuses an applied migration whose file was edited, before running anything', async () => {
    await writeFile(join(dir, '20261202000001_a.mjs'), countingMigration('20261202000001_a', 0));
    await deployMigrations(env().mongo, { dir });
    await writeFile(
      join(dir, '20261202000001_a.mjs'),
      `${countingMigration('20261202000001_a', 0)}// edited\n`,
    );
    await writeFile(join(dir, '20261202000002_b.mjs'), countingMigration('20261202000002_b', 0));
    await expect(deployMigrations(env().mongo, { dir })).rejects.toMatchObject({
      code: 'migration.checksumMismatch',
    });
    expect(await applied().countDocuments({ _id: '20261202000002_b' } as Document)).toBe(0);
    const status = await migrationStatus(env().mongo, { dir });
    expect(status.migrations.map((m) => [m.name, m.state])).toEqual([
      ['20261202000001_a', 'changed'],
      ['20261202000002_b', 'pending'],
    ]);
    expect(status.upToDate).toBe(false);
  });

  it('records a failing migration as failed; it blocks deploys until resolveMigration', async () => {
    await writeFile(
      join(dir, '20261202000001_needs_flag.mjs'),
      `export async function up(ctx) {
  const flag = await ctx.db.collection('flags').findOne({ _id: 'ready' })
  if (flag === null) throw new Error('data not ready')
  await ctx.db.collection('applied').insertOne({ _id: 'needs_flag' })
}
`,
    );
    await env().mongo.db.collection('flags').deleteMany({});
    await expect(deployMigrations(env().mongo, { dir })).rejects.toMatchObject({ code: 'migration.failed' });
    let status = await migrationStatus(env().mongo, { dir });
    expect(status.migrations[0]).toMatchObject({ state: 'failed', error: 'data not ready' });
    // Fixing the data is not enough: the failure must be resolved first.
    await env()
      .mongo.db.collection('flags')
      .insertOne({ _id: 'ready' } as Document);
    await expect(deployMigrations(env().mongo, { dir })).rejects.toMatchObject({
      code: 'migration.previouslyFailed',
    });
    await resolveMigration(env().mongo, '20261202000001_needs_flag');
    expect(await deployMigrations(env().mongo, { dir })).toMatchObject({
      applied: ['20261202000001_needs_flag'],
    });
    status = await migrationStatus(env().mongo, { dir });
    expect(status.upToDate).toBe(true);
    await expect(resolveMigration(env().mongo, '20261202000001_needs_flag')).rejects.toMatchObject({
      code: 'migration.failed',
    });
  });

  it('waits for a lock another deployer holds, and takes it once its lease expired', async () => {
    await writeFile(join(dir, '20261202000001_a.mjs'), countingMigration('20261202000001_a', 0));
    await journal().insertOne({
      _id: 'lock',
      owner: 'other',
      expiresAt: new Date(Date.now() + 60_000),
    } as Document);
    await expect(deployMigrations(env().mongo, { dir, lockTimeoutMs: 300 })).rejects.toMatchObject({
      code: 'migration.lockTimeout',
    });
    expect(await applied().countDocuments({})).toBe(0);
    await journal().updateOne({ _id: 'lock' } as Document, { $set: { expiresAt: new Date(Date.now() - 1) } });
    expect(await deployMigrations(env().mongo, { dir, lockTimeoutMs: 300 })).toMatchObject({
      applied: ['20261202000001_a'],
    });
  });

  it('refuses a migration named like the lock document', async () => {
    await expect(
      deployMigrations(env().mongo, {
        migrations: [{ name: 'lock', checksum: 'x', up: () => Promise.resolve() }],
      }),
    ).rejects.toMatchObject({ code: 'migration.invalidFile' });
    expect(await journal().countDocuments({})).toBe(0);
  });

  it('takes migrations as code, with a checksum, instead of a folder', async () => {
    const result = await deployMigrations(env().mongo, {
      migrations: [
        {
          name: '20261202000009_code',
          checksum: 'c1',
          up: async (ctx, run) => {
            await ctx.db.collection('applied').insertOne({ _id: run.name } as Document);
          },
        },
      ],
    });
    expect(result.applied).toEqual(['20261202000009_code']);
    expect(await applied().countDocuments({ _id: '20261202000009_code' } as Document)).toBe(1);
  });
});
