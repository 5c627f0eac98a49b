// Migrations on DynamoDB Local: two deployers at once apply each migration once; an edited applied migration is refused; a failed one blocks until resolved; the journal stays out of entity reads.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { isDbkitError, migrationChecksumOf } from '../../src/core/internal.js';
import type { DeployResult, Migration } from '../../src/core/internal.js';
import {
  defineEntity,
  defineTable,
  deployMigrations,
  dynamoTarget,
  migrationStatus,
  resolveMigration,
} from '../../src/dynamo/index.js';
import type { DynamoMigrationContext } from '../../src/dynamo/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { testClient } from './model.js';

const child = fileURLToPath(new URL('./fixtures/deploy-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

// A migration that counts its applications in an item of its own, slowly enough for deployers to overlap.
const counting = `import { UpdateCommand } from '@aws-sdk/lib-dynamodb'
export async function up(ctx, run) {
  await new Promise((r) => setTimeout(r, 200))
  await ctx.client.document.send(new UpdateCommand({
    TableName: ctx.table.name,
    Key: { pk: 'APPLIED', sk: run.name },
    UpdateExpression: 'ADD applied :one',
    ExpressionAttributeValues: { ':one': 1 },
  }))
}
`;

function deployInChild(endpoint: string, table: string, dir: string): Promise<DeployResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--conditions=dbkit-source', '--import', 'tsx', child], {
      env: { ...process.env, ENDPOINT: endpoint, TABLE: table, DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim()) as DeployResult);
      else reject(new Error(`deploy child exited with ${String(code)}`));
    });
  });
}

