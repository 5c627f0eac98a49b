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
 * @internal Core's `CheckpointStore` over one session. The lease is measured on the database's
 * clock: another runner's checkpoint is free once its `saved_at` is older than `leaseMs`.
 */
export function sqlCheckpointStore(session: SqlSession, target: string): CheckpointStore {
  const table = `"${CHECKPOINT_TABLE}"`;
  return {
    async claim(name, owner, leaseMs) {
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
      // The checkpoint stays; an expired lease lets the next run take it at once.
      await session.query(
        `UPDATE ${table} SET "owner" = '', "saved_at" = '-infinity' WHERE "name" = $1 AND "owner" = $2`,
        [name, owner],
      );
    },
    async clear(name, owner) {
      await session.query(`DELETE FROM ${table} WHERE "name" = $1 AND "owner" = $2`, [name, owner]);
    },
  };
}
