// Pure request builders for single-item operations (get, create, put, update, delete): params only, nothing sent.
import type { ErrorCode } from '../core/error-codes.js';
import type {
  DeleteCommandInput,
  GetCommandInput,
  PutCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../core/internal.js';
import { andAll, buildCondition } from './condition-builder.js';
import type { Condition } from './condition-builder.js';
import type { AnyEntity, CompiledKey, Entity, EntityTypes } from './entity.js';
import { ExpressionContext, projection } from './expressions.js';
import { checkItemSize } from './limits.js';
import { buildUpdate } from './update-builder.js';
import type { UpdateActions } from './update-builder.js';

/**
 * Options of `get`.
 *
 * @example
 * ```ts
 * await users.get({ id: '1' }, { consistent: true } satisfies GetOptions)
 * ```
 */
export interface GetOptions {
  /** Strongly consistent read. Default false. */
  consistent?: boolean;
}

/**
 * Options of `put`: a replace, optionally guarded.
 *
 * @example
 * ```ts
 * await users.put(ada, { expectedVersion: 3 })
 * ```
 */
export interface PutOptions<T extends EntityTypes> {
  /** The write happens only if this holds for the existing item. */
  condition?: Condition<T['item']>;
  /** Optimistic lock: the stored version must be this one; the new item gets version + 1. */
  expectedVersion?: number;
  /** Fixed clock for timestamps (ISO string), mainly for tests. */
  now?: string;
}

/**
 * Options of `update`.
 *
 * @example
 * ```ts
 * await users.update({ id: '1' }, { set: { name: 'Ada L.' } }, { expectedVersion: 3, condition: { name: { exists: true } } })
 * ```
 */
export interface UpdateOptions<T extends EntityTypes> {
  condition?: Condition<T['item']>;
  expectedVersion?: number;
  /** Create the item if it does not exist. Default false: a missing item is a NotFoundError. */
  upsert?: boolean;
  /** `ALL_NEW` (default) returns the whole item; `UPDATED_NEW` only the attributes written. */
  returnValues?: 'ALL_NEW' | 'UPDATED_NEW';
  now?: string;
}

/**
 * Options of `delete`.
 *
 * @example
 * ```ts
 * await users.delete({ id: '1' }, { mustExist: false })
 * ```
 */
export interface DeleteOptions<T extends EntityTypes> {
  condition?: Condition<T['item']>;
  expectedVersion?: number;
  /** Fail with NotFoundError when nothing is there. Default true. */
  mustExist?: boolean;
  /** Return the deleted item. */
  returnOld?: boolean;
}

function keyNames(entity: AnyEntity): string[] {
  const primary = entity.keys.primary;
  return primary?.skName === undefined
    ? [entity.table.partitionKey]
    : [entity.table.partitionKey, primary.skName];
}

/**
 * GetItem params for an entity key.
 *
 * @example
 * ```ts
 * getParams(User, { id: '42' }) // { TableName: 'app', Key: { pk: 'USER#42', sk: 'PROFILE' } }
 * ```
 */
export function getParams<T extends EntityTypes>(
  entity: Entity<T>,
  key: T['key'],
  options: GetOptions & { select?: readonly string[] } = {},
): GetCommandInput {
  const params: GetCommandInput = { TableName: entity.table.name, Key: entity.key(key) };
  if (options.consistent === true) params.ConsistentRead = true;
  if (options.select !== undefined) {
    const ctx = new ExpressionContext();
    params.ProjectionExpression = projection(ctx, [...options.select, entity.table.entityAttribute]);
    Object.assign(params, ctx.params());
  }
  return params;
}

/**
 * PutItem params for `create`: the write fails if an item with the same key exists.
 *
 * @example
 * ```ts
 * createParams(User, { id: '42', email: 'a@b.c', name: 'Ada' }).ConditionExpression // 'attribute_not_exists(#n0)'
 * ```
 */
export function createParams<T extends EntityTypes>(
  entity: Entity<T>,
  input: T['input'],
  options: { now?: string } = {},
): PutCommandInput {
  const itemOptions: { now?: string; version: number; operation: string } = {
    version: 1,
    operation: 'create',
  };
  if (options.now !== undefined) itemOptions.now = options.now;
  const item = entity.toItem(input, itemOptions);
  const ctx = new ExpressionContext();
  return {
    TableName: entity.table.name,
    Item: item,
    ConditionExpression: `attribute_not_exists(${ctx.name(entity.table.partitionKey)})`,
    ...ctx.params(),
  };
}

/**
 * PutItem params for a replace, with an optional condition and optimistic lock.
 *
 * @example
 * ```ts
 * putParams(User, user, { expectedVersion: 3 }).ConditionExpression // '#n0 = :v0'
 * ```
 */
export function putParams<T extends EntityTypes>(
  entity: Entity<T>,
  input: T['input'],
  options: PutOptions<T> = {},
): PutCommandInput {
  const given = (input as Record<string, unknown>).version;
  const version =
    options.expectedVersion !== undefined
      ? options.expectedVersion + 1
      : typeof given === 'number'
        ? given + 1
        : 1;
  const itemOptions: { now?: string; version: number; operation: string } = { version, operation: 'put' };
  if (options.now !== undefined) itemOptions.now = options.now;
  const item = entity.toItem(input, itemOptions);
  const ctx = new ExpressionContext();
  const parts = [buildCondition(options.condition, ctx)];
  if (options.expectedVersion !== undefined) {
    requireVersioned(entity);
    parts.push(`${ctx.name('version')} = ${ctx.value(options.expectedVersion)}`);
  }
  const condition = andAll(parts);
  const params: PutCommandInput = { TableName: entity.table.name, Item: item };
  if (condition !== undefined) {
    params.ConditionExpression = condition;
    params.ReturnValuesOnConditionCheckFailure = 'ALL_OLD';
    Object.assign(params, ctx.params());
  }
  return params;
}

function requireVersioned(entity: AnyEntity): void {
  if (!entity.versioned) {
    throw new ValidationError(
      [
        {
          path: ['expectedVersion'],
          message: `${entity.name} is not versioned`,
          code: 'version.notVersioned',
        },
      ],
      {
        engine: 'dynamodb',
        code: 'version.notVersioned',
      },
    );
  }
}

interface UpdatePlan {
  keyAttributes: ReadonlySet<string>;
  managed: ReadonlySet<string>;
  indexes: readonly {
    name: string;
    attributes: readonly string[];
    keyNames: readonly string[];
    compiled: CompiledKey;
  }[];
}

const plans = new WeakMap<object, UpdatePlan>();

/** What an update must check for an entity, computed once per entity. */
function updatePlan(entity: AnyEntity): UpdatePlan {
  let plan = plans.get(entity);
  if (plan !== undefined) return plan;
  const primary = entity.keys.primary;
  const keyNamesOf = (k: CompiledKey): string[] =>
    k.skName === undefined ? [k.pkName] : [k.pkName, k.skName];
  const managed = new Set([entity.table.entityAttribute, ...Object.values(entity.keys).flatMap(keyNamesOf)]);
  if (entity.versioned) managed.add('version');
  if (entity.timestamps) managed.add('updatedAt').add('createdAt');
  plan = {
    keyAttributes: new Set([...(primary?.pk.attributes ?? []), ...(primary?.sk?.attributes ?? [])]),
    managed,
    indexes: Object.entries(entity.keys)
      .filter(([name]) => name !== 'primary')
      .map(([name, compiled]) => ({
        name,
        attributes: [...compiled.pk.attributes, ...(compiled.sk?.attributes ?? [])],
        keyNames: keyNamesOf(compiled),
        compiled,
      })),
  };
  plans.set(entity, plan);
  return plan;
}

// During a rename (`renamedFrom`), setting or removing the new attribute does the same to the old one.
function mirrorRenames(
  entity: AnyEntity,
  actions: UpdateActions<Record<string, unknown>>,
): UpdateActions<Record<string, unknown>> {
  const renames = Object.entries(entity.renamedFrom);
  if (renames.length === 0) return actions;
  const set = actions.set === undefined ? undefined : { ...actions.set };
  const remove = actions.remove === undefined ? undefined : [...actions.remove];
  for (const [renamed, old] of renames) {
    if (set !== undefined && set[renamed] !== undefined && set[old] === undefined) set[old] = set[renamed];
    if (remove?.includes(renamed) === true && !remove.includes(old)) remove.push(old);
  }
  return {
    ...actions,
    ...(set === undefined ? {} : { set }),
    ...(remove === undefined ? {} : { remove }),
  };
}

/**
 * UpdateItem params from typed actions. Key attributes cannot be updated; an index key whose
 * attributes change is recomputed (all of its attributes must then be known); the version is
 * checked and incremented in the same write; a missing item is not created unless `upsert`. Values
 * set over DynamoDB's 400 KB item limit fail here with a `limit.itemSize` LimitExceededError.
 *
 * @example
 * ```ts
 * updateParams(Post, { userId: 'u1', postId: 'p1' }, { set: { status: 'published' }, increment: { views: 1 } })
 * ```
 */
export function updateParams<T extends EntityTypes>(
  entity: Entity<T>,
  key: T['key'],
  actions: UpdateActions<T['item']>,
  options: UpdateOptions<T> = {},
): UpdateCommandInput {
  const ctx = new ExpressionContext();
  const plan = updatePlan(entity);
  const generic = mirrorRenames(entity, actions);
  const extraSet: [string, unknown][] = [];
  const extraClauses: string[] = [];
  const written = new Set<string>();
  for (const group of [
    generic.set,
    generic.setIfNotExists,
    generic.increment,
    generic.add,
    generic.append,
    generic.prepend,
    generic.deleteFromSet,
  ]) {
    if (group === undefined) continue;
    for (const attr in group) if ((group as Record<string, unknown>)[attr] !== undefined) written.add(attr);
  }
  for (const attr of generic.remove ?? []) written.add(attr);
  for (const attr of written) {
    if (plan.keyAttributes.has(attr))
      throw invalid(
        `"${attr}" is part of ${entity.name}'s primary key and cannot be updated`,
        attr,
        'update.keyAttribute',
      );
    if (plan.managed.has(attr))
      throw invalid(
        `"${attr}" is maintained by dbkit and cannot be updated directly`,
        attr,
        'update.managedAttribute',
      );
  }
  let removes = generic.remove;
  for (const index of plan.indexes) {
    if (!index.attributes.some((a) => written.has(a))) continue;
    if (index.attributes.some((a) => generic.remove?.includes(a) === true)) {
      removes = [...(removes ?? []), ...index.keyNames];
      continue;
    }
    const values: Record<string, unknown> = { ...(key as Record<string, unknown>), ...generic.set };
    const missing = index.attributes.filter((a) => values[a] === undefined);
    if (missing.length > 0) {
      throw invalid(
        `index ${index.name} of ${entity.name} needs ${missing.join(', ')} in \`set\` to recompute its key`,
        missing[0] ?? index.name,
        'update.partialIndexKey',
      );
    }
    const compiled = index.compiled;
    extraSet.push([compiled.pkName, entity.compose(compiled.pk, values)]);
    if (compiled.skName !== undefined && compiled.sk !== undefined)
      extraSet.push([compiled.skName, entity.compose(compiled.sk, values)]);
  }
  // An upsert may create the item: it must carry its entity name, or reads would not recognise it.
  // The key's own attributes too (they are fixed by the key, so writing them again changes nothing).
  if (options.upsert === true) {
    extraSet.push([entity.table.entityAttribute, entity.name]);
    for (const [attr, value] of Object.entries(key as Record<string, unknown>)) extraSet.push([attr, value]);
  }
  if (entity.timestamps) {
    const now = options.now ?? new Date().toISOString();
    extraSet.push(['updatedAt', now]);
    if (options.upsert === true)
      extraClauses.push(
        `${ctx.name('createdAt')} = if_not_exists(${ctx.name('createdAt')}, ${ctx.value(now)})`,
      );
  }
  const conditions = [buildCondition(options.condition, ctx)];
  if (options.upsert !== true) conditions.unshift(`attribute_exists(${ctx.name(entity.table.partitionKey)})`);
  if (entity.versioned) {
    if (options.expectedVersion !== undefined) {
      extraSet.push(['version', options.expectedVersion + 1]);
      conditions.push(`${ctx.name('version')} = ${ctx.value(options.expectedVersion)}`);
    } else {
      extraClauses.push(
        `${ctx.name('version')} = if_not_exists(${ctx.name('version')}, ${ctx.value(0)}) + ${ctx.value(1)}`,
      );
    }
  } else if (options.expectedVersion !== undefined) {
    requireVersioned(entity);
  }
  const compiled = buildUpdate(
    removes === generic.remove || removes === undefined ? generic : { ...generic, remove: removes },
    ctx,
    extraSet,
    extraClauses,
  );
  const params: UpdateCommandInput = {
    TableName: entity.table.name,
    Key: entity.key(key),
    UpdateExpression: compiled.expression,
    ReturnValues: options.returnValues ?? 'ALL_NEW',
  };
  // What the update writes is already a lower bound of the item's size: over 400 KB it cannot
  // succeed, so it fails here like create and put do, not with DynamoDB's generic validation error.
  const sized: Record<string, unknown> = {
    ...params.Key,
    ...generic.set,
    ...generic.setIfNotExists,
    ...Object.fromEntries(extraSet),
  };
  checkItemSize(sized, { target: entity.table.name, operation: 'update' });
  const condition = andAll(conditions);
  if (condition !== undefined) {
    params.ConditionExpression = condition;
    params.ReturnValuesOnConditionCheckFailure = 'ALL_OLD';
  }
  return Object.assign(params, ctx.params());
}

/**
 * DeleteItem params, by default failing when nothing is there.
 *
 * @example
 * ```ts
 * deleteParams(User, { id: '42' }, { expectedVersion: 2, returnOld: true })
 * ```
 */
export function deleteParams<T extends EntityTypes>(
  entity: Entity<T>,
  key: T['key'],
  options: DeleteOptions<T> = {},
): DeleteCommandInput {
  const ctx = new ExpressionContext();
  const conditions = [buildCondition(options.condition, ctx)];
  if (options.mustExist !== false)
    conditions.unshift(`attribute_exists(${ctx.name(entity.table.partitionKey)})`);
  if (options.expectedVersion !== undefined) {
    requireVersioned(entity);
    conditions.push(`${ctx.name('version')} = ${ctx.value(options.expectedVersion)}`);
  }
  const params: DeleteCommandInput = { TableName: entity.table.name, Key: entity.key(key) };
  const condition = andAll(conditions);
  if (condition !== undefined) {
    params.ConditionExpression = condition;
    params.ReturnValuesOnConditionCheckFailure = 'ALL_OLD';
    Object.assign(params, ctx.params());
  }
  if (options.returnOld === true) params.ReturnValues = 'ALL_OLD';
  return params;
}

function invalid(message: string, attr: string, code: ErrorCode): ValidationError {
  return new ValidationError([{ path: [attr], message, code }], { engine: 'dynamodb', code, message });
}

/** The key attribute names of an entity's primary key, in order. */
export { keyNames };
