// E11000 from every Mongoose write path as dbkit's ConflictError naming the fields.
import type { Schema } from 'mongoose';
import { DbkitError } from '../core/errors.js';
import { duplicateKeyError, isDuplicateKey } from '../mongo/errors.js';
import type { UniqueIndexInfo } from '../mongo/errors.js';
import { hooksOf } from './hooks.js';
import type { AnyQuery } from './hooks.js';

const WRITES_THAT_CONFLICT = [
  'updateOne',
  'updateMany',
  'findOneAndUpdate',
  'findOneAndReplace',
  'replaceOne',
] as const;

/** The unique indexes a schema declares, named as the server names them, for E11000 messages. */
function uniqueIndexes(schema: Schema): UniqueIndexInfo[] {
  return schema
    .indexes()
    .filter(([, options]) => (options as { unique?: unknown }).unique === true)
    .map(([key, options]) => ({
      name:
        typeof (options as { name?: unknown }).name === 'string'
          ? (options as { name: string }).name
          : Object.entries(key)
              .map(([k, v]) => `${k}_${String(v)}`)
              .join('_'),
      fields: Object.keys(key),
    }));
}

/**
 * FerretDB v1 (SQLite) reports a unique violation of an update as InternalError 1 with SQLite's
 * text, naming its own index `<collection>_<hash>_<index name>`: the declared index it ends with
 * names the fields.
 */
function sqliteUniqueFields(err: unknown, declared: readonly UniqueIndexInfo[]): string[] | undefined {
  const message = err instanceof Error ? err.message : '';
  const index = /UNIQUE constraint failed: index '([^']+)'/.exec(message)?.[1];
  if (index === undefined) return undefined;
  const match = declared.find((i) => index.endsWith(`_${i.name}`));
  return match === undefined ? [] : [...match.fields];
}

/** @internal Maps duplicate-key errors of every write path to a ConflictError naming the fields. */
export function installConflictMapping(schema: Schema): void {
  const toConflict = (operation: string, target: string) => (err: unknown) => {
    if (err instanceof DbkitError) throw err;
    const declared = uniqueIndexes(schema);
    if (isDuplicateKey(err)) throw duplicateKeyError(err, { operation, target, uniqueIndexes: declared });
    const fields = sqliteUniqueFields(err, declared);
    if (fields !== undefined) throw duplicateKeyError(err, { operation, target }, fields);
    throw err;
  };
  hooksOf(schema).post(
    'save',
    { errorHandler: true },
    function (this: { constructor: { modelName?: string } }, err: unknown) {
      toConflict('save', this.constructor.modelName ?? 'document')(err);
    },
  );
  hooksOf(schema).post(
    'insertMany',
    { errorHandler: true },
    function (this: { modelName?: string }, err: unknown) {
      toConflict('insertMany', this.modelName ?? 'model')(err);
    },
  );
  hooksOf(schema).post(
    WRITES_THAT_CONFLICT,
    { errorHandler: true, document: false, query: true },
    function (this: AnyQuery, err: unknown) {
      toConflict(this.op ?? 'update', this.model.modelName)(err);
    },
  );
}
