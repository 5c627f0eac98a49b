// SQL backfills: keyset walks with conditional writes and checkpoints in the database.
export { backfill } from './backfill.js';
export type { SqlBackfillOptions } from './backfill.js';
export type { SqlRow } from './keyset-source.js';
export { CHECKPOINT_TABLE } from './checkpoint.js';