describeEngine('dynamodb', (endpoint) => {
  const table = defineTable({ name: uniqueName('dbkit_migrations'), partitionKey: 'pk', sortKey: 'sk' });
  const db = testClient(endpoint);
  let dir: string;

  beforeAll(async () => {
    await db.ensureTable(table);
    await mkdir(join(root, '.dbkit'), { recursive: true });
    // Inside the repository, so the files resolve @aws-sdk/lib-dynamodb from its node_modules.
    dir = await mkdtemp(join(root, '.dbkit', 'dynamo-migrations-'));
    for (const name of ['20261201000000_a', '20261201000001_b', '20261201000002_c'])
      await writeFile(join(dir, `${name}.mjs`), counting);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await db.deleteTable(table);
    db.destroy();
  });

  const applications = async (name: string): Promise<unknown> =>
    (
      await db.document.send(
        new GetCommand({ TableName: table.name, Key: { pk: 'APPLIED', sk: name }, ConsistentRead: true }),
      )
    ).Item?.applied;

  it('two deploys started together (two processes) apply each migration once', async () => {
    const [one, two] = await Promise.all([
      deployInChild(endpoint, table.name, dir),
      deployInChild(endpoint, table.name, dir),
    ]);
    const applied = [...one.applied, ...two.applied].sort();
    expect(applied).toEqual(['20261201000000_a', '20261201000001_b', '20261201000002_c']);
    for (const name of applied) expect(await applications(name)).toBe(1);
    const status = await migrationStatus(db, { table, dir });
    expect(status.upToDate).toBe(true);
    expect(status.migrations.map((m) => m.state)).toEqual(['applied', 'applied', 'applied']);
    expect(status.target).toBe(table.name);
    const again = await deployMigrations(db, { table, dir });
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toHaveLength(3);
  }, 60_000);

  it('refuses to deploy when an applied migration was edited (migration.checksumMismatch)', async () => {
    await writeFile(join(dir, '20261201000001_b.mjs'), `${counting}// edited\n`);
    await writeFile(join(dir, '20261201000003_d.mjs'), counting);
    const err: unknown = await deployMigrations(db, { table, dir }).catch((e: unknown) => e);
    expect(isDbkitError(err, 'migration.checksumMismatch')).toBe(true);
    expect(await applications('20261201000003_d')).toBeUndefined();
    const status = await migrationStatus(db, { table, dir });
    expect(status.migrations.find((m) => m.name === '20261201000001_b')?.state).toBe('changed');
    expect(status.upToDate).toBe(false);
    await writeFile(join(dir, '20261201000001_b.mjs'), counting);
    expect((await deployMigrations(db, { table, dir })).applied).toEqual(['20261201000003_d']);
  });

  it('records a failing migration as failed, blocks deploys until resolveMigration, then retries it', async () => {
    const other = defineTable({
      name: uniqueName('dbkit_migrations_fail'),
      partitionKey: 'pk',
      sortKey: 'sk',
    });
    await db.ensureTable(other);
    try {
      let broken = true;
      const migration: Migration<DynamoMigrationContext> = {
        name: '20261202000000_fragile',
        checksum: migrationChecksumOf('fragile'),
        up: () => (broken ? Promise.reject(new Error('bad data in item 7')) : Promise.resolve()),
      };
      const first: unknown = await deployMigrations(db, { table: other, migrations: [migration] }).catch(
        (e: unknown) => e,
      );
      expect(isDbkitError(first, 'migration.failed')).toBe(true);
      const status = await migrationStatus(db, { table: other, migrations: [migration] });
      expect(status.migrations[0]).toMatchObject({ state: 'failed', error: 'bad data in item 7' });
      broken = false;
      const blocked: unknown = await deployMigrations(db, { table: other, migrations: [migration] }).catch(
        (e: unknown) => e,
      );
      expect(isDbkitError(blocked, 'migration.previouslyFailed')).toBe(true);
      await resolveMigration(db, migration.name, { table: other });
      expect((await deployMigrations(db, { table: other, migrations: [migration] })).applied).toEqual([
        migration.name,
      ]);
      expect((await migrationStatus(db, { table: other, migrations: [migration] })).upToDate).toBe(true);
    } finally {
      await db.deleteTable(other);
    }
  });

  it('gives a migration the client, its table, and backfill and syncTable bound to the client', async () => {
    const Thing = defineEntity(table, {
      name: 'Tagged',
      schema: z.object({ id: z.string(), tag: z.string().optional() }),
      key: { pk: 'TAGGED#{id}', sk: 'A' },
    });
    for (let i = 0; i < 12; i++) await db.entity(Thing).put({ id: `t${i}` });
    const migration: Migration<DynamoMigrationContext> = {
      name: '20261203000000_tag_things',
      checksum: migrationChecksumOf('tag'),
      up: async (ctx, run) => {
        const sync = await ctx.syncTable(ctx.table);
        expect(sync.created).toBe(false);
        const report = await ctx.backfill({
          name: run.name,
          source: Thing,
          signal: run.signal,
          transform: (item) => (item.tag === undefined ? { set: { tag: 'v2' } } : undefined),
        });
        expect(report.changed).toBe(12);
      },
    };
    expect((await deployMigrations(db, { table, migrations: [migration] })).applied).toEqual([
      migration.name,
    ]);
    const page = await db.scan(Thing, { allowScan: true });
    expect(page.items.every((t) => t.tag === 'v2')).toBe(true);
  });

  it('keeps the journal out of entity scans and queries', async () => {
    const Thing = defineEntity(table, {
      name: 'Thing',
      schema: z.object({ id: z.string() }),
      key: { pk: 'THING#{id}', sk: 'A' },
    });
    await db.entity(Thing).put({ id: '1' });
    const page = await db.scan(Thing, { allowScan: true });
    expect(page.items).toEqual([{ id: '1' }]);
    const raw = await db.scan(table, { allowScan: true });
    const journal = raw.items.filter((i) => String(i.pk).startsWith('_dbkit#'));
    expect(journal.length).toBeGreaterThan(0);
    expect(journal.every((i) => i._entity === '_dbkit')).toBe(true);
  });

  it('dynamoTarget (dbkit.config.ts) creates a .ts migration, loads it through tsx, deploys, reports and syncs', async () => {
    const targetDir = await mkdtemp(join(root, '.dbkit', 'dynamo-target-'));
    const other = defineTable({ name: uniqueName('dbkit_target'), partitionKey: 'pk', sortKey: 'sk' });
    const target = dynamoTarget({ table: other, dir: targetDir, client: { local: endpoint } });
    try {
      const sync = (await target.syncSchema?.({ dryRun: false })) as { created: boolean }[];
      expect(sync.map((r) => r.created)).toEqual([true]);
      const created = await target.createMigration('Add status!');
      expect(created.path).toMatch(/\d{14}_add_status\.ts$/u);
      expect(await readFile(created.path ?? '', 'utf8')).toContain('DynamoMigrationContext');
      await writeFile(
        created.path ?? '',
        counting.replace(
          'export async function up(ctx, run)',
          'export async function up(ctx: any, run: { name: string })',
        ),
      );
      expect((await target.migrationStatus()).migrations.map((m) => m.state)).toEqual(['pending']);
      const result = await target.deployMigrations();
      expect(result.applied).toHaveLength(1);
      expect((await target.migrationStatus()).upToDate).toBe(true);
    } finally {
      await target.close();
      await rm(targetDir, { recursive: true, force: true });
      await db.deleteTable(other);
    }
  });

  it('refuses a journal table without a sort key, saying why', async () => {
    const flat = defineTable({ name: uniqueName('dbkit_flat'), partitionKey: 'id' });
    const err: unknown = await migrationStatus(db, { table: flat, migrations: [] }).catch((e: unknown) => e);
    expect(isDbkitError(err, 'unsupported.journalTable')).toBe(true);
  });
});
