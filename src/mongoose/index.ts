// dbkit/mongoose: the Mongoose plugin (guard, conflicts, optimistic locking, events, paginate) and a transaction helper.
export { dbkitPlugin } from './plugin.js';
export type { DbkitStatics } from './plugin.js';
export type { DbkitPluginOptions } from './state.js';
export { paginate } from './paginate.js';
export type { PaginateOptions, MongoosePage } from './paginate.js';
export { expectVersion } from './optimistic-lock.js';
export type { VersionedQueryOptions, ExpectedVersionOptions } from './optimistic-lock.js';
export { withMongooseTransaction } from './transaction.js';
export type { MongooseTransactionOptions, MongooseTransactionContext } from './transaction.js';
