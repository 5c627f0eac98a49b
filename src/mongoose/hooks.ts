// Mongoose middleware plumbing and the injection guard on every query path and aggregate `$match`.
import type { Aggregate, Query, Schema } from 'mongoose';
import { guardMongooseFilter, guardMongoosePipeline } from './filter-guard.js';
import type { PluginState } from './state.js';

/** Query operations whose filter the guard checks. */
export const GUARDED_QUERIES = [
  'countDocuments',
  'deleteMany',
  'deleteOne',
  'distinct',
  'find',
  'findOne',
  'findOneAndDelete',
  'findOneAndReplace',
  'findOneAndUpdate',
  'replaceOne',
  'updateMany',
  'updateOne',
] as const;

// Queries dbkit builds itself (paginate's keyset, the version-miss lookup) skip the guard: their
// operators come from dbkit, and their input was guarded before.
const unguarded = new WeakSet<object>();

/** @internal Marks a query built by dbkit from already-guarded input. */
export function skipGuard<Q extends object>(query: Q): Q {
  unguarded.add(query);
  return query;
}

/** @internal A Mongoose query as the middleware sees it. */
export type AnyQuery = Query<unknown, unknown> & { op?: string };

interface HookOptions {
  document?: boolean;
  query?: boolean;
  errorHandler?: boolean;
}

/** Mongoose's middleware registry, typed loosely: its overloads do not cover lists with options. */
interface HookRegistry {
  pre(
    names: string | readonly string[],
    options: HookOptions,
    fn: (this: never, ...args: never[]) => unknown,
  ): unknown;
  post(
    names: string | readonly string[],
    options: HookOptions,
    fn: (this: never, ...args: never[]) => unknown,
  ): unknown;
}

/** @internal The schema's middleware registry. */
export function hooksOf(schema: Schema): HookRegistry {
  return schema as unknown as HookRegistry;
}

/** @internal Installs the guard on every query path and on aggregate `$match` stages. */
export function installGuard(schema: Schema, state: PluginState): void {
  hooksOf(schema).pre(GUARDED_QUERIES, { document: false, query: true }, function (this: AnyQuery) {
    if (unguarded.has(this)) return;
    const target = this.model.modelName;
    this.setQuery(
      guardMongooseFilter(this.getFilter(), {
        schema: this.model.schema,
        target,
        searchable: state.searchable,
      }),
    );
  });
  hooksOf(schema).pre('aggregate', {}, function (this: Aggregate<unknown>) {
    guardMongoosePipeline(this.pipeline(), {
      schema,
      target: this.model().modelName,
      searchable: state.searchable,
    });
  });
}
