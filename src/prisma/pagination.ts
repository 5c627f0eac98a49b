// Keyset pagination over a unique, ordered key with core's signed cursors: a plain `where` on the key, never offset.
import { ValidationError, pageSize } from '../core/internal.js';
import type { CursorCodec, Page } from '../core/internal.js';

/**
 * A sort direction.
 *
 * @example
 * ```ts
 * const direction: SortDirection = 'desc'
 * ```
 */
export type SortDirection = 'asc' | 'desc';

/**
 * The key to page over, Prisma's `orderBy` list form: `[{ createdAt: 'desc' }, { id: 'desc' }]`. Its
 * fields together must be unique (end with the id) and non-null.
 *
 * @example
 * ```ts
 * const order: KeysetOrder = [{ createdAt: 'desc' }, { id: 'desc' }]
 * ```
 */
export type KeysetOrder<F extends string = string> = readonly Readonly<Partial<Record<F, SortDirection>>>[];

/** Arguments of a keyset page. */
export interface PaginateArgs<F extends string = string> {
  where?: object | undefined;
  orderBy: KeysetOrder<F>;
  /** Page size, clamped by core's `pageSize` (default 25, max 1000). */
  limit?: number | undefined;
  /** The `cursor` of the previous page; absent, `undefined` or `null` for the first page. */
  cursor?: string | null | undefined;
  /** Passed to `findMany`; the key fields are added to a `select` so the next cursor can be made. */
  select?: Record<string, unknown> | undefined;
  include?: Record<string, unknown> | undefined;
}

/** The part of a Prisma model delegate pagination needs. */
export interface FindManyDelegate {
  findMany(args: Record<string, unknown>): PromiseLike<unknown[]>;
}

type KeyValue = string | number | boolean | { $d: string } | { $b: string };

interface Key {
  field: string;
  direction: SortDirection;
}

function keysOf(orderBy: KeysetOrder): Key[] {
  const keys = orderBy.flatMap((entry) =>
    Object.entries(entry).map(([field, direction]) => ({ field, direction: String(direction) })),
  );
  if (keys.length === 0 || keys.some((k) => k.direction !== 'asc' && k.direction !== 'desc')) {
    throw new ValidationError(
      [{ path: ['orderBy'], message: 'orderBy must name at least one field, each asc or desc' }],
      {
        code: 'pagination.invalidOrder',
      },
    );
  }
  return keys as Key[];
}

function encodeValue(value: unknown, field: string): KeyValue {
  if (value instanceof Date) return { $d: value.toISOString() };
  if (typeof value === 'bigint') return { $b: value.toString() };
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new ValidationError([{ path: [field], message: `keyset field ${field} must be a non-null scalar` }], {
    code: 'pagination.unsupportedKey',
  });
}

function decodeValue(value: unknown): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if (typeof v['$d'] === 'string' && !Number.isNaN(Date.parse(v['$d']))) return new Date(v['$d']);
    if (typeof v['$b'] === 'string' && /^-?\d+$/.test(v['$b'])) return BigInt(v['$b']);
  }
  throw new ValidationError(
    [{ path: ['cursor'], message: 'The pagination cursor is malformed.', code: 'cursor.malformed' }],
    {
      code: 'cursor.malformed',
      message: 'The pagination cursor is malformed.',
    },
  );
}

/**
 * The `where` that selects rows strictly after `values` in the key order:
 * `(k1 > v1) OR (k1 = v1 AND k2 > v2) …`, with `<` for descending fields.
 *
 * @example
 * ```ts
 * keysetWhere([{ createdAt: 'asc' }, { id: 'asc' }], [date, 'u1'])
 * // { OR: [{ createdAt: { gt: date } }, { createdAt: date, id: { gt: 'u1' } }] }
 * ```
 */
export function keysetWhere(orderBy: KeysetOrder, values: readonly unknown[]): Record<string, unknown> {
  const keys = keysOf(orderBy);
  const or = keys.map((key, i) => {
    const clause: Record<string, unknown> = {};
    for (const prior of keys.slice(0, i)) clause[prior.field] = values[keys.indexOf(prior)];
    clause[key.field] = { [key.direction === 'asc' ? 'gt' : 'lt']: values[i] };
    return clause;
  });
  return { OR: or };
}

/**
 * Fetches one page with a plain `where` on the key (so deep pages cost the same as the first and a
 * deleted cursor row does no harm) and returns the next cursor, sealed by the core codec and bound
 * to the model, filter and order: a cursor from another query is refused.
 *
 * @example
 * ```ts
 * const page = await paginate(prisma.post, { where: { published: true }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: 50 }, { model: 'Post', codec })
 * const next = await paginate(prisma.post, { ...sameArgs, cursor: page.cursor }, { model: 'Post', codec })
 * ```
 */
export async function paginate<T>(
  delegate: FindManyDelegate,
  args: PaginateArgs,
  options: { model: string; codec: CursorCodec },
): Promise<Page<T>> {
  const keys = keysOf(args.orderBy);
  const limit = pageSize(args.limit);
  const binding = { source: options.model, filter: args.where ?? null, sort: keys };
  let where: object | undefined = args.where;
  if (args.cursor !== undefined && args.cursor !== null) {
    const position = options.codec.decode(args.cursor, binding);
    if (!Array.isArray(position) || position.length !== keys.length) {
      throw new ValidationError(
        [{ path: ['cursor'], message: 'The pagination cursor is malformed.', code: 'cursor.malformed' }],
        {
          code: 'cursor.malformed',
        },
      );
    }
    const after = keysetWhere(args.orderBy, position.map(decodeValue));
    where = where === undefined ? after : { AND: [where, after] };
  }
  const select =
    args.select === undefined
      ? undefined
      : { ...args.select, ...Object.fromEntries(keys.map((k) => [k.field, true])) };
  const rows = (await delegate.findMany({
    ...(where === undefined ? {} : { where }),
    orderBy: keys.map((k) => ({ [k.field]: k.direction })),
    take: limit + 1,
    ...(select === undefined ? {} : { select }),
    ...(args.include === undefined ? {} : { include: args.include }),
  })) as Record<string, unknown>[];
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const cursor =
    rows.length > limit && last !== undefined
      ? options.codec.encode(
          keys.map((k) => encodeValue(last[k.field], k.field)),
          binding,
        )
      : null;
  return { items: items as T[], cursor };
}
