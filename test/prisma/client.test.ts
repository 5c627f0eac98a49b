// createPrisma: one client per process, log routing by NODE_ENV, slow-query log with redaction, pool figures, graceful shutdown.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstrumentation } from '../../src/core/internal.js';
import type { Logger } from '../../src/core/internal.js';
import { logDefinitions } from '../../src/prisma/client.js';
import { createPrisma, defaultPoolTimeouts } from '../../src/prisma/index.js';
import { describeEngine } from '../helpers/engines.js';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client/client.js';
import { openPglite, openPostgres } from './support.js';
import type { TestDb } from './support.js';

function recordingLogger() {
  const lines: { level: string; details: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (details: Record<string, unknown>, message: string): void => {
      lines.push({ level, details, message });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

describe('[pglite] createPrisma', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openPglite();
  });
  afterAll(async () => {
    await db.close();
  });

  it('keeps one client per name on globalThis outside production and builds a new one after close', async () => {
    let built = 0;
    const make = () =>
      createPrisma({
        name: 'singleton-test',
        env: 'test',
        adapter: db.adapter,
        shutdownSignals: false,
        create: (options) => {
          built += 1;
          return new PrismaClient(options);
        },
        extend: (base, dbkit) => base.$extends(dbkit),
      });
    const first = make();
    const second = make();
    expect(second).toBe(first);
    expect(built).toBe(1);
    const registry = (globalThis as Record<symbol, { clients: Map<string, unknown> } | undefined>)[
      Symbol.for('dbkit.prisma.registry')
    ];
    expect(registry?.clients.get('singleton-test')).toBe(first);
    expect(await first.client.user.count()).toBe(0);
    expect(first.engine).toBe('pglite');
    await first.close();
    expect(registry?.clients.has('singleton-test')).toBe(false);
    const third = make();
    expect(third).not.toBe(first);
    expect(built).toBe(2);
    await third.close();
  });

  it('logs slow statements with parameters redacted, or as they are when allowed', async () => {
    for (const logParams of [false, true]) {
      const { logger, lines } = recordingLogger();
      const managed = createPrisma({
        name: `slow-${String(logParams)}`,
        env: 'production',
        adapter: db.adapter,
        logger,
        slowQueryMs: 0,
        logParams,
        shutdownSignals: false,
        create: (options) => new PrismaClient(options),
        extend: (base, dbkit) => base.$extends(dbkit),
      });
      await managed.client.user.findFirst({ where: { email: 'secret@example.com' } });
      await managed.close();
      const slow = lines.find(
        (l) => l.message === 'dbkit: slow query' && String(l.details['query']).includes('"User"'),
      );
      expect(slow?.level).toBe('warn');
      expect(slow?.details).toMatchObject({ engine: 'pglite', thresholdMs: 0 });
      expect(typeof slow?.details['durationMs']).toBe('number');
      if (logParams) expect(slow?.details['params']).toContain('secret@example.com');
      else {
        expect(slow?.details['params']).not.toContain('secret@example.com');
        expect(slow?.details['params']).toMatch(/string/);
      }
    }
  });

  it('chooses Prisma log levels by NODE_ENV: statements in development, warnings and errors everywhere', () => {
    expect(logDefinitions('development', 500).map((d) => d.level)).toEqual([
      'query',
      'info',
      'warn',
      'error',
    ]);
    expect(logDefinitions('production', false).map((d) => d.level)).toEqual(['warn', 'error']);
    expect(logDefinitions('production', 200).map((d) => d.level)).toEqual(['query', 'warn', 'error']);
    expect(logDefinitions('production', 200)).toContainEqual({ level: 'query', emit: 'event' });
  });

  it('disconnects and runs onClose on SIGTERM, then lets the process end', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/shutdown-child.ts', import.meta.url))],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) child.kill('SIGTERM');
    });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => {
        resolve({ code, signal });
      });
    });
    expect(out).toContain('ready');
    expect(out).toContain('closed');
    expect(exit.signal).toBe('SIGTERM');
  });
});

