// An isolated DynamoDB table per test file, created from the user's defineTable and entities rebound to it.
import type { DynamoClient, DynamoClientOptions } from '../../dynamo/client.js';
import type { AnyEntity, Entity, EntityInput, EntityTypes } from '../../dynamo/entity.js';
import type { Table } from '../../dynamo/table.js';
import { deleteAllItems } from './dynamo-reset.js';
import type { IsolatedContext } from './lifecycle.js';
import { isolatedName } from './names.js';
import { engineUrlFor } from './server-url.js';

/**
 * Seed items per entity, keyed like the `entities` you gave the context, each typed as that
 * entity's `create` input.
 *
 * @example
 * ```ts
 * const data: DynamoSeedData<{ User: typeof User }> = { User: [{ id: 'u1', name: 'Ada' }] };
 * ```
 */
export type DynamoSeedData<E extends Record<string, AnyEntity>> = {
  readonly [K in keyof E]?: readonly EntityInput<E[K]>[];
};

/** Options of {@link createDynamoContext}. */
export interface DynamoContextOptions<E extends Record<string, AnyEntity>> {
  /** DynamoDB (Local)'s endpoint. Default: `DYNAMODB_ENDPOINT`, else the built-in DynamoDB Local. */
  endpoint?: string | undefined;
  /** Your entities; their tables are created (renamed) and the rebound entities are in `ctx.entities`. */
  entities?: E;
  /** More tables to create, e.g. ones no entity uses yet. */
  tables?: readonly Table[];
  /** Options for the kit's `createDynamoClient` (the endpoint and local credentials are set). */
  client?: Omit<DynamoClientOptions, 'local' | 'endpoint' | 'client'>;
  /** `delete-items` (the default: scan + batch delete) or `recreate` (drop and create each table). */
  resetStrategy?: 'delete-items' | 'recreate';
}

/**
 * A DynamoDB context: a renamed copy of each table, created for this file, and your entities bound
 * to the copies. Use `ctx.entities.User` (or `ctx.entity(User)`) with `ctx.db` or your own client.
 *
 * @example
 * ```ts
 * const ctx: DynamoTestContext<{ User: typeof User }> = await createDynamoContext({ entities: { User } });
 * await ctx.db.entity(ctx.entities.User).create({ id: 'u1', name: 'Ada' });
 * ```
 */
export interface DynamoTestContext<E extends Record<string, AnyEntity>> extends IsolatedContext {
  readonly endpoint: string;
  /** A dbkit client on `endpoint`, destroyed by `drop()`. */
  readonly db: DynamoClient;
  /** Your entities, bound to this file's tables. */
  readonly entities: E;
  /** The names of the tables this context created. */
  readonly tableNames: readonly string[];
  /** This file's copy of `table` (throws for a table the context was not given). */
  table(table: Table): Table;
  /** `entity` bound to this file's copy of its table. */
  entity<T extends EntityTypes>(entity: Entity<T>): Entity<T>;
  /** Puts seed items (batched), validated by each entity's schema. */
  seed(data: DynamoSeedData<E>): Promise<void>;
}

/**
 * Creates a uniquely named copy of every table the entities (and `tables`) use, on DynamoDB Local
 * or any endpoint. `reset()` empties them, `drop()` deletes them and destroys the client. Error
 * messages of the rebound entities still name the original table.
 *
 * @example
 * ```ts
 * const ctx = await createDynamoContext({ entities: { User, Order } });
 * await ctx.seed({ User: [{ id: 'u1', name: 'Ada' }] });
 * await ctx.drop();
 * ```
 */
export async function createDynamoContext<
  // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type -- no entities is the empty map
  const E extends Record<string, AnyEntity> = Record<never, AnyEntity>,
>(options: DynamoContextOptions<E> = {}): Promise<DynamoTestContext<E>> {
  const endpoint = await engineUrlFor('dynamodb', options.endpoint ?? process.env['DYNAMODB_ENDPOINT']);
  const [{ createDynamoClient }, { batchPut }] = await Promise.all([
    import('../../dynamo/client.js'),
    import('../../dynamo/batch-write.js'),
  ]);
  const db = createDynamoClient({ ...options.client, local: endpoint });
  const originals = new Map<string, Table>();
  for (const t of [...(options.tables ?? []), ...Object.values(options.entities ?? {}).map((e) => e.table)])
    originals.set(t.name, t);
  const copies = new Map<string, Table>();
  for (const [name, t] of originals) copies.set(name, Object.freeze({ ...t, name: isolatedName(name) }));
  const table = (t: Table): Table => {
    const copy = copies.get(t.name);
    if (copy === undefined) throw new TypeError(`dbkit: table ${t.name} is not part of this test context`);
    return copy;
  };
  const entity = <T extends EntityTypes>(e: Entity<T>): Entity<T> =>
    Object.freeze({ ...e, table: table(e.table) });
  const entities = Object.fromEntries(
    Object.entries(options.entities ?? {}).map(([k, e]) => [k, entity(e)]),
  ) as unknown as E;
  const created: Table[] = [];
  const dropAll = async (): Promise<void> => {
    await Promise.all(created.map((t) => db.deleteTable(t)));
  };
  try {
    for (const copy of copies.values()) {
      await db.ensureTable(copy);
      created.push(copy);
    }
  } catch (err) {
    await dropAll().catch(() => undefined);
    db.destroy();
    throw err;
  }
  let dropped = false;
  return {
    endpoint,
    db,
    entities,
    tableNames: created.map((t) => t.name),
    table,
    entity,
    async reset() {
      if (options.resetStrategy === 'recreate') {
        await dropAll();
        for (const t of created) await db.ensureTable(t);
        return;
      }
      await Promise.all(created.map((t) => deleteAllItems(db.document, t)));
    },
    async seed(data) {
      const requests = Object.entries(
        data as Record<string, readonly Record<string, unknown>[] | undefined>,
      ).flatMap(([name, rows]) => {
        const e = (entities as Record<string, AnyEntity | undefined>)[name];
        if (e === undefined) throw new TypeError(`dbkit: seed: no entity "${name}" in this test context`);
        return (rows ?? []).map((row) => batchPut(e, row));
      });
      if (requests.length > 0) await db.batchWrite(requests);
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await dropAll();
      } finally {
        db.destroy();
      }
    },
  };
}
