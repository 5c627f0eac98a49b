// Records the DynamoDB requests a client really sends, as IAM sees them: one action per item or table, with its leading keys.
import type { BuildMiddleware, MetadataBearer } from '@smithy/types';
import type { DynamoClient } from '../../src/dynamo/client.js';
import { startFaultProxy } from '../../src/testing/faults/index.js';

/** One authorization check IAM makes for a request: action, table, index and partition-key values. */
export interface DynamoRequest {
  action: string;
  table: string;
  index?: string;
  /** The partition-key values the request touches (`dynamodb:LeadingKeys`); empty when it names none. */
  leadingKeys: string[];
}

/** Which attribute is the partition key of a table (or of one of its indexes). */
export type PartitionKeyOf = (table: string, index?: string) => string;

type Wire = Record<string, unknown>;
type AttributeMap = Record<string, { S?: string } | undefined>;

function valueOf(map: unknown, attribute: string): string[] {
  const v = (map as AttributeMap | undefined)?.[attribute]?.S;
  return v === undefined ? [] : [v];
}

/** The partition value of `#n0 = :v0 AND ...`: dbkit always puts the partition condition first. */
function queryPartition(body: Wire): string[] {
  const expr = typeof body.KeyConditionExpression === 'string' ? body.KeyConditionExpression : '';
  const match = /^\s*(#\w+)\s*=\s*(:\w+)/.exec(expr);
  if (match === null) return [];
  const value = (body.ExpressionAttributeValues as AttributeMap | undefined)?.[match[2] ?? '']?.S;
  return value === undefined ? [] : [value];
}

const ITEM_ACTION: Readonly<Record<string, string>> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

/**
 * The IAM checks one DynamoDB API call makes. Transactions are checked item by item as the
 * single-item action (there is no TransactWriteItems permission); batches once per table with
 * every partition key of that table.
 */
export function iamRequestsOf(
  operation: string,
  body: Wire,
  partitionKeyOf: PartitionKeyOf,
): DynamoRequest[] {
  const table = typeof body.TableName === 'string' ? body.TableName : '';
  const index = typeof body.IndexName === 'string' ? body.IndexName : undefined;
  const withIndex = (r: DynamoRequest): DynamoRequest => (index === undefined ? r : { ...r, index });
  switch (operation) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [{ action: operation, table, leadingKeys: valueOf(body.Key, partitionKeyOf(table)) }];
    case 'PutItem':
      return [{ action: operation, table, leadingKeys: valueOf(body.Item, partitionKeyOf(table)) }];
    case 'Query':
      return [withIndex({ action: operation, table, leadingKeys: queryPartition(body) })];
    case 'Scan':
      return [withIndex({ action: operation, table, leadingKeys: [] })];
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((body.TransactItems ?? []) as Wire[]).flatMap((item) =>
        Object.entries(item).map(([kind, p]) => {
          const params = p as Wire;
          const t = String(params.TableName);
          const key = kind === 'Put' ? params.Item : params.Key;
          return {
            action: ITEM_ACTION[kind] ?? kind,
            table: t,
            leadingKeys: valueOf(key, partitionKeyOf(t)),
          };
        }),
      );
    case 'BatchGetItem':
      return Object.entries((body.RequestItems ?? {}) as Record<string, { Keys: Wire[] }>).map(([t, r]) => ({
        action: operation,
        table: t,
        leadingKeys: [...new Set(r.Keys.flatMap((k) => valueOf(k, partitionKeyOf(t))))],
      }));
    case 'BatchWriteItem':
      return Object.entries((body.RequestItems ?? {}) as Record<string, Wire[]>).map(([t, writes]) => ({
        action: operation,
        table: t,
        leadingKeys: [
          ...new Set(
            writes.flatMap((w) =>
              valueOf(
                (w.PutRequest as Wire | undefined)?.Item ?? (w.DeleteRequest as Wire | undefined)?.Key,
                partitionKeyOf(t),
              ),
            ),
          ),
        ],
      }));
    default:
      return [{ action: operation, table, leadingKeys: [] }];
  }
}

/** `DynamoDB_20120810.GetItem` → `GetItem`. */
function operationOf(target: string | string[] | undefined): string {
  const t = Array.isArray(target) ? (target[0] ?? '') : (target ?? '');
  return t.slice(t.indexOf('.') + 1);
}

/**
 * Adds a middleware to the build step of a dbkit client's SDK stack that records each request's IAM
 * checks after serialisation. The DocumentClient normally shares its client's stack; when it finds
 * no serializer there (mismatched SDK versions) it builds a substitute client, so that stack too.
 */
export function recordRequests(db: DynamoClient, partitionKeyOf: PartitionKeyOf): DynamoRequest[] {
  const requests: DynamoRequest[] = [];
  const record: BuildMiddleware<object, MetadataBearer> = (next) => async (args) => {
    const req = args.request as { headers?: Record<string, string>; body?: unknown };
    // Serialised JSON: a string, or bytes in recent SDK versions.
    const text =
      typeof req.body === 'string'
        ? req.body
        : req.body instanceof Uint8Array
          ? new TextDecoder().decode(req.body)
          : undefined;
    if (text !== undefined)
      requests.push(
        ...iamRequestsOf(
          operationOf(req.headers?.['x-amz-target']),
          JSON.parse(text) as Wire,
          partitionKeyOf,
        ),
      );
    return next(args);
  };
  db.client.middlewareStack.add(record, { step: 'build', name: 'dbkitIamRecorder' });
  if ((db.document.middlewareStack as unknown) !== db.client.middlewareStack)
    db.document.middlewareStack.add(record, { step: 'build', name: 'dbkitIamRecorder' });
  return requests;
}

/** A loopback HTTP proxy in front of DynamoDB that records each request's IAM checks. */
export interface RecordingProxy {
  url: string;
  requests: DynamoRequest[];
  close(): Promise<void>;
}

/**
 * Starts a recording proxy to `target` (DynamoDB Local's URL). For code that builds its own client
 * (the example store): point it at `url` and read `requests`. Reads the wire, not the SDK, so it
 * sees exactly what reaches DynamoDB, retries included.
 */
export async function startRecordingProxy(
  target: string,
  partitionKeyOf: PartitionKeyOf,
): Promise<RecordingProxy> {
  const requests: DynamoRequest[] = [];
  // The fault kit's proxy with a rule that only records: it sees every request the wire carries.
  const proxy = await startFaultProxy(target);
  proxy.setRule((operation, body) => {
    requests.push(...iamRequestsOf(operation, body, partitionKeyOf));
    return { kind: 'forward' };
  });
  return { url: proxy.endpoint, requests, close: () => proxy.close() };
}
