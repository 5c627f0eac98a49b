// Several entities sharing a partition, read in one Query and returned grouped by entity: the single-table payoff.
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { pageSize } from '../core/internal.js';
import type { CursorBinding } from '../core/internal.js';
import type { AnyEntity, EntityItem } from './entity.js';
import { ExpressionContext } from './expressions.js';
import { sendQuery } from './query.js';
import type { BuiltQuery } from './query.js';
import type { CallOptions } from '../core/internal.js';
import type { Runtime } from './runtime.js';

/**
 * One page of a collection query: items grouped by the collection's keys, and the next cursor.
 *
 * @example
 * ```ts
 * const page: CollectionPage<{ user: typeof User; posts: typeof Post }> = await db.collection({ user: User, posts: Post }).query({ via: 'user', partition: { id: '1' } })
 * ```
 */
export interface CollectionPage<M extends Record<string, AnyEntity>> {
  items: { [K in keyof M]: EntityItem<M[K]>[] };
  cursor: string | null;
}

/**
 * Input of a collection query: the partition, given through one member entity's partition template.
 *
 * @example
 * ```ts
 * await db.collection({ user: User, posts: Post }).query({ via: 'user', partition: { id: '1' }, limit: 50, cursor: req.query.cursor })
 * ```
 */
export interface CollectionQueryInput<M extends Record<string, AnyEntity>, N extends keyof M & string> {
  /** Which entity's partition-key template builds the partition value. */
  via: N;
  partition: M[N]['~types']['partition'];
  order?: 'asc' | 'desc' | undefined;
  limit?: number | undefined;
  cursor?: string | null | undefined;
}

/**
 * Builds the Query for a whole partition (every entity in it).
 *
 * @example
 * ```ts
 * collectionParams({ users: User, posts: Post }, { via: 'users', partition: { id: 'u1' } })
 * ```
 */
export function collectionParams<M extends Record<string, AnyEntity>, N extends keyof M & string>(
  entities: M,
  input: CollectionQueryInput<M, N>,
): BuiltQuery {
  const via = entities[input.via];
  if (via === undefined) throw new TypeError(`dbkit: "${input.via}" is not in this collection`);
  const compiled = via.keys.primary;
  if (compiled === undefined) throw new TypeError('dbkit: entity without a primary key');
  const ctx = new ExpressionContext();
  const params: QueryCommandInput = {
    TableName: via.table.name,
    KeyConditionExpression: `${ctx.name(compiled.pkName)} = ${ctx.value(via.compose(compiled.pk, input.partition))}`,
    Limit: pageSize(input.limit),
    ...ctx.params(),
  };
  if (input.order === 'desc') params.ScanIndexForward = false;
  const binding: CursorBinding = {
    source: via.table.name,
    filter: {
      k: params.KeyConditionExpression,
      v: params.ExpressionAttributeValues,
      n: params.ExpressionAttributeNames,
      c: Object.keys(entities).sort(),
    },
    sort: input.order ?? 'asc',
  };
  return { params, binding };
}

/**
 * Queries a partition and parses each item with its own entity's schema, grouped by entity. Items
 * of entities outside the collection are skipped.
 *
 * @example
 * ```ts
 * const page = await collectionQuery(runtime, { user: User, posts: Post }, { via: 'user', partition: { id: 'u1' } })
 * page.items.user[0]; page.items.posts.length
 * ```
 */
export async function collectionQuery<M extends Record<string, AnyEntity>, N extends keyof M & string>(
  runtime: Runtime,
  entities: M,
  input: CollectionQueryInput<M, N>,
  options: CallOptions = {},
): Promise<CollectionPage<M>> {
  const built = collectionParams(entities, input);
  const { raw, cursor } = await sendQuery(runtime, built, input.cursor, options);
  const groups: Record<string, Record<string, unknown>[]> = {};
  const byName = new Map<string, [string, AnyEntity]>();
  for (const [group, entity] of Object.entries(entities)) {
    groups[group] = [];
    byName.set(entity.name, [group, entity]);
  }
  for (const item of raw) {
    const first = Object.values(entities)[0];
    const name = first === undefined ? undefined : item[first.table.entityAttribute];
    const match = typeof name === 'string' ? byName.get(name) : undefined;
    if (match === undefined) continue;
    groups[match[0]]?.push(match[1].parse(item, 'query'));
  }
  return { items: groups as CollectionPage<M>['items'], cursor };
}
