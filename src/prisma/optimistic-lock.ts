// Optimistic locking on a `version` column: a write names the version it read, bumps it, and tells a lost race from a missing row.
import { NotFoundError, VersionConflictError, isDbkitError } from '../core/internal.js';
import type { PrismaEngine } from './errors.js';
import { prismaErrorFacts } from './errors.js';

/** The part of a Prisma model delegate a versioned write needs. */
export interface VersionedDelegate {
  update(args: Record<string, unknown>): PromiseLike<unknown>;
  delete(args: Record<string, unknown>): PromiseLike<unknown>;
  findUnique(args: Record<string, unknown>): PromiseLike<unknown>;
}

/** Arguments of a versioned update: Prisma's `update` arguments plus the version the caller read. */
export interface VersionedUpdateArgs {
  where: object;
  data: object;
  expectedVersion: number;
  select?: object;
  include?: object;
}

/** Arguments of a versioned delete. */
export interface VersionedDeleteArgs {
  where: object;
  expectedVersion: number;
}

/** Which model and column. */
export interface VersionedContext {
  model: string;
  engine?: PrismaEngine;
  /** The version column. Default `version`. */
  versionField?: string;
}

function isNotFound(err: unknown): boolean {
  return isDbkitError(err, 'not_found') || prismaErrorFacts(err).prismaCode === 'P2025';
}

async function explain(
  delegate: VersionedDelegate,
  where: object,
  expected: number,
  ctx: VersionedContext,
  operation: string,
  cause: unknown,
): Promise<Error> {
  const field = ctx.versionField ?? 'version';
  const current = (await delegate.findUnique({ where, select: { [field]: true } })) as Record<
    string,
    unknown
  > | null;
  const base = {
    model: ctx.model,
    operation,
    target: ctx.model,
    cause,
    ...(ctx.engine ? { engine: ctx.engine } : {}),
  };
  if (current === null) {
    return new NotFoundError(`${operation} on ${ctx.model}: the record does not exist`, base);
  }
  const actual = current[field];
  return new VersionConflictError(
    `${operation} on ${ctx.model}: expected version ${expected}, found ${String(actual)}; reload and retry`,
    {
      ...base,
      code: 'version_conflict',
      expectedVersion: expected,
      ...(typeof actual === 'number' ? { actualVersion: actual } : {}),
    },
  );
}

/**
 * Updates the record only if it is still at `expectedVersion`, incrementing the version in the same
 * statement. Throws VersionConflictError (with the version found) when another writer got there first,
 * NotFoundError when the record is gone.
 *
 * @example
 * ```ts
 * const user = await prisma.user.findUniqueOrThrow({ where: { id } })
 * await updateVersioned(prisma.user, { where: { id }, data: { name: 'Ada' }, expectedVersion: user.version }, { model: 'User' })
 * ```
 */
export async function updateVersioned<T = unknown>(
  delegate: VersionedDelegate,
  args: VersionedUpdateArgs,
  ctx: VersionedContext,
): Promise<T> {
  const field = ctx.versionField ?? 'version';
  const { where, data, expectedVersion, ...rest } = args;
  try {
    return (await delegate.update({
      ...rest,
      where: { ...where, [field]: expectedVersion },
      data: { ...data, [field]: { increment: 1 } },
    })) as T;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw await explain(delegate, where, expectedVersion, ctx, 'updateVersioned', err);
  }
}

/**
 * Deletes the record only if it is still at `expectedVersion`; the same errors as {@link updateVersioned}.
 *
 * @example
 * ```ts
 * await deleteVersioned(prisma.user, { where: { id }, expectedVersion: 3 }, { model: 'User' })
 * ```
 */
export async function deleteVersioned(
  delegate: VersionedDelegate,
  args: VersionedDeleteArgs,
  ctx: VersionedContext,
): Promise<void> {
  const field = ctx.versionField ?? 'version';
  try {
    await delegate.delete({ where: { ...args.where, [field]: args.expectedVersion } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw await explain(delegate, args.where, args.expectedVersion, ctx, 'deleteVersioned', err);
  }
}
