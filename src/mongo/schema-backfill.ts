// The batch schema migration: every document older than the collection's schemaVersion upgraded and stamped, conditionally, as a backfill.
import { ValidationError } from '../core/errors.js';
import type { BackfillReport, BackfillRunOptions } from '../core/internal.js';
import { runMongoBackfill } from './backfill.js';
import type { CollectionDefinition } from './collection.js';
import type { MongoRepository } from './repository.js';
import { olderThanCurrentFilter, upgradeDocument } from './schema-version.js';

/**
 * Options of {@link migrateToCurrentSchema}: core's backfill options (`name` defaults to
 * `<collection>-schemaVersion-<current>`), plus the checkpoint collection.
 *
 * @example
 * ```ts
 * const options: SchemaMigrationOptions = { batchSize: 500, itemsPerSecond: 2_000 }
 * ```
 */
export interface SchemaMigrationOptions extends Omit<BackfillRunOptions, 'name'> {
  name?: string | undefined;
  /** The checkpoint collection. Default `dbkit_backfills`. */
  checkpoints?: string | undefined;
  /** No application writes run meanwhile: required on FerretDB v1 (as `backfill`'s `writersStopped`). */
  writersStopped?: boolean | undefined;
}

/**
 * The batch migration of lazy schema evolution: reads every document whose `schemaVersion` is
 * older than the collection's (or missing), runs the collection's `upgrade` on it, stamps the
 * current `schemaVersion` and writes it back (`$set` of its fields, `$unset` of those it dropped), in
 * `_id` order with a checkpoint (resumable, rate limited, dry run: see {@link backfill}). Each write
 * applies only while the document is as read
 * (same `schemaVersion`, and the same `version` on a versioned collection, otherwise the same
 * fields), so a document the application updated meanwhile (which upgrades it) is skipped, never
 * overwritten. Afterwards `updateMany` and bulk updates accept the whole collection again. Where
 * conditional updates are not atomic (FerretDB v1) it throws an UnsupportedError
 * (`unsupported.atomicUpdates`) unless `writersStopped: true`.
 *
 * @example
 * ```ts
 * const report = await migrateToCurrentSchema(mongoRepository(mongo, People), { itemsPerSecond: 1_000 })
 * console.log(`${report.changed} upgraded, ${report.skipped} changed meanwhile`)
 * ```
 */
export function migrateToCurrentSchema<C extends CollectionDefinition>(
  repository: MongoRepository<C>,
  options: SchemaMigrationOptions = {},
): Promise<BackfillReport> {
  const ctx = repository.ctx;
  const def = ctx.definition;
  if (def.schemaVersion === undefined) {
    return Promise.reject(
      new ValidationError([{ path: ['schemaVersion'], message: 'not declared' }], {
        code: 'backfill.noSchemaVersion',
        engine: 'mongodb',
        operation: 'backfill',
        target: def.name,
        message: `Collection ${def.name} declares no schemaVersion: there is nothing to migrate to`,
      }),
    );
  }
  const name = options.name ?? `${def.name}-schemaVersion-${def.schemaVersion}`;
  return runMongoBackfill(
    { ctx, needsWork: olderThanCurrentFilter(def), transform: (doc) => upgradeDocument(def, doc) },
    { ...options, name },
  );
}
