// Seed data typed from the user's Prisma Client, inserted with createMany parents first in the catalog's foreign-key order.
import type { SqlTestContext } from './sql-context.js';
import { orderKeys } from './sql-seed.js';

type RowOf<X> = X extends readonly (infer R)[] ? R : X;

/**
 * The row type `createMany` takes on a Prisma model delegate (`prisma.user`).
 *
 * @example
 * ```ts
 * type UserRow = CreateManyRow<PrismaClient['user']>; // Prisma.UserCreateManyInput
 * ```
 */
export type CreateManyRow<D> = D extends { createMany: (args: infer A) => unknown }
  ? NonNullable<A> extends { data: infer X }
    ? RowOf<X>
    : never
  : never;

/** The model delegates of a Prisma Client: its keys that have `createMany`, without `$`-methods. */
export type PrismaModelName<P> = {
  [K in keyof P]: K extends `$${string}` ? never : P[K] extends { createMany: unknown } ? K : never;
}[keyof P] &
  string;

/**
 * Rows per model, keyed like the client's delegates (`user`, `post`), each typed as that model's
 * `createMany` input: a typo in a model or a field is a compile error.
 *
 * @example
 * ```ts
 * const data: PrismaSeedData<PrismaClient> = { user: [{ id: 'u1', name: 'Ada', email: 'ada@example.com' }] };
 * ```
 */
export type PrismaSeedData<P> = { readonly [K in PrismaModelName<P>]?: readonly CreateManyRow<P[K]>[] };

/** Options of {@link seedPrisma}. */
export interface SeedPrismaOptions {
  /** Table of a delegate when neither Prisma's data model nor a case-insensitive match finds it. */
  tables?: Readonly<Record<string, string>>;
}

interface RuntimeDataModel {
  _runtimeDataModel?: { models?: Record<string, { dbName?: string | null } | undefined> };
}

/** Delegate name -> table name, from the client's runtime data model (which knows `@@map`). */
function tablesFromClient(prisma: unknown): Map<string, string> {
  const models = (prisma as RuntimeDataModel)._runtimeDataModel?.models ?? {};
  const out = new Map<string, string>();
  for (const [model, info] of Object.entries(models)) {
    out.set(`${model.charAt(0).toLowerCase()}${model.slice(1)}`, info?.dbName ?? model);
  }
  return out;
}

/**
 * Inserts seed rows through your Prisma Client (`createMany` per model), models whose tables are
 * referenced first, as the isolated database's foreign keys say, whatever the object's key order.
 *
 * @example
 * ```ts
 * await seedPrisma(ctx, prisma, {
 *   post: [{ id: 'p1', authorId: 'u1', title: 'Hello' }],
 *   user: [{ id: 'u1', name: 'Ada', email: 'ada@example.com' }],
 * });
 * ```
 */
export async function seedPrisma<P extends object>(
  ctx: SqlTestContext,
  prisma: P,
  data: PrismaSeedData<P>,
  options: SeedPrismaOptions = {},
): Promise<void> {
  const graph = await ctx.tables();
  const fromClient = tablesFromClient(prisma);
  const byLower = new Map(graph.tables.map((t) => [t.toLowerCase(), t]));
  const tableOf = new Map<string, string>();
  for (const model of Object.keys(data)) {
    const table = options.tables?.[model] ?? fromClient.get(model) ?? byLower.get(model.toLowerCase());
    if (table === undefined) {
      throw new TypeError(`dbkit: seedPrisma: no table for model "${model}"; name it in options.tables`);
    }
    tableOf.set(table, model);
  }
  for (const table of orderKeys([...tableOf.keys()], graph.insertOrder)) {
    const model = tableOf.get(table) as string;
    const rows = (data as Record<string, readonly unknown[] | undefined>)[model] ?? [];
    if (rows.length === 0) continue;
    const delegate = (prisma as Record<string, { createMany(args: { data: unknown }): Promise<unknown> }>)[
      model
    ];
    if (delegate === undefined) throw new TypeError(`dbkit: seedPrisma: the client has no model "${model}"`);
    await delegate.createMany({ data: rows });
  }
}
