// Backfill checkpoints in a `_dbkit_backfills` table: every change conditional on the owner or an expired lease.
import { ConflictError } from '../../core/internal.js';
import type { BackfillCheckpoint, CheckpointStore } from '../../core/internal.js';
import type { SqlSession } from '../migrate/sql-session.js';

/** The table holding checkpoints, in the session's current schema. */
export const CHECKPOINT_TABLE = '_dbkit_backfills';

const CREATE = `CREATE TABLE IF NOT EXISTS "${CHECKPOINT_TABLE}" (
  "name" text PRIMARY KEY,
  "owner" text NOT NULL,
  "checkpoint" jsonb,
  "saved_at" timestamptz NOT NULL DEFAULT now()
)`;

/** Creates the checkpoint table if missing (two runners creating it at once is not an error). */
export async function ensureCheckpointTable(session: SqlSession): Promise<void> {
  try {
    await session.query(CREATE);
  } catch (err) {
    // A concurrent CREATE TABLE IF NOT EXISTS can fail on the catalog's unique index.
    const raw = (err as { cause?: unknown }).cause ?? err;
    const code = (raw as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P07') throw err;
  }
}

/**
 * A checkpoint is written at most this often (and at least four times per lease). Short: another
 * runner judges the lease by its own `leaseMs`, so the row's `saved_at` must stay fresh.
 */
export const CHECKPOINT_EVERY_MS = 100;

/**
 * @internal Core's `CheckpointStore` over one session. The lease is measured on the database's
 * clock: another runner's checkpoint is free once its `saved_at` is older than `leaseMs`.
 *
 * The runner saves after every page; a write per page costs a round trip and a commit (6 to 20 %
 * of a fast backfill's time in bench/backfill/sql.ts), so a save within `min(CHECKPOINT_EVERY_MS, leaseMs / 4)` (100 ms) of
 * the last write is kept and written by a later save, or by `release` when the run stops. A run killed
 * resumes from a page at most that long before the last one: pages after it are read again and
 * their conditional writes skip the rows already done.
 */
export function sqlCheckpointStore(session: SqlSession, target: string): CheckpointStore {
  const table = `"${CHECKPOINT_TABLE}"`;
  let everyMs = CHECKPOINT_EVERY_MS;
  let writtenAt = Number.NEGATIVE_INFINITY;
  let pending: BackfillCheckpoint | undefined;
  return {
    async claim(name, owner, leaseMs) {
      everyMs = Math.min(CHECKPOINT_EVERY_MS, leaseMs / 4);
      writtenAt = performance.now();
      pending = undefined;
      const rows = await session.query<{ checkpoint: BackfillCheckpoint | string | null }>(
        `INSERT INTO ${table} AS b ("name", "owner", "checkpoint", "saved_at") VALUES ($1, $2, NULL, now())
         ON CONFLICT ("name") DO UPDATE SET "owner" = EXCLUDED."owner", "saved_at" = now()
          WHERE b."owner" = EXCLUDED."owner" OR b."saved_at" < now() - make_interval(secs => $3::double precision / 1000)
         RETURNING b."checkpoint"`,
        [name, owner, leaseMs],
      );
      const row = rows[0];
      if (row === undefined) {
        throw new ConflictError(
          `backfill "${name}" is being run by another process (its lease has not expired)`,
          {
            code: 'backfill.running',
            operation: 'backfill',
            target,
          },
        );
      }
      const checkpoint: unknown =
        typeof row.checkpoint === 'string' ? JSON.parse(row.checkpoint) : row.checkpoint;
      return (checkpoint ?? undefined) as BackfillCheckpoint | undefined;
    },
    async save(name, checkpoint) {
      if (performance.now() - writtenAt < everyMs) {
        pending = checkpoint;
        return;
      }
      pending = undefined;
      writtenAt = performance.now();
      const rows = await session.query(
        `UPDATE ${table} SET "checkpoint" = $3::jsonb, "saved_at" = now() WHERE "name" = $1 AND "owner" = $2 RETURNING 1`,
        [name, checkpoint.owner, JSON.stringify(checkpoint)],
      );
      if (rows.length === 0) {
        throw new ConflictError(
          `backfill "${name}" was taken over by another process after its lease expired`,
          {
            code: 'backfill.lost',
            operation: 'backfill',
            target,
          },
        );
      }
    },
    async release(name, owner) {
      // The checkpoint stays (the latest one, if a save was kept back); an expired lease lets the
      // next run take it at once.
      const latest = pending;
      pending = undefined;
      await session.query(
        `UPDATE ${table} SET "owner" = '', "saved_at" = '-infinity'${latest === undefined ? '' : ', "checkpoint" = $3::jsonb'}
          WHERE "name" = $1 AND "owner" = $2`,
        latest === undefined ? [name, owner] : [name, owner, JSON.stringify(latest)],
      );
    },
    async clear(name, owner) {
      pending = undefined;
      await session.query(`DELETE FROM ${table} WHERE "name" = $1 AND "owner" = $2`, [name, owner]);
    },
  };
}