describe('createPrisma pool time limits', () => {
  // Building a pg.Pool and a client opens no connection: no engine needed.
  const build = (pool: pg.Pool, poolTimeouts?: false) =>
    createPrisma({
      name: `limits-${Math.random()}`,
      adapter: new PrismaPg(pool),
      pool,
      create: (options) => new PrismaClient(options),
      shutdownSignals: false,
      ...(poolTimeouts === undefined ? {} : { poolTimeouts }),
    });

  it('fills in safe connect, statement, query and idle-in-transaction limits the pool leaves unset', async () => {
    const pool = new pg.Pool({
      connectionString: 'postgresql://u@127.0.0.1:1/db',
      statement_timeout: 20_000,
    });
    const managed = build(pool);
    expect(pool.options).toMatchObject({
      ...defaultPoolTimeouts,
      // The caller's own limit stays; pg's client-side limit is kept above it.
      statement_timeout: 20_000,
      query_timeout: 21_000,
    });
    await managed.close();
  });

  it('fills in the config of an adapter that builds its own pool, and leaves the pool alone on request', async () => {
    const config = { connectionString: 'postgresql://u@127.0.0.1:1/db' };
    const own = createPrisma({
      name: `limits-own-${Math.random()}`,
      adapter: new PrismaPg(config),
      create: (options) => new PrismaClient(options),
      shutdownSignals: false,
    });
    expect(config).toMatchObject(defaultPoolTimeouts);
    const untouched = new pg.Pool({ connectionString: 'postgresql://u@127.0.0.1:1/db' });
    const managed = build(untouched, false);
    expect(untouched.options).not.toHaveProperty('query_timeout');
    await Promise.all([own.close(), managed.close()]);
  });
});

describeEngine('postgres', (serverUrl) => {
  describe('createPrisma pool figures', () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await openPostgres(serverUrl, { max: 2 });
    });
    afterAll(async () => {
      await db.close();
    });

    it('reads total, idle and waiting connections from the pg.Pool behind the adapter', async () => {
      const instrumentation = createInstrumentation();
      const managed = createPrisma({
        name: 'pool-test',
        env: 'test',
        adapter: db.adapter,
        pool: db.pool!,
        instrumentation,
        shutdownSignals: false,
        create: (options) => new PrismaClient(options),
      });
      const running = Promise.all(
        Array.from({ length: 6 }, () => managed.client.$queryRaw`SELECT 1 AS one FROM pg_sleep(0.3)`),
      );
      await new Promise((r) => setTimeout(r, 100));
      const busy = managed.poolStats();
      await running;
      expect(busy).toMatchObject({ total: 2, idle: 0, busy: 2, max: 2 });
      expect(busy?.waiting).toBeGreaterThan(0);
      expect(managed.poolStats()).toMatchObject({ busy: 0, waiting: 0 });
      await managed.close();
    });
    it('survives the server dropping an idle pooled connection, logs it, and keeps serving', async () => {
      const pool = new pg.Pool({ connectionString: db.url, max: 2 });
      const warnings: string[] = [];
      const logger: Logger = {
        debug: () => undefined,
        info: () => undefined,
        error: () => undefined,
        warn: (_details, message) => {
          warnings.push(message);
        },
      };
      const managed = createPrisma({
        name: 'idle-drop-test',
        env: 'test',
        adapter: new PrismaPg(pool),
        pool,
        logger,
        shutdownSignals: false,
        create: (options) => new PrismaClient(options),
        onClose: () => pool.end(),
      });
      await managed.client.$queryRaw`SELECT 1 AS one`;
      expect(pool.idleCount).toBeGreaterThan(0);
      // An administrator (or a failover) kills every other session on this database.
      await db.sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(warnings).toContain('dbkit: the database closed an idle pooled connection');
      const [row] = await managed.client.$queryRaw<{ one: number }[]>`SELECT 1 AS one`;
      expect(row?.one).toBe(1);
      await managed.close();
    });
  });
});
