// The migration model over an in-memory journal: order, checksums, failures, resolve, the lease lock.
/* eslint-disable @typescript-eslint/require-await -- in-memory stand-ins of engine journals and stores implement async interfaces synchronously */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isDbkitError } from '../../src/core/index.js';
import { loadMigrationFolder } from '../../src/core/migration-files.js';
import { deployWithJournal, journalStatus, resolveWithJournal } from '../../src/core/migrations.js';
import type { JournalRecord, Migration, MigrationJournal } from '../../src/core/migrations.js';

// A journal kept in memory with the same conditional semantics an engine's must have.
function memoryJournal(): MigrationJournal & { lockOwner: () => string | undefined } {
  const records = new Map<string, JournalRecord>();
  let lock: { owner: string; expiresAt: number } | undefined;
  return {
    engine: 'core',
    target: 'memory',
    lockOwner: () => lock?.owner,
    async records() {
      return [...records.values()].map((r) => ({ ...r }));
    },
    async tryLock(owner, leaseMs) {
      await Promise.resolve();
      if (lock !== undefined && lock.owner !== owner && lock.expiresAt > Date.now()) return false;
      lock = { owner, expiresAt: Date.now() + leaseMs };
      return true;
    },
    async renewLock(owner, leaseMs) {
      if (lock?.owner !== owner) return false;
      lock.expiresAt = Date.now() + leaseMs;
      return true;
    },
    async unlock(owner) {
      if (lock?.owner === owner) lock = undefined;
    },
    async start(r) {
      if (records.has(r.name)) throw new Error(`already started: ${r.name}`);
      records.set(r.name, { ...r });
    },
    async finish(name, finishedAt) {
      const r = records.get(name);
      if (r) r.finishedAt = finishedAt;
    },
    async fail(name, error) {
      const r = records.get(name);
      if (r) r.error = error;
    },
    async forget(name) {
      records.delete(name);
    },
  };
}

function migration(name: string, log: string[], checksum = `sum-${name}`, fail?: Error): Migration<string[]> {
  return {
    name,
    checksum,
    async up(ctx) {
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw fail;
      ctx.push(name);
      log.push(name);
    },
  };
}

