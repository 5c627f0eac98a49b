// dbkit's sealed cursors and error taxonomy for Dynamoose models, without importing Dynamoose: its queries and scans are used through the few methods dbkit needs.
import { ConflictError, DbkitError, InternalError, ValidationError } from '../core/internal.js';
import type { CursorBinding, CursorCodec, OperationSpec } from '../core/internal.js';
import { awsErrorName, mapDynamoError } from './errors.js';
import { openKey } from './pagination.js';

/**
 * What a Dynamoose query or scan resolves to: its items, and `lastKey` when there is more.
 *
 * @example
 * ```ts
 * const response: DynamooseResponse<User> = await UserModel.query('pk').eq('USER#1').exec()
 * ```
 */
export type DynamooseResponse<I> = I[] & { lastKey?: unknown };

/**
 * The part of a Dynamoose 4 `Query` or `Scan` (`Model.query(...)`, `Model.scan(...)`) dbkit uses:
 * the request it would send, `startAt` and `exec`. Both `exec` overloads are spelled out so that
 * TypeScript infers the item type from a Dynamoose query.
 *
 * @example
 * ```ts
 * const query: DynamooseRetriever<User> = UserModel.query('pk').eq('USER#1')
 * ```
 */
export interface DynamooseRetriever<I> {
  getRequest(): Promise<unknown>;
  startAt(key: Record<string, unknown> | undefined): unknown;
  exec(): Promise<DynamooseResponse<I>>;
  exec(callback: (error: unknown, response?: DynamooseResponse<I>) => void): void;
}

/**
 * One page of a Dynamoose query or scan, with a sealed cursor for the next one (null at the end).
 *
 * @example
 * ```ts
 * const { items, cursor }: DynamoosePage<User> = await cursors.page(UserModel.scan().limit(50), req.query.cursor)
 * ```
 */
export interface DynamoosePage<I> {
  items: I[];
  cursor: string | null;
}

/**
 * Cursors for Dynamoose queries and scans: `lastKey` sealed into a dbkit token bound to the query, and back.
 *
 * @example
 * ```ts
 * const cursors: DynamooseCursors = dynamooseCursors(createCursorCodec({ secret }))
 * const page = await cursors.page(UserModel.query('pk').eq('USER#1').limit(20), req.query.cursor)
 * ```
 */
