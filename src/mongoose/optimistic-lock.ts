// Optimistic locking on every update path: `expectedVersion` matches and bumps the version key, or a typed miss.
import type { ErrorCode } from '../core/error-codes.js';
import type { Query, Schema } from 'mongoose';
import type { Document } from 'mongodb';
import { NotFoundError, UnsupportedError, ValidationError, VersionConflictError } from '../core/errors.js';
import { hooksOf, skipGuard } from './hooks.js';
import { capabilitiesOf } from './state.js';

/**
 * The option every update path accepts once the plugin is applied.
 *
 * @example
 * ```ts
 * await UserModel.findOneAndUpdate({ _id: id }, { $set: { name } }, { expectedVersion: body.__v })
 * ```
 */
export interface VersionedQueryOptions {
  /**
   * The version (`__v`, or the schema's `versionKey`) the caller read. The update applies only at
   * that version and bumps it; otherwise it throws VersionConflictError, or NotFoundError when
   * nothing matches the filter at all.
   */
  expectedVersion?: number | undefined;
}

/**
 * What {@link expectVersion} returns: query options Mongoose's types accept on every update path.
 *
 * @example
 * ```ts
 * await UserModel.updateOne({ _id: id }, { $set: { name } }, expectVersion(3))
 * ```
 */
export interface ExpectedVersionOptions {
  readonly expectedVersion: number;
  /** Optimistic locking and upsert do not mix: an upsert at a stale version would insert a copy. */
  readonly upsert?: false;
}

/**
 * Query options for an update at `version`: `Model.updateOne(filter, update, expectVersion(3))`.
 * Mongoose's option types list only its own keys, so a literal `{ expectedVersion }` does not
 * compile on updateOne / updateMany / replaceOne; this helper types it (`findOneAndUpdate` accepts
 * the literal too). Pass more options in `extra`.
 *
 * @example
 * ```ts
 * await UserModel.updateOne({ _id: id }, { name: 'Ada' }, expectVersion(user.__v))
 * await UserModel.findOneAndUpdate({ _id: id }, { name: 'Ada' }, expectVersion(3, { new: true }))
 * ```
 */
export function expectVersion<E extends object = ExpectedVersionOptions>(
  version: number,
  extra?: E,
): ExpectedVersionOptions & E {
  return { ...(extra ?? ({} as E)), expectedVersion: version };
}

const LOCKED = ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne'] as const;

type AnyQuery = Query<unknown, unknown> & { op?: string };

interface Pending {
  readonly filter: Document;
  readonly expected: number;
  readonly versionKey: string;
}

const pending = new WeakMap<object, Pending>();

function invalid(message: string, code: ErrorCode, target: string): ValidationError {
  return new ValidationError([{ path: ['expectedVersion'], message, code }], {
    code,
    engine: 'mongodb',
    operation: 'update',
    target,
  });
}

function withVersionBump(update: Document, versionKey: string): Document {
  // Mongoose reads top-level fields as $set; the caller may not set the version itself.
  const without = (doc: Document): Document =>
    Object.fromEntries(Object.entries(doc).filter(([key]) => key !== versionKey));
  const next = without(update);
  if (typeof next.$set === 'object' && next.$set !== null) next.$set = without(next.$set as Document);
  next.$inc = { ...((next.$inc as Document | undefined) ?? {}), [versionKey]: 1 };
  return next;
}

/**
 * @internal Installs optimistic locking on updateOne / updateMany / findOneAndUpdate / replaceOne:
 * with `expectedVersion` the filter also matches the version and the update bumps it, atomically
 * in one server-side update. Refused on deployments whose updates are not atomic (FerretDB v1).
 */
export function installOptimisticLocking(schema: Schema): void {
  hooksOf(schema).pre(LOCKED, { document: false, query: true }, async function (this: AnyQuery) {
    const expected = (this.getOptions() as VersionedQueryOptions).expectedVersion;
    if (expected === undefined) return;
    const target = this.model.modelName;
    if (!Number.isSafeInteger(expected) || expected < 0)
      throw invalid('expectedVersion must be a non-negative integer', 'version.invalid', target);
    const versionKey = this.model.schema.get('versionKey');
    if (typeof versionKey !== 'string')
      throw invalid('the schema has no version key (versionKey: false)', 'version.notVersioned', target);
    if (this.getOptions().upsert === true)
      throw invalid('expectedVersion cannot be combined with upsert', 'version.upsert', target);
    const caps = await capabilitiesOf(this.model.db);
    if (!caps.atomicUpdates) {
      throw new UnsupportedError(
        `optimistic locking needs atomic conditional updates, but ${caps.flavor} ${caps.version} applies them as read-then-write, so two writers could both win one version; use MongoDB for versioned writes`,
        {
          feature: 'atomicUpdates',
          engine: 'mongodb',
          operation: this.op ?? 'update',
          target,
          code: 'unsupported.atomicUpdates',
        },
      );
    }
    const filter = { ...this.getFilter() } as Document;
    pending.set(this, { filter, expected, versionKey });
    this.setQuery({ ...filter, [versionKey]: expected });
    const update = (this.getUpdate() ?? {}) as Document;
    if (this.op === 'replaceOne') this.setUpdate({ ...update, [versionKey]: expected + 1 });
    else this.setUpdate(withVersionBump(update, versionKey));
  });
  hooksOf(schema).post(
    LOCKED,
    { document: false, query: true },
    async function (this: AnyQuery, result: unknown) {
      const lock = pending.get(this);
      if (lock === undefined) return;
      pending.delete(this);
      const matched =
        this.op === 'findOneAndUpdate'
          ? result !== null && (result as { value?: unknown }).value !== null
          : ((result as { matchedCount?: number } | null)?.matchedCount ?? 0) > 0;
      if (matched) return;
      const target = this.model.modelName;
      const current = (await skipGuard(
        this.model.findOne(lock.filter).select(lock.versionKey).lean(),
      )) as Document | null;
      if (current === null) {
        throw new NotFoundError(`no ${target} matches`, {
          engine: 'mongodb',
          operation: this.op ?? 'update',
          target,
          code: 'not_found',
        });
      }
      const actual: unknown = current[lock.versionKey];
      throw new VersionConflictError(
        `the ${target} was changed by someone else (expected version ${lock.expected})`,
        {
          engine: 'mongodb',
          operation: this.op ?? 'update',
          target,
          code: 'version_conflict',
          expectedVersion: lock.expected,
          ...(typeof actual === 'number' ? { actualVersion: actual } : {}),
        },
      );
    },
  );
}
