// dbkit's own bookkeeping collections (migration journal, backfill checkpoints): a repository context without a user schema.
import type { StandardSchemaV1 } from '../core/validation.js';
import type { MongoConnection } from './client-options.js';
import { defineCollection } from './collection.js';
import { createContext } from './context.js';
import type { RepoContext } from './context.js';

// dbkit writes these documents itself; there is no application schema to validate them against.
const anyDocument: StandardSchemaV1<Record<string, unknown>> = {
  '~standard': {
    version: 1,
    vendor: 'dbkit',
    validate: (value) => ({ value: value as Record<string, unknown> }),
  },
};

/**
 * @internal A context over one of dbkit's own collections, so its operations run through the
 * executor (error mapping, retries, time limit, events) like a repository's.
 *
 * @example
 * ```ts
 * const ctx = systemContext(mongo, 'dbkit_migrations')
 * ```
 */
export function systemContext(connection: MongoConnection, name: string): RepoContext {
  return createContext(connection, defineCollection({ name, schema: anyDocument, idType: 'string' }));
}