export interface DynamooseCursors {
  /**
   * What a cursor of this query is bound to: table, index, key condition, filter, projection,
   * segment and direction, as Dynamoose would send them (never the start key or the page size).
   */
  bind(query: DynamooseRetriever<unknown>): Promise<CursorBinding>;
  /** Seals Dynamoose's `lastKey` into a cursor bound to `binding`; null when there is no next page. */
  seal(lastKey: unknown, binding: CursorBinding): string | null;
  /**
   * Opens a cursor for `query.startAt(...)`: signature, binding, expiry and shape are checked, so a
   * client cannot read, edit or replay it on another query. Throws dbkit's `ValidationError`
   * (`cursor.*`) otherwise.
   */
  open(cursor: string, binding: CursorBinding): Record<string, unknown>;
  /** Runs one page: opens `cursor` (when given) into `startAt`, runs the query, seals its `lastKey`. */
  page<I>(query: DynamooseRetriever<I>, cursor?: string | null): Promise<DynamoosePage<I>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * dbkit's sealed cursors for a Dynamoose model's queries and scans, on a dbkit cursor codec
 * (`db.cursors`, or `createCursorCodec({ secret })`). Parallel scans (`parallel(n)`, whose
 * `lastKey` is a list) are not supported.
 *
 * @example
 * ```ts
 * const cursors = dynamooseCursors(db.cursors)
 * const page = await cursors.page(Post.query('userId').eq(userId).limit(20), req.query.cursor)
 * reply.send({ items: page.items, next: page.cursor })
 * ```
 */
export function dynamooseCursors(codec: CursorCodec): DynamooseCursors {
  const bind = async (query: DynamooseRetriever<unknown>): Promise<CursorBinding> => {
    const request = await query.getRequest();
    if (!isRecord(request) || typeof request.TableName !== 'string')
      throw new TypeError('dbkit: not a Dynamoose query or scan (getRequest() gave no TableName)');
    const binding: CursorBinding = {
      source: request.TableName,
      filter: {
        by: 'dynamoose',
        k: request.KeyConditionExpression,
        f: request.FilterExpression,
        p: request.ProjectionExpression,
        n: request.ExpressionAttributeNames,
        v: request.ExpressionAttributeValues,
        s: [request.Segment, request.TotalSegments],
      },
      sort: request.ScanIndexForward === false ? 'desc' : 'asc',
    };
    if (typeof request.IndexName === 'string') binding.index = request.IndexName;
    return binding;
  };
  const seal = (lastKey: unknown, binding: CursorBinding): string | null => {
    if (lastKey === undefined || lastKey === null) return null;
    if (!isRecord(lastKey))
      throw new TypeError('dbkit: a Dynamoose lastKey must be one key (parallel scans are not supported)');
    return codec.encode(lastKey, binding);
  };
  const open = (cursor: string, binding: CursorBinding): Record<string, unknown> =>
    openKey(codec, cursor, binding);
  return {
    bind,
    seal,
    open,
    async page<I>(query: DynamooseRetriever<I>, cursor?: string | null): Promise<DynamoosePage<I>> {
      // Bound before startAt, so the binding never depends on the position.
      const binding = await bind(query);
      if (cursor !== undefined && cursor !== null && cursor !== '') query.startAt(open(cursor, binding));
      const items = await query.exec();
      return { items: [...items], cursor: seal(items.lastKey, binding) };
    },
  };
}

/**
 * What a Dynamoose call was doing, so its error can say it to API clients and logs.
 *
 * @example
 * ```ts
 * mapDynamooseError(err, { operation: 'create', model: 'User', keyFields: ['id'] })
 * ```
 */
export interface DynamooseErrorContext {
  /** The call: `create` turns a failed condition into a `ConflictError` (Dynamoose's `Model.create` is put-if-absent). */
  operation: string;
  /** The model name, the only name messages for API clients carry. */
  model: string;
  /** The table, kept in `target` for your logs. Default: the model name. */
  table?: string;
  /** The key attributes, named on a `ConflictError`. */
  keyFields?: readonly string[];
}

// Errors Dynamoose raises itself before sending anything, from its schema checks.
const dynamooseSchemaErrors = new Set(['ValidationError', 'TypeMismatch']);
// Dynamoose's own misuse and setup errors (dynamoose-utils CustomError names): the code's fault, not the input's.
const dynamooseSetupErrors = new Set([
  'MissingSchemaError',
  'InvalidParameter',
  'InvalidParameterType',
  'UnknownAttribute',
  'InvalidType',
  'InvalidFilterComparison',
  'WaitForActiveTimeout',
  'OtherError',
]);

// Dynamoose names the attribute at the start of its schema messages; the rest (the value) stays in `cause`.
function attributePath(message: string): string[] {
  const match =
    /^Expected (\S+) to be of type/.exec(message) ?? /^(\S+) (?:with a value of|must equal)/.exec(message);
  return match?.[1] === undefined ? [] : match[1].split('.');
}

/**
 * Maps an error a Dynamoose call threw into dbkit's taxonomy, the original as `cause`. Dynamoose
 * passes AWS errors through unchanged, so those get dbkit's DynamoDB mapping (throttling,
 * permissions, missing table, ...); a ConditionalCheckFailed is a `ConflictError` on `create` and a
 * `ConditionFailedError` otherwise. Dynamoose's schema errors (`ValidationError`, `TypeMismatch`)
 * become dbkit `ValidationError`s naming the attribute, never the value; its setup errors
 * (`InvalidParameter`, `MissingSchemaError`, ...) become `InternalError`s.
 *
 * @example
 * ```ts
 * try { await Post.create(post) }
 * catch (err) { throw mapDynamooseError(err, { operation: 'create', model: 'Post', keyFields: ['userId', 'postId'] }) }
 * ```
 */
export function mapDynamooseError(err: unknown, context: DynamooseErrorContext): DbkitError {
  if (err instanceof DbkitError) return err;
  const target = context.table ?? context.model;
  const base = { engine: 'dynamodb' as const, operation: context.operation, target, cause: err };
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : '';
  if (name === 'ConditionalCheckFailedException' && context.operation === 'create') {
    return new ConflictError(`${context.model} already exists with this key`, {
      ...base,
      code: 'conflict.exists',
      fields: context.keyFields ?? [],
    });
  }
  if (name !== undefined && dynamooseSchemaErrors.has(name) && !('$metadata' in (err as object))) {
    const text = `The ${context.model} does not match its schema`;
    return new ValidationError([{ path: attributePath(message), message: text, code: 'validation.schema' }], {
      ...base,
      code: 'validation.schema',
      message: text,
    });
  }
  if (name !== undefined && dynamooseSetupErrors.has(name)) {
    return new InternalError(`Dynamoose refused ${context.operation} on ${context.model}: ${message}`, {
      ...base,
      code: `internal.${name}`,
      notApplied: true,
    });
  }
  const spec: OperationSpec = {
    engine: 'dynamodb',
    operation: context.operation,
    target,
    kind: 'write',
    idempotent: false,
  };
  return mapDynamoError(err, spec);
}

/**
 * Runs a Dynamoose call and rethrows its failure through {@link mapDynamooseError}. It does not
 * retry: Dynamoose's SDK client keeps its own retry settings.
 *
 * @example
 * ```ts
 * const post = await withDynamooseErrors({ operation: 'create', model: 'Post' }, () => Post.create(input))
 * ```
 */
export async function withDynamooseErrors<T>(
  context: DynamooseErrorContext,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw mapDynamooseError(err, context);
  }
}
