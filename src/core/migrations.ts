// The one migration model: versioned files applied in order under a lease lock, recorded in the engine's own journal, checksummed.
import { createHash, randomUUID } from 'node:crypto';
import { DbkitError, TimeoutError } from './errors.js';
import type { EngineName } from './errors.js';
import { sleep } from './retry.js';

/**
 * Where a migration stands, as `status` reports it.
 * - `applied`: recorded as finished, and the file's checksum matches.
 * - `pending`: in the folder, not recorded (or recorded as rolled back).
 * - `failed`: started and never finished (it threw, or its process died): resolve it before deploying.
 * - `changed`: applied, but the file was edited since: restore it or write a new migration.
 * - `missingLocally`: recorded in the engine, absent from the folder.
 *
 * @example
 * ```ts
 * const blocking: MigrationState[] = ['pending', 'failed', 'changed']
 * ```
 */
export type MigrationState = 'applied' | 'pending' | 'failed' | 'changed' | 'missingLocally';

/**
 * One line of a migration status.
 *
 * @example
 * ```ts
 * const line: MigrationStatusEntry = { name: '20261202_add_email', state: 'pending' }
 * ```
 */
export interface MigrationStatusEntry {
  name: string;
  state: MigrationState;
  /** ISO time the migration was started, when recorded. */
  startedAt?: string;
  /** ISO time it finished, when it did. */
  finishedAt?: string;
  /** What a failed migration recorded. */
  error?: string;
}

/**
 * What `status` reports for one engine: every migration with its state, and whether the engine is
 * up to date (nothing pending, failed or changed). JSON-serialisable.
 *
 * @example
 * ```ts
 * if (!status.upToDate) console.error(status.migrations.filter((m) => m.state !== 'applied'))
 * ```
 */
export interface MigrationStatus {
  engine: EngineName;
  /** The database, table or schema the journal lives in. */
  target: string;
  upToDate: boolean;
  migrations: MigrationStatusEntry[];
}

/**
 * One migration as code: a name that sorts in apply order, the checksum of its source, and `up`.
 *
 * @example
 * ```ts
 * const m: Migration<Db> = { name: '20261202_add_email', checksum: migrationChecksumOf(source), up: async (db) => { ... } }
 * ```
 */
export interface Migration<Ctx> {
  name: string;
  checksum: string;
  up(ctx: Ctx, run: MigrationRun): Promise<void>;
}

/**
 * What a running migration gets besides the engine client: a signal that aborts when its lock is lost
 * or the caller cancels, so a long backfill inside it stops instead of racing a second deployer.
 *
 * @example
 * ```ts
 * export async function up(db: Db, run: MigrationRun) { await backfill(db, { ..., signal: run.signal }) }
 * ```
 */
export interface MigrationRun {
  readonly name: string;
  readonly signal: AbortSignal;
}

/** @internal One journal record, as an engine stores it. */
export interface JournalRecord {
  name: string;
  checksum: string;
  startedAt: Date;
  finishedAt?: Date | undefined;
  /** Set when `up` threw; a record with neither finishedAt nor error was interrupted. */
  error?: string | undefined;
}

/**
 * @internal What an engine provides to keep the journal: records and a lease lock, each change a
 * conditional write in the engine itself.
 */
export interface MigrationJournal {
  readonly engine: EngineName;
  readonly target: string;
  records(): Promise<JournalRecord[]>;
  /** Takes the lock if it is free, expired, or already `owner`'s; true when `owner` holds it now. */
  tryLock(owner: string, leaseMs: number): Promise<boolean>;
  /** Extends `owner`'s lease; false when another owner took the lock. */
  renewLock(owner: string, leaseMs: number): Promise<boolean>;
  unlock(owner: string): Promise<void>;
  /** Records the start; must fail if a record of `name` exists already. */
  start(record: { name: string; checksum: string; startedAt: Date }): Promise<void>;
  finish(name: string, finishedAt: Date): Promise<void>;
  fail(name: string, error: string): Promise<void>;
  /** Deletes the record of a failed migration, so that it is pending again. */
  forget(name: string): Promise<void>;
}

