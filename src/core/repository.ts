// The small, typed repository contract every engine module implements; engine power stays beside it.

/** One page of results and the cursor for the next, `null` on the last page. */
export interface Page<T> {
  items: T[];
  /** Opaque, signed, query-bound token for the next page; `null` when there is none. */
  cursor: string | null;
}

/** Options for a cursor-paginated list. */
export interface ListOptions {
  /** Page size; engines cap it (default 25, max 1000). */
  limit?: number | undefined;
  /** A cursor from a previous page of the same query (`req.query.cursor` as it comes: absent is the first page). */
  cursor?: string | null | undefined;
}

/** Options for a write that may be guarded by an optimistic lock. */
export interface VersionedWriteOptions {
  /** The version the caller read; the write fails with VersionConflictError if it has moved on. */
  expectedVersion?: number | undefined;
}

/**
 * The key-based contract: create / get / update / delete and a cursor-paginated list. Each engine
 * module implements it over its own model (DynamoDB entity, Mongo collection, Prisma model) and
 * offers its engine-specific operations beside it.
 *
 * - `create` throws ConflictError when the key (or a unique field) exists.
 * - `get` returns `null` when nothing is there; `update` and `delete` throw NotFoundError.
 * - With `expectedVersion`, `update` and `delete` throw VersionConflictError on a lost race.
 *
 * @example
 * ```ts
 * async function rename(repo: Repository<User, { id: string }, NewUser, Partial<User>>, id: string) {
 *   const user = await repo.get({ id })
 *   if (user) await repo.update({ id }, { name: 'Ada' }, { expectedVersion: user.version })
 * }
 * ```
 */
export interface Repository<T, Key, CreateInput, Patch, ListQuery = Record<string, never>> {
  create(input: CreateInput): Promise<T>;
  get(key: Key): Promise<T | null>;
  update(key: Key, patch: Patch, options?: VersionedWriteOptions): Promise<T>;
  delete(key: Key, options?: VersionedWriteOptions): Promise<void>;
  list(query: ListQuery, options?: ListOptions): Promise<Page<T>>;
}

/** Default and maximum page sizes shared by every engine. */
export const pageLimits = { default: 25, max: 1000 } as const;

/**
 * Clamps a requested page size into [1, max], defaulting when absent.
 *
 * @example
 * ```ts
 * pageSize(undefined) // 25
 * pageSize(5000)      // 1000
 * ```
 */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return pageLimits.default;
  return Math.min(pageLimits.max, Math.max(1, Math.floor(limit)));
}
