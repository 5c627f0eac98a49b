// backfill on DynamoDB: a parallel segmented Scan (or a Query) through core's runner, each change an UpdateItem (or put, or delete) conditioned on the item as read.
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DbkitError, runBackfill, ValidationError } from '../core/internal.js';
import type {
  BackfillReport,
  BackfillRunOptions,
  BackfillSource,
  BackfillWriteResult,
  CallOptions,
  RetryPolicy,
} from '../core/internal.js';
import { dynamoCheckpoints } from './backfill-checkpoint.js';
import type { DynamoClient } from './client.js';
import { runtimeOf } from './client-runtime.js';
import type { AnyEntity } from './entity.js';
import { dynamoOperations, runDynamo } from './operations.js';
import { reservedPrefix } from './reserved-items.js';
import type { Runtime } from './runtime.js';
import type { Table } from './table.js';

/**
 * What `transform` returns for one item: attributes to set and remove (an UpdateItem), a whole new
 * item to create if absent (`copy`, for a key change), or `delete` of the item read. `undefined`
 * leaves the item alone.
 *
 * @example
 * ```ts
 * const change: BackfillChange = { set: { status: 'active' }, remove: ['legacyStatus'] }
 * ```
 */
export type BackfillChange =
  | { set?: Record<string, unknown>; remove?: readonly string[] }
  | { copy: Record<string, unknown> }
  | { delete: true };

/**
 * Options of the DynamoDB `backfill`: core's run options plus what to walk and how to write.
 *
 * @example
 * ```ts
 * const options: DynamoBackfillOptions = {
 *   name: 'users-status', source: User, segments: 8,
 *   transform: (item) => (item.status === undefined ? { set: { status: 'active' } } : undefined),
 * }
 * ```
 */
export interface DynamoBackfillOptions extends BackfillRunOptions {
  /** A table (every item but dbkit's own) or an entity (its items only, read raw: old shapes included). */
  source: Table | AnyEntity;
  /** The change for one raw stored item (key attributes included), or undefined to skip it. */
  transform(item: Record<string, unknown>): BackfillChange | undefined | Promise<BackfillChange | undefined>;
  /** Parallel Scan segments, each a lane with its own checkpointed position. Default 4. */
  segments?: number | undefined;
  /**
   * Walk one partition with a Query instead of scanning: the partition key value, of the table or of
   * `index` (whose projection must hold every attribute `transform` and the write conditions read).
   */
  query?: { partitionKey: string; index?: string | undefined } | undefined;
  /**
   * Attributes `transform` reads besides those it changes: the write is conditioned on their read
   * values too, so a concurrent change to them makes it skip. Ignored for a versioned entity,
   * whose writes are conditioned on `version` (and increment it).
   */
  reads?: readonly string[] | undefined;
  /** Writes in flight per page. Default 16. */
  concurrency?: number | undefined;
  /** The per-request retry policy (default: the client's). Throttling past it is waited out by the runner anyway. */
  retry?: RetryPolicy | false | undefined;
  /** Where the checkpoint lives (needs a sort key). Default: the source's table. */
  checkpointTable?: Table | undefined;
}

type Item = Record<string, unknown>;
type Outcome = 'changed' | 'skipped' | { reason: string } | { repeat: unknown };

function tableOf(source: Table | AnyEntity): Table {
  return 'partitionKey' in source ? source : source.table;
}

function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof DbkitError &&
    (err.kind === 'condition_failed' ||
      err.kind === 'not_found' ||
      err.kind === 'conflict' ||
      err.kind === 'version_conflict')
  );
}

function isRepeat(err: unknown): boolean {
  return (
    err instanceof DbkitError &&
    (err.kind === 'throttled' || err.kind === 'outcome_unknown' || err.kind === 'timeout' || err.retryable)
  );
}

