// Pure diff of a declared table against DescribeTable / DescribeTimeToLive: what syncTable can add in place, and the drift it can only report.
import type {
  AttributeDefinition,
  GlobalSecondaryIndexDescription,
  KeySchemaElement,
  Projection,
  TableDescription,
  TimeToLiveDescription,
} from '@aws-sdk/client-dynamodb';
import type { IndexDefinition, IndexProjection, Table } from './table.js';

/**
 * What kind of difference a {@link TableDrift} is. None of them can be changed in place by
 * DynamoDB (or by dbkit without deleting something), so `syncTable` reports them and changes nothing.
 *
 * @example
 * ```ts
 * const kind: TableDriftKind = 'indexProjection'
 * ```
 */
export type TableDriftKind =
  | 'keySchema'
  | 'attributeType'
  | 'indexKeySchema'
  | 'indexProjection'
  | 'undeclaredIndex'
  | 'ttlAttribute'
  | 'ttlUndeclared'
  | 'ttlDisabling';

/**
 * One difference between the declared table and the live one that `syncTable` does not change.
 * Strings only, so a report prints as JSON as it is.
 *
 * @example
 * ```ts
 * const drift: TableDrift = {
 *   kind: 'indexProjection', name: 'gsi1', declared: 'ALL', actual: 'KEYS_ONLY',
 *   reason: 'DynamoDB cannot change a GSI projection: drop the index and create it again',
 * }
 * ```
 */
export interface TableDrift {
  kind: TableDriftKind;
  /** The index or attribute concerned, when there is one. */
  name?: string;
  /** What the declaration says, as text. */
  declared?: string;
  /** What DynamoDB has, as text. */
  actual?: string;
  /** Why it cannot be changed in place, and what would change it. */
  reason: string;
}

/**
 * What bringing a live table to its declaration takes: the GSIs to create (one UpdateTable each),
 * the declared GSIs DynamoDB is still building, TTL to enable, what already matches, and the drift.
 *
 * @example
 * ```ts
 * const plan: TablePlan = diffTable(app, described.Table, ttl.TimeToLiveDescription)
 * plan.indexesToCreate // ['gsi2']
 * ```
 */
export interface TablePlan {
  indexesToCreate: string[];
  /** Declared GSIs that exist but are not ACTIVE yet (or still backfilling). */
  indexesPending: string[];
  enableTtl: boolean;
  /** What already matches: `keySchema`, `index:<name>`, `ttl:<attribute>`. */
  unchanged: string[];
  drift: TableDrift[];
}

const dropAndRecreate = 'DynamoDB cannot modify a GSI: drop the index and create it again (then backfill)';

function describeKeys(keys: readonly KeySchemaElement[] | undefined): string {
  return (keys ?? []).map((k) => `${k.AttributeName ?? '?'} ${k.KeyType ?? '?'}`).join(', ');
}

function declaredKeys(partitionKey: string, sortKey: string | undefined): string {
  return sortKey === undefined ? `${partitionKey} HASH` : `${partitionKey} HASH, ${sortKey} RANGE`;
}

/** A projection as text: `ALL`, `KEYS_ONLY` or `INCLUDE(a,b)` with the attributes sorted. */
function describeProjection(p: Projection | undefined): string {
  const type = p?.ProjectionType ?? 'ALL';
  if (type !== 'INCLUDE') return type;
  return `INCLUDE(${[...(p?.NonKeyAttributes ?? [])].sort().join(',')})`;
}

function declaredProjection(p: IndexProjection | undefined): string {
  if (p === undefined || p === 'ALL' || p === 'KEYS_ONLY') return p ?? 'ALL';
  return `INCLUDE(${[...p.include].sort().join(',')})`;
}

function indexKeyAttributes(index: IndexDefinition): string[] {
  return index.sortKey === undefined ? [index.partitionKey] : [index.partitionKey, index.sortKey];
}

/**
 * Diffs a declared table against DescribeTable's `Table` and DescribeTimeToLive's description.
 * Pure: nothing is sent. Key attributes are declared as strings (`S`), as `createTable` makes them.
 *
 * @example
 * ```ts
 * const plan = diffTable(app, (await sdk.send(new DescribeTableCommand({ TableName: app.name }))).Table!)
 * ```
 */
