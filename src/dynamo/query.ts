// Query on the primary key or a GSI: typed partition and sort-key conditions, filter, projection, and signed, query-bound cursors.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { QueryCommandInput, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { pageSize, ValidationError } from '../core/internal.js';
import type { CursorBinding, Page } from '../core/internal.js';
import { andAll, buildCondition } from './condition-builder.js';
import type { Condition } from './condition-builder.js';
import type { AnyEntity, EntityTypes } from './entity.js';
import { ExpressionContext, projection } from './expressions.js';
import type { KeyTemplate } from './key-template.js';
import { convertNumbers } from './numbers.js';
import { dynamoOperations, runDynamo } from './operations.js';
import { decodeKey } from './pagination.js';
import { withCapacity } from './runtime.js';
import type { CallOptions } from '../core/internal.js';
import type { Runtime } from './runtime.js';

/**
 * A condition on the sort key, given as the template's attributes. `eq` needs all of them; the
 * others take a prefix of them (the key is filled up to the first missing attribute).
 *
 * @example
 * ```ts
 * const recent: SortCondition<{ createdAt: string; postId: string }> = { gte: { createdAt: '2025-01-01' } }
 * ```
 */
export type SortCondition<S> =
  | { eq: S }
  | { beginsWith: Partial<S> }
  | { between: readonly [Partial<S>, Partial<S>] }
  | { lt: Partial<S> }
  | { lte: Partial<S> }
  | { gt: Partial<S> }
  | { gte: Partial<S> };

/** Options shared by every query shape. */
export interface QueryCommon<T extends EntityTypes> {
  /** `asc` (default) or `desc` by sort key. */
  order?: 'asc' | 'desc' | undefined;
  /** Page size (default 25, max 1000). */
  limit?: number | undefined;
  /** Cursor from the previous page of the same query. */
  cursor?: string | null | undefined;
  /** Applied by DynamoDB after the key condition (it does not reduce the capacity read). */
  filter?: Condition<T['item']> | undefined;
  /** Return only these attributes (items are not schema-validated then). */
  select?: readonly (keyof T['item'] & string)[] | undefined;
  /** Strongly consistent read (primary key only). */
  consistent?: boolean | undefined;
}

/**
 * A query on the entity's primary key, or on one of its GSIs by `index`.
 *
 * @example
 * ```ts
 * const q: QueryInput<typeof Post['~types']> = { partition: { userId: 'u1' }, order: 'desc', limit: 20 }
 * const byEmail: QueryInput<typeof User['~types']> = { index: 'gsi1', partition: { email: 'a@b.c' } }
 * ```
 */
export type QueryInput<T extends EntityTypes> =
  | ({ index?: undefined; partition: T['partition']; sort?: SortCondition<T['sort']> } & QueryCommon<T>)
  | {
      [I in keyof T['indexes'] & string]: {
        index: I;
        partition: T['indexes'][I]['partition'];
        sort?: SortCondition<T['indexes'][I]['sort']>;
      } & QueryCommon<T>;
    }[keyof T['indexes'] & string];

/**
 * The item type a query returns: the whole item, or the selected attributes.
 *
 * @example
 * ```ts
 * type Titles = QueryResult<(typeof Post)['~types'], { partition: { userId: string }; select: ['title'] }> // { title: string }
 * ```
 */
export type QueryResult<T extends EntityTypes, Q> = Q extends { select: readonly (infer K)[] }
  ? Pick<T['item'], K & keyof T['item']>
  : T['item'];

/**
 * Built query params and the binding its cursors are tied to.
 *
 * @example
 * ```ts
 * const { params, binding }: BuiltQuery = queryParams(Post, { partition: { userId: '1' }, limit: 20 })
 * ```
 */
export interface BuiltQuery {
  params: QueryCommandInput;
  binding: CursorBinding;
}

interface RawQueryInput {
  index?: string | undefined;
  partition: Record<string, unknown>;
  sort?: Record<string, unknown>;
  order?: 'asc' | 'desc' | undefined;
  limit?: number | undefined;
  cursor?: string | null | undefined;
  filter?: object | undefined;
  select?: readonly string[] | undefined;
  consistent?: boolean | undefined;
}

