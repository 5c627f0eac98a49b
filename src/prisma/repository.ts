// The core Repository contract over one Prisma model delegate: key-based CRUD, versioned writes, keyset pages.
import type { CursorCodec, ListOptions, Page, Repository, VersionedWriteOptions } from '../core/internal.js';
import { mapPrismaError, prismaErrorFacts } from './errors.js';
import { updateVersioned, deleteVersioned } from './optimistic-lock.js';
import type { VersionedDelegate } from './optimistic-lock.js';
import { paginate } from './pagination.js';
import type { FindManyDelegate, KeysetOrder } from './pagination.js';

/**
 * The model delegate methods the repository calls (`prisma.user` satisfies it).
 *
 * @example
 * ```ts
 * const delegate: RepositoryDelegate = prisma.user
 * ```
 */
export interface RepositoryDelegate extends VersionedDelegate, FindManyDelegate {
  create(args: { data: object }): PromiseLike<unknown>;
}

/**
 * Options of {@link prismaRepository}.
 *
 * @example
 * ```ts
 * const options: PrismaRepositoryOptions<{ id: string }, { role?: Role }> = { model: 'User', where: (k) => ({ id: k.id }), cursors }
 * ```
 */
export interface PrismaRepositoryOptions<K, Q> {
  /** The model's name, for errors and cursor binding. */
  model: string;
  /** The unique `where` for a key, e.g. `(k) => ({ id: k.id })`. */
  where: (key: K) => object;
  /** Keyset order for `list`; it must end in a unique column. Default `[{ id: 'asc' }]`. */
  orderBy?: KeysetOrder;
  /** The `where` for a list query. Default: the query itself. */
  filter?: (query: Q) => object;
  /** Seals `list` cursors. */
  cursors: CursorCodec;
  /** The optimistic-locking column. Default `version`. */
  versionField?: string;
}

// A delegate of a client extended with dbkitExtension throws refined errors already; a bare
// delegate's "record not found" (P2025) is refined by errors.ts, anything else passes as thrown.
function notFoundRefined(err: unknown, model: string, operation: string): unknown {
  if (prismaErrorFacts(err).prismaCode !== 'P2025') return err;
  return mapPrismaError(err, { model, operation });
}

/**
 * Wraps a Prisma model delegate in core's Repository contract, so code written against the
 * contract (and the conformance suite) runs on PostgreSQL and PGlite as on the other engines.
 * `create` is a plain insert (a unique violation is the extension's ConflictError); `update` and
 * `delete` take `expectedVersion`; `list` is a keyset page with a signed cursor. Use the delegate
 * itself for relations, `include` and everything else Prisma does.
 *
 * @example
 * ```ts
 * const users = prismaRepository<User, { id: string }, Prisma.UserCreateInput, Prisma.UserUpdateInput, { role?: Role }>(
 *   prisma.user, { model: 'User', where: (k) => ({ id: k.id }), cursors: createCursorCodec() })
 * const page = await users.list({ role: 'ADMIN' }, { limit: 20 })
 * ```
 */
export function prismaRepository<
  T,
  K,
  C extends object,
  P extends object,
  Q extends object = Record<string, never>,
>(delegate: RepositoryDelegate, options: PrismaRepositoryOptions<K, Q>): Repository<T, K, C, P, Q> {
  const ctx = {
    model: options.model,
    ...(options.versionField ? { versionField: options.versionField } : {}),
  };
  const orderBy = options.orderBy ?? [{ id: 'asc' }];
  return {
    async create(input: C): Promise<T> {
      return (await delegate.create({ data: input })) as T;
    },
    async get(key: K): Promise<T | null> {
      return (await delegate.findUnique({ where: options.where(key) })) as T | null;
    },
    async update(key: K, patch: P, write: VersionedWriteOptions = {}): Promise<T> {
      const where = options.where(key);
      if (write.expectedVersion !== undefined) {
        return updateVersioned<T>(
          delegate,
          { where, data: patch, expectedVersion: write.expectedVersion },
          ctx,
        );
      }
      try {
        return (await delegate.update({ where, data: patch })) as T;
      } catch (err) {
        throw notFoundRefined(err, options.model, 'update');
      }
    },
    async delete(key: K, write: VersionedWriteOptions = {}): Promise<void> {
      const where = options.where(key);
      if (write.expectedVersion !== undefined) {
        await deleteVersioned(delegate, { where, expectedVersion: write.expectedVersion }, ctx);
        return;
      }
      try {
        await delegate.delete({ where });
      } catch (err) {
        throw notFoundRefined(err, options.model, 'delete');
      }
    },
    async list(query: Q, list: ListOptions = {}): Promise<Page<T>> {
      const where = options.filter ? options.filter(query) : query;
      return paginate<T>(
        delegate,
        {
          where,
          orderBy,
          ...(list.limit === undefined ? {} : { limit: list.limit }),
          cursor: list.cursor ?? null,
        },
        { model: options.model, codec: options.cursors },
      );
    },
  };
}
