// Test support for dbkit/prisma: a migrated database on each adapter (in-process PGlite, or a fresh database on the PostgreSQL server).
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { applyMigrations, sqlSource } from '../../src/prisma/migrate/index.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { PrismaClient } from './generated/client/client.js';

export const migrationsDir = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));
export const schemaPath = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));

/** A trigger letting a model operation raise any SQLSTATE: `Session.token = 'raise:<code>'`. */
export const RAISE_TRIGGER_SQL = `
CREATE FUNCTION raise_on_token() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.token LIKE 'raise:%' THEN RAISE EXCEPTION 'synthetic %', substr(NEW.token, 7) USING ERRCODE = substr(NEW.token, 7); END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER raise_on_token BEFORE INSERT ON "Session" FOR EACH ROW EXECUTE FUNCTION raise_on_token();`;

/** A migrated database and a bare client on one adapter. */
export interface TestDb {
  engine: 'pglite' | 'postgres';
  adapter: PrismaPg | PrismaPGlite;
  /** A bare client over the adapter. */
  prisma: PrismaClient;
  /** Runs SQL outside Prisma (a second connection on PostgreSQL). */
  sql(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  pool?: pg.Pool;
  url?: string;
  pglite?: PGlite;
  close(): Promise<void>;
}

/** A fresh in-memory PGlite with the project migrations applied (≈2–3 s: share one per file). */
export async function openPglite(options: { trigger?: boolean } = {}): Promise<TestDb> {
  const pglite = new PGlite();
  await applyMigrations(sqlSource(pglite), { dir: migrationsDir });
  if (options.trigger === true) await pglite.exec(RAISE_TRIGGER_SQL);
  const adapter = new PrismaPGlite(pglite);
  const prisma = new PrismaClient({ adapter });
  return {
    engine: 'pglite',
    adapter,
    prisma,
    pglite,
    sql: async (text, params) => {
      if (params === undefined) {
        const results = await pglite.exec(text);
        return results[results.length - 1]?.rows ?? [];
      }
      return (await pglite.query<Record<string, unknown>>(text, params)).rows;
    },
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

/** A fresh database on the server with the project migrations applied, reached through a pg.Pool. */
export async function openPostgres(
  serverUrl: string,
  options: { trigger?: boolean; max?: number } = {},
): Promise<TestDb> {
  const db = await createTestDatabase(serverUrl, 'prisma');
  const pool = new pg.Pool({ connectionString: db.url, max: options.max ?? 10 });
  pool.on('error', () => undefined);
  await applyMigrations(sqlSource(pool), { dir: migrationsDir });
  if (options.trigger === true) await pool.query(RAISE_TRIGGER_SQL);
  const adapter = new PrismaPg(pool);
  const prisma = new PrismaClient({ adapter });
  return {
    engine: 'postgres',
    adapter,
    prisma,
    pool,
    url: db.url,
    sql: async (text, params) => (await pool.query<Record<string, unknown>>(text, params)).rows,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
      await db.drop();
    },
  };
}

/** Settles `promise` and returns its rejection reason; fails when it resolves. */
export async function errorOf(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

/** Resolves when `count` callers have arrived (a barrier for staging races). */
export function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  return async () => {
    arrived += 1;
    if (arrived >= count) open();
    await gate;
  };
}
