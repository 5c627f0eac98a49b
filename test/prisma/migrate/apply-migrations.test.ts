import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDbkitError, migrationChecksumOf } from '../../../src/core/internal.js';
import {
  PRISMA_MIGRATE_LOCK_KEY,
  applyMigrations,
  readMigrations,
  sqlSource,
} from '../../../src/prisma/migrate/index.js';
import type { SqlSessionSource } from '../../../src/prisma/migrate/index.js';
import { describeEngine } from '../../helpers/engines.js';
import { createTestDatabase } from '../../helpers/postgres.js';
import type { TestDatabase } from '../../helpers/postgres.js';

const projectMigrations = join(import.meta.dirname, '../../../prisma/migrations');

async function fixture(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dbkit-migrations-'));
  await mkdir(join(dir, '20260101000000_create_widgets'));
  await writeFile(
    join(dir, '20260101000000_create_widgets', 'migration.sql'),
    'CREATE TABLE "Widget" ("id" SERIAL PRIMARY KEY, "name" TEXT NOT NULL);\nCREATE INDEX "Widget_name_idx" ON "Widget"("name");\n',
  );
  await mkdir(join(dir, '20260102000000_add_colour'));
  await writeFile(
    join(dir, '20260102000000_add_colour', 'migration.sql'),
    'ALTER TABLE "Widget" ADD COLUMN "colour" TEXT;\n',
  );
  return dir;
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

/** The behaviours both PGlite and PostgreSQL must show. */
function sharedBehaviour(
  open: () => Promise<{ source: SqlSessionSource; query: (sql: string) => Promise<unknown[]> }>,
  /** Why this engine cannot build an index CONCURRENTLY, if it cannot. */
  noConcurrentIndex?: string,
): void {
  let dir: string;
  let db: Awaited<ReturnType<typeof open>>;
  beforeEach(async () => {
    dir = await fixture();
    db = await open();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('applies the project migrations, and a second run is a no-op', async () => {
    const first = await applyMigrations(db.source, { dir: projectMigrations });
    const names = (await readMigrations(projectMigrations)).map((m) => m.name);
    expect(first.applied).toEqual(names);
    const second = await applyMigrations(db.source, { dir: projectMigrations });
    expect(second).toEqual({ applied: [], alreadyApplied: names, missingLocally: [] });
    const tables = (await db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`,
    )) as { table_name: string }[];
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['User', 'Post', 'Account', '_prisma_migrations']),
    );
  });

  it('records each migration as prisma migrate deploy does', async () => {
    await applyMigrations(db.source, { dir });
    const rows = (await db.query(
      'SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at, logs FROM "_prisma_migrations" ORDER BY migration_name',
    )) as Record<string, unknown>[];
    const file = await readFile(join(dir, '20260101000000_create_widgets', 'migration.sql'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      migration_name: '20260101000000_create_widgets',
      checksum: migrationChecksumOf(file),
      applied_steps_count: 1,
      rolled_back_at: null,
      logs: null,
    });
    expect(rows[0]?.finished_at).not.toBeNull();
  });

  it('refuses an applied migration whose file was changed, naming it', async () => {
    await applyMigrations(db.source, { dir });
    await writeFile(
      join(dir, '20260101000000_create_widgets', 'migration.sql'),
      'CREATE TABLE "Widget" ("id" SERIAL PRIMARY KEY);\n',
    );
    const err = await errorOf(applyMigrations(db.source, { dir }));
    expect(isDbkitError(err, 'migration.checksumMismatch')).toBe(true);
    expect((err as Error).message).toContain('20260101000000_create_widgets');
  });

  it('records a failing migration as failed, stops, and refuses to go on until it is resolved', async () => {
    await mkdir(join(dir, '20260103000000_broken'));
    await writeFile(
      join(dir, '20260103000000_broken', 'migration.sql'),
      'ALTER TABLE "Widget" ADD COLUMN "size" INT;\nALTER TABLE "Nope" ADD COLUMN "x" INT;\n',
    );
    await mkdir(join(dir, '20260104000000_after'));
    await writeFile(
      join(dir, '20260104000000_after', 'migration.sql'),
      'ALTER TABLE "Widget" ADD COLUMN "weight" INT;\n',
    );
    const err = await errorOf(applyMigrations(db.source, { dir }));
    expect(isDbkitError(err, 'migration.failed')).toBe(true);
    expect((err as Error).message).toContain('20260103000000_broken');
    const rows = (await db.query(
      'SELECT migration_name, finished_at, logs FROM "_prisma_migrations" ORDER BY migration_name',
    )) as { migration_name: string; finished_at: unknown; logs: string | null }[];
    expect(rows.map((r) => r.migration_name)).toEqual([
      '20260101000000_create_widgets',
      '20260102000000_add_colour',
      '20260103000000_broken',
    ]);
    expect(rows[2]?.finished_at).toBeNull();
    expect(rows[2]?.logs).toContain('Nope');
    const columns = (await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'Widget' AND table_schema = current_schema()`,
    )) as { column_name: string }[];
    expect(columns.map((c) => c.column_name)).not.toContain('size');
    expect(columns.map((c) => c.column_name)).not.toContain('weight');
    const again = await errorOf(applyMigrations(db.source, { dir }));
    expect(isDbkitError(again, 'migration.previouslyFailed')).toBe(true);
  });

  it('applies a migration that mixes statements with CREATE INDEX CONCURRENTLY, outside a transaction', async (ctx) => {
    if (noConcurrentIndex !== undefined) ctx.skip(noConcurrentIndex);
    await mkdir(join(dir, '20260103000000_concurrently'));
    await writeFile(
      join(dir, '20260103000000_concurrently', 'migration.sql'),
      'ALTER TABLE "Widget" ADD COLUMN "size" INT;\nCREATE INDEX CONCURRENTLY "Widget_size_idx" ON "Widget"("size");\n' +
        'CREATE FUNCTION widget_size() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n',
    );
    const result = await applyMigrations(db.source, { dir });
    expect(result.applied).toContain('20260103000000_concurrently');
    const indexes = (await db.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'Widget'`)) as {
      indexname: string;
    }[];
    expect(indexes.map((i) => i.indexname)).toContain('Widget_size_idx');
    const rows = (await db.query(
      `SELECT finished_at, applied_steps_count, logs, checksum FROM "_prisma_migrations" WHERE migration_name = '20260103000000_concurrently'`,
    )) as Record<string, unknown>[];
    const file = await readFile(join(dir, '20260103000000_concurrently', 'migration.sql'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      applied_steps_count: 1,
      logs: null,
      checksum: migrationChecksumOf(file),
    });
    expect(rows[0]?.finished_at).not.toBeNull();
  });

  it('records a failing non-transactional migration as failed, naming the statement, earlier ones kept', async () => {
    await mkdir(join(dir, '20260103000000_no_tx'));
    await writeFile(
      join(dir, '20260103000000_no_tx', 'migration.sql'),
      '-- dbkit:no-transaction\nALTER TABLE "Widget" ADD COLUMN "size" INT;\nALTER TABLE "Nope" ADD COLUMN "x" INT;\n',
    );
    const err = await errorOf(applyMigrations(db.source, { dir }));
    expect(isDbkitError(err, 'migration.failed')).toBe(true);
    expect((err as Error).message).toContain('Statement 2 of 2');
    const rows = (await db.query(
      `SELECT finished_at, applied_steps_count, logs FROM "_prisma_migrations" WHERE migration_name = '20260103000000_no_tx'`,
    )) as { finished_at: unknown; applied_steps_count: number; logs: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]?.finished_at).toBeNull();
    expect(rows[0]?.applied_steps_count).toBe(0);
    expect(rows[0]?.logs).toContain('Nope');
    expect(rows[0]?.logs).toContain('1 earlier statement(s) of this migration were applied');
    const columns = (await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'Widget' AND table_schema = current_schema()`,
    )) as { column_name: string }[];
    expect(columns.map((c) => c.column_name)).toContain('size');
    const again = await errorOf(applyMigrations(db.source, { dir }));
    expect(isDbkitError(again, 'migration.previouslyFailed')).toBe(true);
  });

  it('applies a file with a UTF-8 byte order mark and CRLF line endings, recording the checksum of its bytes', async () => {
    await mkdir(join(dir, '20260103000000_bom_crlf'));
    const bytes = Buffer.from(
      '\uFEFFALTER TABLE "Widget" ADD COLUMN "label" TEXT DEFAULT \'naïve\';\r\n-- café\r\n',
      'utf8',
    );
    await writeFile(join(dir, '20260103000000_bom_crlf', 'migration.sql'), bytes);
    await applyMigrations(db.source, { dir });
    const rows = (await db.query(
      `SELECT checksum FROM "_prisma_migrations" WHERE migration_name = '20260103000000_bom_crlf'`,
    )) as { checksum: string }[];
    expect(rows[0]?.checksum).toBe(migrationChecksumOf(bytes));
    // The same file checked out with LF endings is not "changed" (Prisma compares line-ending agnostic).
    await writeFile(
      join(dir, '20260103000000_bom_crlf', 'migration.sql'),
      bytes.toString('utf8').replaceAll('\r\n', '\n'),
    );
    expect((await applyMigrations(db.source, { dir })).alreadyApplied).toContain('20260103000000_bom_crlf');
  });

  it('reports migrations recorded in the database but missing on disk', async () => {
    await applyMigrations(db.source, { dir });
    await rm(join(dir, '20260102000000_add_colour'), { recursive: true });
    const result = await applyMigrations(db.source, { dir });
    expect(result.missingLocally).toEqual(['20260102000000_add_colour']);
  });
}

// The installed PGlite (the peer-version runs install the lowest and highest its range allows).
const pgliteVersion = (
  JSON.parse(
    readFileSync(new URL('../../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8'),
  ) as { version: string }
).version;

describe('[pglite] applyMigrations', () => {
  const instances: PGlite[] = [];
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
  });
  sharedBehaviour(
    async () => {
      const pglite = new PGlite();
      instances.push(pglite);
      await pglite.waitReady;
      return { source: sqlSource(pglite), query: async (sql) => (await pglite.query(sql)).rows };
    },
    pgliteVersion.startsWith('0.3.')
      ? `PGlite ${pgliteVersion} fails CREATE INDEX CONCURRENTLY ("tuple concurrently updated"); 0.4 builds it`
      : undefined,
  );
});