function sortExpression(
  entity: AnyEntity,
  template: KeyTemplate,
  name: string,
  sort: Record<string, unknown> | undefined,
  ctx: ExpressionContext,
): string | undefined {
  if (sort === undefined) {
    if (template.attributes.length === 0) return `${name} = ${ctx.value(template.source)}`;
    return template.staticPrefix === ''
      ? undefined
      : `begins_with(${name}, ${ctx.value(template.staticPrefix)})`;
  }
  const entries = Object.entries(sort);
  if (entries.length !== 1)
    throw new ValidationError(
      [{ path: ['sort'], message: 'give exactly one sort-key comparison', code: 'query.sort' }],
      { engine: 'dynamodb', code: 'query.sort' },
    );
  const [op, value] = entries[0] as [string, unknown];
  const part = (v: unknown): string =>
    ctx.value(entity.compose(template, v as Record<string, unknown>, op !== 'eq'));
  switch (op) {
    case 'eq':
      return `${name} = ${part(value)}`;
    case 'beginsWith':
      return `begins_with(${name}, ${part(value)})`;
    case 'between': {
      const [low, high] = value as [unknown, unknown];
      return `${name} BETWEEN ${part(low)} AND ${part(high)}`;
    }
    case 'lt':
      return `${name} < ${part(value)}`;
    case 'lte':
      return `${name} <= ${part(value)}`;
    case 'gt':
      return `${name} > ${part(value)}`;
    case 'gte':
      return `${name} >= ${part(value)}`;
    default:
      throw new ValidationError(
        [{ path: ['sort', op], message: `unknown sort-key comparison "${op}"`, code: 'query.sort' }],
        { engine: 'dynamodb', code: 'query.sort' },
      );
  }
}

/**
 * Builds Query params for an entity: the partition from its template, the sort condition (or, with
 * none, the sort key's static prefix so only this entity's items are read), filter and projection.
 *
 * @example
 * ```ts
 * const { params } = queryParams(Post, { partition: { userId: 'u1' }, order: 'desc', limit: 10 })
 * // params.KeyConditionExpression: '#n0 = :v0 AND begins_with(#n1, :v1)'
 * ```
 */
export function queryParams<T extends EntityTypes>(entity: AnyEntity, input: QueryInput<T>): BuiltQuery {
  return buildQuery(entity, input);
}

/** Like {@link queryParams}, for entity-agnostic callers (collections). */
export function buildQuery(entity: AnyEntity, input: RawQueryInput): BuiltQuery {
  const indexName = input.index ?? 'primary';
  const compiled = entity.keys[indexName];
  if (compiled === undefined) {
    throw new ValidationError(
      [
        {
          path: ['index'],
          message: `${entity.name} has no key templates for index "${indexName}"`,
          code: 'query.invalidIndex',
        },
      ],
      {
        engine: 'dynamodb',
        code: 'query.invalidIndex',
      },
    );
  }
  const ctx = new ExpressionContext();
  const pkName = ctx.name(compiled.pkName);
  const keyParts = [`${pkName} = ${ctx.value(entity.compose(compiled.pk, input.partition))}`];
  if (compiled.sk !== undefined && compiled.skName !== undefined) {
    const sortPart = sortExpression(entity, compiled.sk, ctx.name(compiled.skName), input.sort, ctx);
    if (sortPart !== undefined) keyParts.push(sortPart);
  }
  const params: QueryCommandInput = {
    TableName: entity.table.name,
    KeyConditionExpression: keyParts.join(' AND '),
    Limit: pageSize(input.limit),
  };
  if (input.index !== undefined) params.IndexName = input.index;
  if (input.order === 'desc') params.ScanIndexForward = false;
  if (input.consistent === true) params.ConsistentRead = true;
  const filter = andAll([buildCondition(input.filter, ctx)]);
  if (filter !== undefined) params.FilterExpression = filter;
  if (input.select !== undefined)
    params.ProjectionExpression = projection(ctx, [...input.select, entity.table.entityAttribute]);
  Object.assign(params, ctx.params());
  const binding: CursorBinding = {
    source: entity.table.name,
    filter: {
      k: params.KeyConditionExpression,
      f: params.FilterExpression,
      p: params.ProjectionExpression,
      n: params.ExpressionAttributeNames,
      v: params.ExpressionAttributeValues,
    },
    sort: input.order ?? 'asc',
  };
  if (input.index !== undefined) binding.index = input.index;
  return { params, binding };
}