// Builds condition expressions with numbered placeholders.
class Expr {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private n = 0;
  name(attr: string): string {
    const k = `#n${this.n++}`;
    this.names[k] = attr;
    return k;
  }
  value(v: unknown): string {
    const k = `:v${this.n++}`;
    this.values[k] = v;
    return k;
  }
  params(): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item } {
    return {
      ...(Object.keys(this.names).length > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

function keyOf(table: Table, item: Item): Item {
  const key: Item = { [table.partitionKey]: item[table.partitionKey] };
  if (table.sortKey !== undefined) key[table.sortKey] = item[table.sortKey];
  return key;
}

// "The item is as read": its version, else the read values of what the change touches and `reads`.
function asRead(e: Expr, table: Table, item: Item, attrs: Iterable<string>, versioned: boolean): string {
  const parts = [`attribute_exists(${e.name(table.partitionKey)})`];
  if (versioned) parts.push(`${e.name('version')} = ${e.value(item.version)}`);
  else
    for (const a of new Set(attrs)) {
      parts.push(
        item[a] === undefined ? `attribute_not_exists(${e.name(a)})` : `${e.name(a)} = ${e.value(item[a])}`,
      );
    }
  return parts.join(' AND ');
}

function refuseKeyChange(table: Table, attrs: readonly string[]): void {
  const bad = attrs.filter(
    (a) => a === table.partitionKey || a === table.sortKey || a === table.entityAttribute,
  );
  if (bad.length === 0) return;
  throw new ValidationError(
    bad.map((a) => ({
      path: [a],
      message: 'a key or entity attribute cannot be set or removed in place; use `copy` then `delete`',
    })),
    { code: 'backfill.keyAttribute', engine: 'dynamodb', operation: 'backfill', target: table.name },
  );
}

async function writeOne(
  runtime: Runtime,
  table: Table,
  item: Item,
  change: BackfillChange,
  versioned: boolean,
  reads: readonly string[],
  call: CallOptions,
): Promise<boolean> {
  const e = new Expr();
  const opts = (signal: AbortSignal | undefined): { abortSignal?: AbortSignal } =>
    signal === undefined ? {} : { abortSignal: signal };
  if ('copy' in change) {
    const cond = `attribute_not_exists(${e.name(table.partitionKey)})`;
    await runDynamo(
      runtime,
      dynamoOperations.create,
      table.name,
      (signal) =>
        runtime.document.send(
          new PutCommand({
            TableName: table.name,
            Item: change.copy,
            ConditionExpression: cond,
            ...e.params(),
          }),
          opts(signal),
        ),
      call,
      { errors: { create: true } },
    );
    return true;
  }
  if ('delete' in change) {
    const cond = asRead(e, table, item, reads, versioned);
    await runDynamo(
      runtime,
      dynamoOperations.delete,
      table.name,
      (signal) =>
        runtime.document.send(
          new DeleteCommand({
            TableName: table.name,
            Key: keyOf(table, item),
            ConditionExpression: cond,
            ...e.params(),
          }),
          opts(signal),
        ),
      call,
      { errors: {} },
    );
    return true;
  }
  const set = Object.entries(change.set ?? {}).filter(([, v]) => v !== undefined);
  const remove = change.remove ?? [];
  refuseKeyChange(table, [...set.map(([a]) => a), ...remove]);
  if (set.length === 0 && remove.length === 0) return false;
  const cond = asRead(e, table, item, [...set.map(([a]) => a), ...remove, ...reads], versioned);
  const sets = set.map(([a, v]) => `${e.name(a)} = ${e.value(v)}`);
  if (versioned) sets.push(`${e.name('version')} = ${e.name('version')} + ${e.value(1)}`);
  const clauses = [
    sets.length > 0 ? `SET ${sets.join(', ')}` : '',
    remove.length > 0 ? `REMOVE ${remove.map((a) => e.name(a)).join(', ')}` : '',
  ].filter((c) => c !== '');
  await runDynamo(
    runtime,
    dynamoOperations.update,
    table.name,
    (signal) =>
      runtime.document.send(
        new UpdateCommand({
          TableName: table.name,
          Key: keyOf(table, item),
          UpdateExpression: clauses.join(' '),
          ConditionExpression: cond,
          ...e.params(),
        }),
        opts(signal),
      ),
    call,
    { errors: {} },
  );
  return true;
}

async function pool<T>(
  items: readonly T[],
  size: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}

function source(runtime: Runtime, options: DynamoBackfillOptions): BackfillSource<Item, BackfillChange> {
  const table = tableOf(options.source);
  const entity = 'partitionKey' in options.source ? undefined : options.source;
  const versioned = entity?.versioned === true;
  const reads = options.reads ?? [];
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const call: CallOptions = {};
  if (options.retry !== undefined) call.retry = options.retry;
  if (options.signal !== undefined) call.signal = options.signal;
  const lanes = options.query === undefined ? Math.max(1, options.segments ?? 4) : 1;
  // The runner repeats a batch whose write threw (throttled, outcome unknown): items settled by an
  // earlier attempt of the same batch keep their outcome instead of being written again.
  const settled = new WeakMap<object, Map<number, Outcome>>();

  return {
    engine: 'dynamodb',
    target: table.name,
    lanes,
    async read(lane, after, limit) {
      const e = new Expr();
      // dbkit's own items: filtered out by the Scan, and after a Query (whose filter may not name a key attribute).
      const filter =
        entity !== undefined
          ? `${e.name(table.entityAttribute)} = ${e.value(entity.name)}`
          : options.query === undefined
            ? `NOT begins_with(${e.name(table.partitionKey)}, ${e.value(reservedPrefix)})`
            : undefined;
      const start = after === undefined || after === null ? {} : { ExclusiveStartKey: after as Item };
      const out =
        options.query === undefined
          ? await runDynamo(
              runtime,
              dynamoOperations.scan,
              table.name,
              (signal) =>
                runtime.document.send(
                  new ScanCommand({
                    TableName: table.name,
                    Limit: limit,
                    Segment: lane,
                    TotalSegments: lanes,
                    ...(filter === undefined ? {} : { FilterExpression: filter }),
                    ConsistentRead: true,
                    ...start,
                    ...e.params(),
                  }),
                  signal === undefined ? {} : { abortSignal: signal },
                ),
              call,
            )
          : await (() => {
              const q = options.query;
              const index = q.index === undefined ? undefined : table.indexes[q.index];
              const pk = index === undefined ? table.partitionKey : index.partitionKey;
              const keyCond = `${e.name(pk)} = ${e.value(q.partitionKey)}`;
              return runDynamo(
                runtime,
                dynamoOperations.query,
                table.name,
                (signal) =>
                  runtime.document.send(
                    new QueryCommand({
                      TableName: table.name,
                      ...(q.index === undefined ? { ConsistentRead: true } : { IndexName: q.index }),
                      Limit: limit,
                      KeyConditionExpression: keyCond,
                      FilterExpression: filter,
                      ...start,
                      ...e.params(),
                    }),
                    signal === undefined ? {} : { abortSignal: signal },
                  ),
                call,
              );
            })();
      const items = ((out.Items ?? []) as Item[]).filter((i) =>
        entity === undefined ? !String(i[table.partitionKey]).startsWith(reservedPrefix) : entity.owns(i),
      );
      return { items, next: out.LastEvaluatedKey };
    },
    async write(changes): Promise<BackfillWriteResult> {
      let memo = settled.get(changes);
      if (memo === undefined) settled.set(changes, (memo = new Map<number, Outcome>()));
      const done = memo;
      let repeat: Error | undefined;
      await pool(changes, concurrency, async ({ item, change }, i) => {
        const before = done.get(i);
        if (before !== undefined && !(typeof before === 'object' && 'repeat' in before)) return;
        try {
          const wrote = await writeOne(runtime, table, item, change, versioned, reads, call);
          done.set(i, wrote ? 'changed' : 'skipped');
        } catch (err) {
          if (isConditionFailure(err)) done.set(i, 'skipped');
          else if (isRepeat(err) && err instanceof Error) {
            done.set(i, { repeat: err });
            repeat ??= err;
          } else done.set(i, { reason: err instanceof Error ? err.message : String(err) });
        }
      });
      if (repeat !== undefined) throw repeat;
      const result: BackfillWriteResult = { changed: 0, skipped: 0, failures: [] };
      for (const [i, outcome] of done) {
        if (outcome === 'changed') result.changed++;
        else if (outcome === 'skipped') result.skipped++;
        else if ('reason' in outcome) {
          const item = changes[i]?.item ?? {};
          result.failures.push({ key: JSON.stringify(keyOf(table, item)), reason: outcome.reason });
        }
      }
      settled.delete(changes);
      return result;
    },
    async estimate() {
      const out = await runDynamo(runtime, dynamoOperations.describeTable, table.name, (signal) =>
        runtime.client.send(
          new DescribeTableCommand({ TableName: table.name }),
          signal === undefined ? {} : { abortSignal: signal },
        ),
      );
      return out.Table?.ItemCount;
    },
  };
}

/**
 * Backfills a DynamoDB table or entity: walks it with a parallel segmented Scan (`segments` lanes,
 * each checkpointed in the table itself, so a killed run resumes where it stopped), or a Query on
 * one partition, passes each raw item to `transform`, and writes each change conditioned on the item
 * being as it was read (its `version` for a versioned entity, which the write increments; else the
 * read values of the attributes it touches and `reads`): a concurrent application write is never
 * overwritten, the item is skipped instead, and an item already done is skipped on a re-run. dbkit's
 * own items (journal, checkpoints) are never visited. `total` comes from DescribeTable's ItemCount,
 * which DynamoDB refreshes about every six hours: an estimate.
 *
 * @example
 * ```ts
 * const report = await backfill(db, {
 *   name: 'users-status', source: User, itemsPerSecond: 500,
 *   transform: (item) => (item.status === undefined ? { set: { status: 'active' } } : undefined),
 * })
 * ```
 */
export async function backfill(
  client: DynamoClient,
  options: DynamoBackfillOptions,
): Promise<BackfillReport> {
  const runtime = runtimeOf(client);
  const store = dynamoCheckpoints(runtime, options.checkpointTable ?? tableOf(options.source));
  return runBackfill(source(runtime, options), store, (item) => options.transform(item), options);
}