describe('deployWithJournal', () => {
  it('applies pending migrations in order, once, and reports the rest', async () => {
    const journal = memoryJournal();
    const log: string[] = [];
    const ms = [migration('001_a', log), migration('002_b', log)];
    const first = await deployWithJournal(journal, ms, [] as string[]);
    expect(first.applied).toEqual(['001_a', '002_b']);
    const second = await deployWithJournal(journal, [...ms, migration('003_c', log)], []);
    expect(second).toEqual({ applied: ['003_c'], alreadyApplied: ['001_a', '002_b'], missingLocally: [] });
    expect(log).toEqual(['001_a', '002_b', '003_c']);
    expect(journal.lockOwner()).toBeUndefined();
    const status = await journalStatus(journal, ms);
    expect(status.upToDate).toBe(true);
    expect(status.migrations.map((m) => [m.name, m.state])).toEqual([
      ['001_a', 'applied'],
      ['002_b', 'applied'],
      ['003_c', 'missingLocally'],
    ]);
  });

  it('refuses an edited applied migration before running anything', async () => {
    const journal = memoryJournal();
    const log: string[] = [];
    await deployWithJournal(journal, [migration('001_a', log)], []);
    const err = await deployWithJournal(
      journal,
      [migration('001_a', log, 'edited'), migration('002_b', log)],
      [],
    ).catch((e: unknown) => e);
    expect(isDbkitError(err, 'migration.checksumMismatch')).toBe(true);
    expect(log).toEqual(['001_a']);
    expect((await journalStatus(journal, [{ name: '001_a', checksum: 'edited' }])).migrations[0]?.state).toBe(
      'changed',
    );
  });

  it('records a failing migration, blocks later deploys until it is resolved, then retries it', async () => {
    const journal = memoryJournal();
    const log: string[] = [];
    const boom = new Error('boom');
    const err = await deployWithJournal(
      journal,
      [migration('001_a', log, 's', boom), migration('002_b', log)],
      [],
    ).catch((e: unknown) => e);
    expect(isDbkitError(err, 'migration.failed')).toBe(true);
    expect((err as Error).cause).toBe(boom);
    const status = await journalStatus(journal, [{ name: '001_a', checksum: 's' }]);
    expect(status).toMatchObject({
      upToDate: false,
      migrations: [{ name: '001_a', state: 'failed', error: 'boom' }],
    });
    const again = await deployWithJournal(journal, [migration('001_a', log, 's')], []).catch(
      (e: unknown) => e,
    );
    expect(isDbkitError(again, 'migration.previouslyFailed')).toBe(true);
    await resolveWithJournal(journal, '001_a');
    expect(
      (await deployWithJournal(journal, [migration('001_a', log, 's'), migration('002_b', log)], [])).applied,
    ).toEqual(['001_a', '002_b']);
    const notFailed = await resolveWithJournal(journal, '001_a').catch((e: unknown) => e);
    expect(isDbkitError(notFailed, 'migration.failed')).toBe(true);
  });

  it('lets two deployers started together apply each migration once', async () => {
    const journal = memoryJournal();
    const log: string[] = [];
    const ms = [migration('001_a', log), migration('002_b', log), migration('003_c', log)];
    const results = await Promise.all([
      deployWithJournal(journal, ms, []),
      deployWithJournal(journal, ms, []),
    ]);
    expect(log).toEqual(['001_a', '002_b', '003_c']);
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, 3]);
  });

  it('gives up waiting for a held lock with migration.lockTimeout', async () => {
    const journal = memoryJournal();
    await journal.tryLock('someone-else', 60_000);
    const err = await deployWithJournal(journal, [migration('001_a', [])], [], { lockTimeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(isDbkitError(err, 'migration.lockTimeout')).toBe(true);
  });

  it('takes over a lock whose holder stopped renewing it (its lease expired)', async () => {
    const journal = memoryJournal();
    await journal.tryLock('crashed', 100);
    const result = await deployWithJournal(journal, [migration('001_a', [])], [], { lockTimeoutMs: 2_000 });
    expect(result.applied).toEqual(['001_a']);
  });

  it('aborts a running migration when the lock is lost, and applies nothing after it', async () => {
    const journal = memoryJournal();
    const log: string[] = [];
    const stealer: Migration<string[]> = {
      name: '001_long',
      checksum: 's',
      async up(_ctx, run) {
        // Another process takes the lock (as if this one had stalled past its lease).
        await journal.unlock(journal.lockOwner() ?? '');
        await journal.tryLock('thief', 60_000);
        await new Promise<void>((resolve) => {
          run.signal.addEventListener(
            'abort',
            () => {
              resolve();
            },
            { once: true },
          );
        });
        log.push('noticed');
      },
    };
    const err = await deployWithJournal(journal, [stealer, migration('002_b', log)], [], {
      leaseMs: 90,
    }).catch((e: unknown) => e);
    expect(log).toEqual(['noticed']);
    expect(isDbkitError(err, 'migration.lockLost')).toBe(true);
  });
});

describe('loadMigrationFolder', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads modules in name order with a checksum of their bytes, and rejects a module without up', async () => {
    dir = await mkdtemp(join(tmpdir(), 'dbkit-migrations-'));
    await writeFile(join(dir, '002_b.mjs'), 'export async function up(ctx) { ctx.push("b") }\n');
    await writeFile(join(dir, '001_a.mjs'), 'export async function up(ctx) { ctx.push("a") }\n');
    await writeFile(join(dir, 'README.md'), 'not a migration');
    const ms = await loadMigrationFolder<string[]>(dir, 'core');
    expect(ms.map((m) => m.name)).toEqual(['001_a', '002_b']);
    expect(ms[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
    const ctx: string[] = [];
    for (const m of ms) await m.up(ctx, { name: m.name, signal: new AbortController().signal });
    expect(ctx).toEqual(['a', 'b']);
    // An edited file is imported anew in the same process (its checksum is part of the URL).
    await writeFile(join(dir, '001_a.mjs'), 'export async function up(ctx) { ctx.push("a2") }\n');
    const edited = await loadMigrationFolder<string[]>(dir, 'core');
    const again: string[] = [];
    await edited[0]?.up(again, { name: '001_a', signal: new AbortController().signal });
    expect(again).toEqual(['a2']);
    expect(edited[0]?.checksum).not.toBe(ms[0]?.checksum);
    await writeFile(join(dir, '003_c.mjs'), 'export const nothing = 1\n');
    const err = await loadMigrationFolder(dir, 'core').catch((e: unknown) => e);
    expect(isDbkitError(err, 'migration.invalidFile')).toBe(true);
    expect(await loadMigrationFolder(join(dir, 'absent'), 'core')).toEqual([]);
  });
});