/**
 * Sends one page of a built query: opens the cursor against its binding, and seals the next one.
 *
 * @example
 * ```ts
 * const { items, cursor } = await sendQuery(runtime, built, previousCursor, options)
 * ```
 */
export async function sendQuery(
  runtime: Runtime,
  built: BuiltQuery,
  cursor: string | null | undefined,
  options: CallOptions = {},
): Promise<{ raw: Record<string, unknown>[]; cursor: string | null }> {
  const params = withCapacity(runtime, built.params);
  if (cursor !== undefined && cursor !== null) {
    params.ExclusiveStartKey = decodeKey(runtime, cursor, built.binding);
  }
  const target = built.params.TableName ?? '';
  const out: QueryCommandOutput = await runDynamo(
    runtime,
    dynamoOperations.query,
    target,
    (signal) =>
      runtime.document.send(new QueryCommand(params), signal === undefined ? {} : { abortSignal: signal }),
    options,
    { count: (r) => r.Count },
  );
  const next =
    out.LastEvaluatedKey === undefined ? null : runtime.cursors.encode(out.LastEvaluatedKey, built.binding);
  return { raw: (out.Items ?? []) as Record<string, unknown>[], cursor: next };
}

/**
 * Turns raw items into an entity's items: those of other entities are skipped; with a projection,
 * numbers are resolved and key attributes stripped without schema validation.
 */
export function parseItems(
  entity: AnyEntity,
  raw: Record<string, unknown>[],
  projected: boolean,
  operation: string,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const entityAttr = entity.table.entityAttribute;
  for (const item of raw) {
    if (!entity.owns(item)) continue;
    if (projected) {
      convertNumbers(item, undefined, { target: entity.table.name, operation });
      const { [entityAttr]: _entity, ...rest } = item;
      out.push(rest);
    } else {
      out.push(entity.parse(item, operation));
    }
  }
  return out;
}

/**
 * Runs one page of an entity query.
 *
 * @example
 * ```ts
 * const page = await queryPage(runtime, Post, { partition: { userId: 'u1' }, limit: 50 })
 * ```
 */
export async function queryPage<T extends EntityTypes, Q extends QueryInput<T>>(
  runtime: Runtime,
  entity: AnyEntity,
  input: Q,
  options: CallOptions = {},
): Promise<Page<QueryResult<T, Q>>> {
  const built = queryParams<T>(entity, input);
  const { raw, cursor } = await sendQuery(runtime, built, input.cursor, options);
  return {
    items: parseItems(entity, raw, input.select !== undefined, 'query') as QueryResult<T, Q>[],
    cursor,
  };
}

/**
 * Options of `queryAll`.
 *
 * @example
 * ```ts
 * for await (const page of posts.queryAll({ partition: { userId: '1' } }, { maxItems: 5_000, timeoutMs: 30_000 })) handle(page.items)
 * ```
 */
export interface QueryAllOptions extends CallOptions {
  /** Stop after this many items (the last page is cut). Default 10,000. */
  maxItems?: number | undefined;
}

/**
 * Iterates over every page of a query, stopping after `maxItems` items.
 *
 * @example
 * ```ts
 * for await (const page of queryAll(runtime, Post, { partition: { userId: 'u1' } }, { maxItems: 5_000 })) handle(page.items)
 * ```
 */
export async function* queryAll<T extends EntityTypes, Q extends QueryInput<T>>(
  runtime: Runtime,
  entity: AnyEntity,
  input: Q,
  options: QueryAllOptions = {},
): AsyncGenerator<Page<QueryResult<T, Q>>, void, undefined> {
  const maxItems = options.maxItems ?? 10_000;
  let seen = 0;
  let cursor = input.cursor ?? null;
  do {
    const page = await queryPage<T, Q>(runtime, entity, { ...input, cursor }, options);
    cursor = page.cursor;
    if (seen + page.items.length >= maxItems) {
      yield { items: page.items.slice(0, maxItems - seen), cursor: null };
      return;
    }
    seen += page.items.length;
    yield page;
  } while (cursor !== null);
}