describeEngine('postgres', (serverUrl) => {
  describe('applyMigrations', () => {
    const databases: TestDatabase[] = [];
    const pools: pg.Pool[] = [];
    afterAll(async () => {
      await Promise.all(pools.map((p) => p.end()));
      await Promise.all(databases.map((d) => d.drop()));
    });
    async function newPool(): Promise<pg.Pool> {
      const database = await createTestDatabase(serverUrl, 'migrate');
      databases.push(database);
      const pool = new pg.Pool({ connectionString: database.url, max: 4 });
      pools.push(pool);
      return pool;
    }

    sharedBehaviour(async () => {
      const pool = await newPool();
      return {
        source: sqlSource(pool),
        query: async (sql) => (await pool.query<Record<string, unknown>>(sql)).rows,
      };
    });

    it('lets exactly one of two concurrent appliers apply each migration', async () => {
      const pool = await newPool();
      const second = new pg.Pool({ connectionString: pool.options.connectionString, max: 2 });
      pools.push(second);
      const [a, b] = await Promise.all([
        applyMigrations(sqlSource(pool), { dir: projectMigrations }),
        applyMigrations(sqlSource(second), { dir: projectMigrations }),
      ]);
      const total = (await readMigrations(projectMigrations)).length;
      expect(a.applied.length + b.applied.length).toBe(total);
      expect([a.applied.length, b.applied.length]).toContain(0);
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM "_prisma_migrations"');
      expect(rows[0]).toEqual({ n: total });
    });

    it('gives up with a timeout error while another process holds the migration lock', async () => {
      const pool = await newPool();
      const holder = await pool.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
        const err = await errorOf(
          applyMigrations(sqlSource(pool), { dir: projectMigrations, lockTimeoutMs: 300 }),
        );
        expect(isDbkitError(err, 'migration.lockTimeout')).toBe(true);
      } finally {
        await holder.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
        holder.release();
      }
    });

    it('migrates into a named schema when asked', async () => {
      const pool = await newPool();
      await applyMigrations(sqlSource(pool), { dir: projectMigrations, schema: 'tenant_a' });
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'tenant_a' AND table_name = 'User'`,
      );
      expect(rows[0]).toEqual({ n: 1 });
      const { rows: path } = await pool.query('SHOW search_path');
      expect(JSON.stringify(path)).not.toContain('tenant_a');
    });
  });
});
