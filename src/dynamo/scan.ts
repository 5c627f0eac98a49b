// Scan, refused unless explicitly allowed; parallel segments for migrations and admin tools.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { pageSize, ValidationError } from '../core/internal.js';
import type { CursorBinding, Page } from '../core/internal.js';
import { andAll, buildCondition } from './condition-builder.js';
import type { AnyEntity, EntityItem } from './entity.js';
import { ExpressionContext } from './expressions.js';
import { convertNumbers } from './numbers.js';
import { dynamoOperations, runDynamo } from './operations.js';
import { decodeKey } from './pagination.js';
import { withCapacity } from './runtime.js';
import type { CallOptions } from '../core/internal.js';
import type { Runtime } from './runtime.js';
import type { Table } from './table.js';

/**
 * Options of a scan. `allowScan: true` is required: a scan reads (and bills) the whole table.
 *
 * @example
 * ```ts
 * const page = await db.scan(User, { allowScan: true, limit: 100, cursor: req.query.cursor })
 * ```
 */
export interface ScanOptions {
  allowScan: true;
  /** Scan a GSI instead of the table. */
  index?: string | undefined;
  /** Page size (default 25, max 1000). */
  limit?: number | undefined;
  cursor?: string | null | undefined;
  /** Raw condition on attributes (applied after reading). */
  filter?: object | undefined;
  /** Parallel scan: this worker's segment and the total. */
  segment?: number;
  totalSegments?: number;
}

function tableOf(source: Table | AnyEntity): Table {
  return 'partitionKey' in source ? source : source.table;
}

function isEntity(source: Table | AnyEntity): source is AnyEntity {
  return !('partitionKey' in source);
}

/**
 * Scan params; throws unless `allowScan: true`. For an entity, only its items are returned.
 *
 * @example
 * ```ts
 * scanParams(User, { allowScan: true, segment: 0, totalSegments: 4 })
 * ```
 */
export function scanParams(
  source: Table | AnyEntity,
  options: ScanOptions,
): { params: ScanCommandInput; binding: CursorBinding } {
  if ((options as { allowScan?: unknown }).allowScan !== true) {
    throw new ValidationError(
      [
        {
          path: ['allowScan'],
          message: 'a scan reads the whole table; pass { allowScan: true } to run one',
          code: 'scan.notAllowed',
        },
      ],
      {
        engine: 'dynamodb',
        code: 'scan.notAllowed',
        message:
          'Scan refused: it reads and bills the whole table. Use a query, or pass { allowScan: true } for migrations and admin tools.',
      },
    );
  }
  const table = tableOf(source);
  const ctx = new ExpressionContext();
  const parts = [buildCondition(options.filter, ctx)];
  if (isEntity(source)) parts.push(`${ctx.name(table.entityAttribute)} = ${ctx.value(source.name)}`);
  const params: ScanCommandInput = { TableName: table.name, Limit: pageSize(options.limit) };
  if (options.index !== undefined) params.IndexName = options.index;
  const filter = andAll(parts);
  if (filter !== undefined) params.FilterExpression = filter;
  if (options.totalSegments !== undefined) {
    params.Segment = options.segment ?? 0;
    params.TotalSegments = options.totalSegments;
  }
  Object.assign(params, ctx.params());
  const binding: CursorBinding = {
    source: table.name,
    filter: {
      scan: true,
      f: params.FilterExpression,
      v: params.ExpressionAttributeValues,
      s: params.Segment,
      t: params.TotalSegments,
    },
  };
  if (options.index !== undefined) binding.index = options.index;
  return { params, binding };
}

/**
 * The item type a scan yields: entity items, or raw items for a table.
 *
 * @example
 * ```ts
 * type Row = ScanItem<typeof app> // Record<string, unknown>; ScanItem<typeof User> is the User item
 * ```
 */
export type ScanItem<S> = S extends AnyEntity ? EntityItem<S> : Record<string, unknown>;

/**
 * Scans one page (of one segment).
 *
 * @example
 * ```ts
 * const page = await scanPage(runtime, User, { allowScan: true, limit: 100 })
 * ```
 */
export async function scanPage<S extends Table | AnyEntity>(
  runtime: Runtime,
  source: S,
  options: ScanOptions & CallOptions,
): Promise<Page<ScanItem<S>>> {
  const { params, binding } = scanParams(source, options);
  const request = withCapacity(runtime, params);
  if (options.cursor !== undefined && options.cursor !== null)
    request.ExclusiveStartKey = decodeKey(runtime, options.cursor, binding);
  const out = await runDynamo(
    runtime,
    dynamoOperations.scan,
    params.TableName ?? '',
    (signal) =>
      runtime.document.send(new ScanCommand(request), signal === undefined ? {} : { abortSignal: signal }),
    options,
    { count: (r) => r.Count },
  );
  const raw = (out.Items ?? []) as Record<string, unknown>[];
  const items = isEntity(source)
    ? raw.filter((r) => source.owns(r)).map((r) => source.parse(r, 'scan'))
    : raw.map((r) => convertNumbers(r, undefined, { target: params.TableName ?? '', operation: 'scan' }));
  const cursor =
    out.LastEvaluatedKey === undefined ? null : runtime.cursors.encode(out.LastEvaluatedKey, binding);
  return { items: items as ScanItem<S>[], cursor };
}

/**
 * Options of a full (optionally parallel) scan.
 *
 * @example
 * ```ts
 * for await (const page of db.scanAll(app, { allowScan: true, segments: 4 })) await migrate(page.items)
 * ```
 */
export interface ScanAllOptions
  extends Omit<ScanOptions, 'segment' | 'totalSegments' | 'cursor'>, CallOptions {
  /** Segments scanned in parallel. Default 1. */
  segments?: number | undefined;
}

/**
 * Scans the whole table (or an entity's items in it) with `segments` parallel workers, yielding
 * pages as they arrive.
 *
 * @example
 * ```ts
 * for await (const page of scanAll(runtime, User, { allowScan: true, segments: 4 })) await migrate(page.items)
 * ```
 */
export async function* scanAll<S extends Table | AnyEntity>(
  runtime: Runtime,
  source: S,
  options: ScanAllOptions,
): AsyncGenerator<Page<ScanItem<S>>, void, undefined> {
  const totalSegments = Math.max(1, Math.floor(options.segments ?? 1));
  const cursors: (string | null | undefined)[] = Array.from({ length: totalSegments }, () => undefined);
  const fetch = (segment: number): Promise<{ segment: number; page: Page<ScanItem<S>> }> => {
    const pending = scanPage(runtime, source, {
      ...options,
      segment,
      totalSegments,
      cursor: cursors[segment] ?? null,
    }).then((page) => ({ segment, page }));
    // A consumer that stops early leaves requests in flight; their failures must not go unhandled.
    pending.catch(() => undefined);
    return pending;
  };
  const inFlight = new Map<number, Promise<{ segment: number; page: Page<ScanItem<S>> }>>();
  for (let s = 0; s < totalSegments; s++) inFlight.set(s, fetch(s));
  while (inFlight.size > 0) {
    const { segment, page } = await Promise.race(inFlight.values());
    inFlight.delete(segment);
    cursors[segment] = page.cursor;
    if (page.cursor !== null) inFlight.set(segment, fetch(segment));
    yield page;
  }
}
