// dbkitPlugin: the injection guard, E11000 as ConflictError, optimistic locking, events and paginate on a Mongoose schema.
import type { Schema } from 'mongoose';
import { installConflictMapping } from './conflicts.js';
import { installGuard } from './hooks.js';
import { installInstrumentation } from './instrumentation.js';
import { installOptimisticLocking } from './optimistic-lock.js';
import { paginate } from './paginate.js';
import type { MongoosePage, PaginateOptions } from './paginate.js';
import { attachState } from './state.js';
import type { DbkitPluginOptions } from './state.js';

/**
 * The static the plugin adds to every model: `Model.paginate(filter, options)`.
 *
 * @example
 * ```ts
 * const Users = mongoose.model('User', userSchema) as mongoose.Model<User> & DbkitStatics<User>
 * const page = await Users.paginate({ role: 'admin' }, { limit: 20 })
 * ```
 */
export interface DbkitStatics<T> {
  paginate(filter: unknown, options?: PaginateOptions): Promise<MongoosePage<T>>;
}

/**
 * The dbkit plugin for Mongoose. Applied to a schema (or globally with `mongoose.plugin`), every
 * model built from it gets:
 * - the injection guard on every query path (find*, count*, update*, delete*, replaceOne, `where()`
 *   chains, populate `match`, aggregate `$match`): request values holding operators are refused
 *   with ValidationError; operators written in code pass with `mongoose.trusted()` or dbkit's `op`;
 * - duplicate keys (E11000) as ConflictError naming the fields, on save, create, insertMany and
 *   update / upsert paths;
 * - optimistic locking on updateOne / updateMany / findOneAndUpdate / replaceOne with
 *   `{ expectedVersion }`: VersionConflictError or NotFoundError on a miss;
 * - dbkit operation events and the slow-operation log;
 * - `Model.paginate(filter, { sort, limit, cursor })` with signed, query-bound cursors.
 *
 * @example
 * ```ts
 * import mongoose from 'mongoose'
 * import { connectMongo } from 'dbkit/mongo'
 * import { dbkitPlugin } from 'dbkit/mongoose'
 *
 * await mongoose.connect(process.env.MONGODB_URI!)
 * const dbkit = await connectMongo({ client: mongoose.connection.getClient() })
 * userSchema.plugin(dbkitPlugin, { connection: dbkit })
 * ```
 */
export function dbkitPlugin(schema: Schema, options: DbkitPluginOptions = {}): void {
  const state = attachState(schema, options);
  installGuard(schema, state);
  installOptimisticLocking(schema);
  // Conflict mapping before instrumentation, so a failed event carries the ConflictError.
  installConflictMapping(schema);
  installInstrumentation(schema, state);
  schema.static(
    'paginate',
    function (this: Parameters<typeof paginate>[0], filter: unknown, opts?: PaginateOptions) {
      return paginate(this, filter, opts);
    },
  );
}