export function diffTable(table: Table, live: TableDescription, ttl?: TimeToLiveDescription): TablePlan {
  const plan: TablePlan = {
    indexesToCreate: [],
    indexesPending: [],
    enableTtl: false,
    unchanged: [],
    drift: [],
  };
  const types = new Map<string, string>(
    (live.AttributeDefinitions ?? []).map((a: AttributeDefinition) => [
      a.AttributeName ?? '',
      a.AttributeType ?? '',
    ]),
  );
  const typeConflict = (attribute: string): boolean => {
    const actual = types.get(attribute);
    if (actual === undefined || actual === 'S') return false;
    if (!plan.drift.some((d) => d.kind === 'attributeType' && d.name === attribute))
      plan.drift.push({
        kind: 'attributeType',
        name: attribute,
        declared: 'S',
        actual,
        reason: `key attribute "${attribute}" is declared as a string but the table defines it as ${actual}; a key attribute's type cannot change`,
      });
    return true;
  };

  const wantKeys = declaredKeys(table.partitionKey, table.sortKey);
  const haveKeys = describeKeys(live.KeySchema);
  if (wantKeys !== haveKeys)
    plan.drift.push({
      kind: 'keySchema',
      declared: wantKeys,
      actual: haveKeys,
      reason: "a table's primary key cannot change: create a new table and copy the items",
    });
  else plan.unchanged.push('keySchema');
  typeConflict(table.partitionKey);
  if (table.sortKey !== undefined) typeConflict(table.sortKey);

  const liveIndexes = new Map<string, GlobalSecondaryIndexDescription>(
    (live.GlobalSecondaryIndexes ?? []).map((g) => [g.IndexName ?? '', g]),
  );
  for (const [name, index] of Object.entries(table.indexes)) {
    const found = liveIndexes.get(name);
    const conflicts = indexKeyAttributes(index).filter(typeConflict);
    if (found === undefined) {
      // Creating it would need the attribute with another type: reported above, not attempted.
      if (conflicts.length === 0) plan.indexesToCreate.push(name);
      continue;
    }
    let same = true;
    const want = declaredKeys(index.partitionKey, index.sortKey);
    const have = describeKeys(found.KeySchema);
    if (want !== have) {
      same = false;
      plan.drift.push({
        kind: 'indexKeySchema',
        name,
        declared: want,
        actual: have,
        reason: dropAndRecreate,
      });
    }
    const wantProjection = declaredProjection(index.projection);
    const haveProjection = describeProjection(found.Projection);
    if (wantProjection !== haveProjection) {
      same = false;
      plan.drift.push({
        kind: 'indexProjection',
        name,
        declared: wantProjection,
        actual: haveProjection,
        reason: dropAndRecreate,
      });
    }
    if (!same || conflicts.length > 0) continue;
    if (found.IndexStatus !== undefined && found.IndexStatus !== 'ACTIVE') plan.indexesPending.push(name);
    else if (found.Backfilling === true) plan.indexesPending.push(name);
    else plan.unchanged.push(`index:${name}`);
  }
  for (const [name, found] of liveIndexes) {
    if (Object.hasOwn(table.indexes, name)) continue;
    plan.drift.push({
      kind: 'undeclaredIndex',
      name,
      actual: `${describeKeys(found.KeySchema)}; ${describeProjection(found.Projection)}`,
      reason:
        'the table has a GSI the declaration does not: declare it, or delete it yourself (dbkit never deletes)',
    });
  }
  for (const lsi of live.LocalSecondaryIndexes ?? []) {
    plan.drift.push({
      kind: 'undeclaredIndex',
      name: lsi.IndexName ?? '',
      actual: `LSI ${describeKeys(lsi.KeySchema)}; ${describeProjection(lsi.Projection)}`,
      reason: 'dbkit declares no local secondary indexes; an LSI exists only from table creation',
    });
  }

  const status = ttl?.TimeToLiveStatus ?? 'DISABLED';
  const liveTtl = ttl?.AttributeName;
  const on = status === 'ENABLED' || status === 'ENABLING';
  if (table.ttlAttribute === undefined) {
    if (on)
      plan.drift.push({
        kind: 'ttlUndeclared',
        name: liveTtl ?? '',
        actual: liveTtl ?? '',
        reason: 'TTL is enabled on the table but not declared: declare ttlAttribute, or disable it yourself',
      });
  } else if (on && liveTtl === table.ttlAttribute) plan.unchanged.push(`ttl:${table.ttlAttribute}`);
  else if (on)
    plan.drift.push({
      kind: 'ttlAttribute',
      name: table.ttlAttribute,
      declared: table.ttlAttribute,
      actual: liveTtl ?? '',
      reason:
        'TTL is enabled on another attribute: disable it (UpdateTimeToLive), wait until DynamoDB reports it disabled (up to an hour), then sync again',
    });
  else if (status === 'DISABLING')
    plan.drift.push({
      kind: 'ttlDisabling',
      name: table.ttlAttribute,
      declared: table.ttlAttribute,
      actual: `${liveTtl ?? ''} DISABLING`,
      reason:
        'TTL is being disabled; DynamoDB accepts a new TTL setting once that ends (up to an hour): sync again then',
    });
  else plan.enableTtl = true;
  return plan;
}

/**
 * True when the live table bills by provisioned capacity (DynamoDB Local leaves `BillingModeSummary`
 * out for those), so a new GSI needs its own throughput.
 *
 * @example
 * ```ts
 * isProvisioned(described.Table) // false for PAY_PER_REQUEST
 * ```
 */
export function isProvisioned(live: TableDescription): boolean {
  const mode = live.BillingModeSummary?.BillingMode;
  if (mode !== undefined) return mode === 'PROVISIONED';
  return (live.ProvisionedThroughput?.ReadCapacityUnits ?? 0) > 0;
}
