// mongoTarget on real engines: lazy connect, status / deploy / resolve through the target, create writes a typed file, sync reports drift.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, mongoTarget } from '../../src/mongo/index.js';
import type { MongoCollectionSyncReport } from '../../src/mongo/index.js';
import { mongoSuite } from './support.js';

const Users = defineCollection({
  name: 'target_users',
  schema: z.object({ email: z.string(), status: z.string() }),
  indexes: [{ key: { email: 1 }, unique: true }, { key: { status: 1 } }],
});
const Sessions = defineCollection({
  name: 'target_sessions',
  schema: z.object({ expiresAt: z.date() }),
  indexes: [{ key: { expiresAt: 1 }, expireAfterSeconds: 0 }],
});

mongoSuite('mongoTarget', (env) => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dbkit-mongo-target-'));
    await env().mongo.db.collection('dbkit_migrations').deleteMany({});
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('connects on first use from options, deploys, reports status and closes what it opened', async () => {
    const target = mongoTarget({
      connection: { uri: env().url, dbName: env().mongo.db.databaseName, shared: false },
      dir,
    });
    expect(target.engine).toBe('mongodb');
    await writeFile(
      join(dir, '20261202120000_seed.mjs'),
      `export async function up(ctx) { await ctx.db.collection('target_seeded').insertOne({ _id: 'one' }) }\n`,
    );
    expect(await target.migrationStatus()).toMatchObject({
      upToDate: false,
      migrations: [{ name: '20261202120000_seed', state: 'pending' }],
    });
    expect(await target.deployMigrations()).toMatchObject({ applied: ['20261202120000_seed'] });
    expect(await target.migrationStatus()).toMatchObject({ upToDate: true });
    expect(await env().mongo.db.collection('target_seeded').countDocuments({})).toBe(1);
    await target.close();
    // Closed: the next call opens a new connection rather than using a closed one.
    expect(await target.migrationStatus()).toMatchObject({ upToDate: true });
    await target.close();
  });

  it('resolves a failed migration so a corrected file can run', async () => {
    // Node caches a module by URL: each import gets a fresh one, so the corrected file is what runs.
    let imports = 0;
    const target = mongoTarget({
      connection: env().mongo,
      dir,
      collection: 'target_journal',
      importer: (url) => import(`${url}?import=${++imports}`),
    });
    const file = join(dir, '20261202120000_flaky.mjs');
    await writeFile(file, `export async function up() { throw new Error('boom') }\n`);
    await expect(target.deployMigrations()).rejects.toMatchObject({ code: 'migration.failed' });
    await writeFile(file, `export async function up() {}\n`);
    await expect(target.deployMigrations()).rejects.toMatchObject({ code: 'migration.previouslyFailed' });
    await target.resolveMigration('20261202120000_flaky');
    expect(await target.deployMigrations()).toMatchObject({ applied: ['20261202120000_flaky'] });
    expect(await env().mongo.db.collection('target_journal').countDocuments({})).toBeGreaterThan(0);
    // A connection it was given is not closed by close().
    await target.close();
    expect(await env().mongo.db.collection('target_journal').countDocuments({})).toBeGreaterThan(0);
  });

  it('createMigration writes a timestamped, typed template that a deploy would pick up', async () => {
    const target = mongoTarget({ connection: env().mongo, dir: join(dir, 'nested') });
    const created = await target.createMigration('Add user Status!');
    expect(created.created).toBe(true);
    expect(created.path).toMatch(/nested[\\/]\d{14}_add_user_status\.ts$/);
    const text = await readFile(created.path ?? '', 'utf8');
    expect(text).toContain("import type { MongoMigrationContext } from 'dbkit/mongo'");
    expect(text).toContain('export async function up(ctx: MongoMigrationContext, run: MigrationRun)');
    expect(await readdir(join(dir, 'nested'))).toHaveLength(1);
    // Never overwrites: the same name in the same second is refused.
    await expect(target.createMigration('Add user Status!')).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('sync creates the declared indexes (a dry run only lists them) and reports what it cannot fix as drift', async () => {
    const target = mongoTarget({ connection: env().mongo, dir, collections: [Users, Sessions] });
    const dry = (await target.syncSchema?.({ dryRun: true })) as MongoCollectionSyncReport[];
    expect(dry[0]).toMatchObject({ collection: 'target_users', created: ['email_1', 'status_1'], drift: [] });
    const names = async (): Promise<string[]> =>
      (
        await env()
          .mongo.db.collection('target_users')
          .listIndexes()
          .toArray()
          .catch(() => [])
      )
        .map((i) => String(i.name))
        .sort();
    expect(await names()).not.toContain('email_1');

    const applied = (await target.syncSchema?.({ dryRun: false })) as MongoCollectionSyncReport[];
    expect(applied[0]).toMatchObject({ created: ['email_1', 'status_1'], drift: [] });
    expect(await names()).toEqual(['_id_', 'email_1', 'status_1']);
    // TTL: built where the engine has it, otherwise drift (both in the dry run and the real one).
    if (env().caps.ttl) expect(applied[1]).toMatchObject({ created: ['expiresAt_1'], drift: [] });
    else {
      expect(dry[1]?.drift).toEqual([expect.stringContaining('expiresAt_1: ')]);
      expect(applied[1]?.drift).toEqual([expect.stringContaining('expiresAt_1: ')]);
    }
    // JSON-safe, as `dbkit sync --json` prints it.
    expect(JSON.parse(JSON.stringify(applied))).toEqual(applied);

    // An existing index with the same keys but other options is drift, left alone.
    const changed = defineCollection({
      name: 'target_users',
      schema: z.object({ email: z.string() }),
      indexes: [{ key: { email: 1 }, unique: false }, { key: { status: 1 } }],
    });
    const again = (await mongoTarget({
      connection: env().mongo,
      dir,
      collections: [changed],
    }).syncSchema?.({ dryRun: false })) as MongoCollectionSyncReport[];
    expect(again[0]).toMatchObject({ created: [], unchanged: ['status_1'] });
    expect(again[0]?.drift).toEqual([
      expect.stringContaining('email_1: unique: declared false, server true'),
    ]);
    expect(await names()).toEqual(['_id_', 'email_1', 'status_1']);
  });
});