/**
 * Hex SHA-256 of a migration file's bytes: an applied migration whose file changes is refused.
 *
 * @example
 * ```ts
 * migrationChecksumOf(await readFile('migrations/20261202_add_email.ts'))
 * ```
 */
export function migrationChecksumOf(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function iso(date: Date | undefined): string | undefined {
  return date === undefined ? undefined : date.toISOString();
}

/**
 * @internal Compares the migrations on disk with the journal's records.
 */
export function planMigrations(
  local: readonly { name: string; checksum: string }[],
  records: readonly JournalRecord[],
): MigrationStatusEntry[] {
  const byName = new Map(records.map((r) => [r.name, r]));
  const localNames = new Set(local.map((m) => m.name));
  const out: MigrationStatusEntry[] = [];
  for (const m of local) {
    const rec = byName.get(m.name);
    if (rec === undefined) {
      out.push({ name: m.name, state: 'pending' });
      continue;
    }
    const times = { startedAt: rec.startedAt.toISOString(), finishedAt: iso(rec.finishedAt) };
    const entry: MigrationStatusEntry = { name: m.name, state: 'applied', startedAt: times.startedAt };
    if (times.finishedAt !== undefined) entry.finishedAt = times.finishedAt;
    if (rec.finishedAt === undefined) {
      entry.state = 'failed';
      entry.error = rec.error ?? 'interrupted: the process applying it stopped before it finished';
    } else if (rec.checksum !== m.checksum) entry.state = 'changed';
    out.push(entry);
  }
  for (const rec of records) {
    if (localNames.has(rec.name)) continue;
    const entry: MigrationStatusEntry = {
      name: rec.name,
      state: 'missingLocally',
      startedAt: rec.startedAt.toISOString(),
    };
    const finished = iso(rec.finishedAt);
    if (finished !== undefined) entry.finishedAt = finished;
    out.push(entry);
  }
  return out;
}

/** @internal The status of `local` against `journal`. */
export async function journalStatus(
  journal: MigrationJournal,
  local: readonly { name: string; checksum: string }[],
): Promise<MigrationStatus> {
  const migrations = planMigrations(local, await journal.records());
  return {
    engine: journal.engine,
    target: journal.target,
    upToDate: migrations.every((m) => m.state === 'applied' || m.state === 'missingLocally'),
    migrations,
  };
}

/**
 * Options of a deploy.
 *
 * @example
 * ```ts
 * const options: DeployOptions = { lockTimeoutMs: 120_000, onProgress: (e) => console.log(e.name) }
 * ```
 */
export interface DeployOptions {
  /** How long to wait for another deployer's lock, in ms. Default 60 000. */
  lockTimeoutMs?: number | undefined;
  /** The lock's lease, renewed every third of it while migrations run. Default 30 000. */
  leaseMs?: number | undefined;
  /** Called before each migration is applied. */
  onProgress?: ((event: { name: string; index: number; total: number }) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * What a deploy did.
 *
 * @example
 * ```ts
 * console.log(`applied ${result.applied.length}, ${result.alreadyApplied.length} were already applied`)
 * ```
 */
export interface DeployResult {
  applied: string[];
  alreadyApplied: string[];
  /** Recorded in the engine, absent from the folder. */
  missingLocally: string[];
}

function migrationError(
  journal: MigrationJournal,
  kind: 'condition_failed' | 'conflict',
  code:
    'migration.previouslyFailed' | 'migration.checksumMismatch' | 'migration.failed' | 'migration.lockLost',
  message: string,
  target: string,
  cause?: unknown,
): DbkitError {
  return new DbkitError(kind, message, {
    code,
    engine: journal.engine,
    operation: 'migrate',
    target,
    ...(cause === undefined ? {} : { cause }),
  });
}

async function acquire(journal: MigrationJournal, owner: string, options: DeployOptions): Promise<void> {
  const timeoutMs = options.lockTimeoutMs ?? 60_000;
  const leaseMs = options.leaseMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
    options.signal?.throwIfAborted();
    if (await journal.tryLock(owner, leaseMs)) return;
    if (Date.now() + wait > deadline) {
      throw new TimeoutError(
        `Another deploy held the migration lock of ${journal.target} for more than ${timeoutMs} ms; if its process died, the lock expires ${leaseMs} ms after its last renewal`,
        { code: 'migration.lockTimeout', engine: journal.engine, operation: 'migrate', timeoutMs },
      );
    }
    await sleep(wait, options.signal);
  }
}

/**
 * @internal Applies the pending migrations in name order under the journal's lease lock: an edited
 * applied migration or an unresolved failed one stops the deploy before anything runs; a migration
 * that throws is recorded as failed and stops it.
 */
export async function deployWithJournal<Ctx>(
  journal: MigrationJournal,
  migrations: readonly Migration<Ctx>[],
  ctx: Ctx,
  options: DeployOptions = {},
): Promise<DeployResult> {
  const owner = randomUUID();
  const leaseMs = options.leaseMs ?? 30_000;
  await acquire(journal, owner, options);
  const lost = new AbortController();
  const onAbort = (): void => {
    lost.abort(options.signal?.reason);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let renewing = Promise.resolve();
  const heartbeat = setInterval(
    () => {
      renewing = renewing
        .then(async () => {
          if (!(await journal.renewLock(owner, leaseMs))) lost.abort(new Error('lock lost'));
        })
        .catch(() => undefined);
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  heartbeat.unref();
  try {
    const plan = planMigrations(migrations, await journal.records());
    for (const entry of plan) {
      if (entry.state === 'failed') {
        throw migrationError(
          journal,
          'condition_failed',
          'migration.previouslyFailed',
          `Migration ${entry.name} failed earlier (${entry.error ?? 'unknown'}); fix the data, then run \`dbkit migrate resolve ${entry.name}\` to retry it`,
          entry.name,
        );
      }
      if (entry.state === 'changed') {
        throw migrationError(
          journal,
          'conflict',
          'migration.checksumMismatch',
          `Migration ${entry.name} was changed after it was applied; restore the file or write a new migration`,
          entry.name,
        );
      }
    }
    const pendingNames = new Set(plan.filter((e) => e.state === 'pending').map((e) => e.name));
    const pending = migrations.filter((m) => pendingNames.has(m.name));
    const applied: string[] = [];
    for (const [index, migration] of pending.entries()) {
      if (lost.signal.aborted) {
        throw migrationError(
          journal,
          'conflict',
          'migration.lockLost',
          `The migration lock of ${journal.target} was lost (a renewal failed for longer than the lease); nothing more was applied`,
          migration.name,
          lost.signal.reason,
        );
      }
      options.onProgress?.({ name: migration.name, index, total: pending.length });
      await journal.start({ name: migration.name, checksum: migration.checksum, startedAt: new Date() });
      try {
        await migration.up(ctx, { name: migration.name, signal: lost.signal });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await journal.fail(migration.name, message);
        throw migrationError(
          journal,
          'condition_failed',
          'migration.failed',
          `Migration ${migration.name} failed: ${message}`,
          migration.name,
          err,
        );
      }
      await journal.finish(migration.name, new Date());
      applied.push(migration.name);
    }
    return {
      applied,
      alreadyApplied: plan.filter((e) => e.state === 'applied').map((e) => e.name),
      missingLocally: plan.filter((e) => e.state === 'missingLocally').map((e) => e.name),
    };
  } finally {
    clearInterval(heartbeat);
    options.signal?.removeEventListener('abort', onAbort);
    await renewing;
    await journal.unlock(owner).catch(() => undefined);
  }
}

/**
 * @internal Makes a failed migration pending again (after its data was repaired), under the lock.
 */
export async function resolveWithJournal(
  journal: MigrationJournal,
  name: string,
  options: DeployOptions = {},
): Promise<void> {
  const owner = randomUUID();
  await acquire(journal, owner, options);
  try {
    const record = (await journal.records()).find((r) => r.name === name);
    if (record === undefined || record.finishedAt !== undefined) {
      throw migrationError(
        journal,
        'condition_failed',
        'migration.failed',
        `Migration ${name} is not recorded as failed; only a failed migration can be resolved`,
        name,
      );
    }
    await journal.forget(name);
  } finally {
    await journal.unlock(owner).catch(() => undefined);
  }
}
