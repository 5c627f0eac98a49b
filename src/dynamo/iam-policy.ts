// Least-privilege IAM policies generated from a service's tables, entities and the dbkit operations it uses.
import type { AnyEntity } from './entity.js';
import type { Table } from './table.js';

/**
 * IAM actions dbkit can send; every other DynamoDB action stays ungranted.
 *
 * @example
 * ```ts
 * const action: DynamoAction = 'dynamodb:Query'
 * ```
 */
export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:Query'
  | 'dynamodb:Scan'
  | 'dynamodb:DescribeTable'
  | 'dynamodb:CreateTable'
  | 'dynamodb:UpdateTable'
  | 'dynamodb:DescribeTimeToLive'
  | 'dynamodb:UpdateTimeToLive'
  | 'dynamodb:DescribeContinuousBackups'
  | 'dynamodb:UpdateContinuousBackups'
  | 'dynamodb:TagResource'
  | 'dynamodb:ListTagsOfResource';

type IndexNames<E extends AnyEntity> = keyof E['~types']['indexes'] & string;

/**
 * A dbkit operation on an entity. Transactions need no operation of their own: IAM checks each
 * transaction item as the single-item action it performs (`tx.create` / `tx.put` as PutItem,
 * `tx.update` as UpdateItem, `tx.delete` as DeleteItem, `tx.check` as ConditionCheckItem, `txGet`
 * as GetItem), so declare `create`, `update`, `check`, `get`... for them.
 *
 * @example
 * ```ts
 * const op: EntityOperation<typeof User> = 'query:gsi1'
 * ```
 */
export type EntityOperation<E extends AnyEntity = AnyEntity> =
  | 'get'
  | 'create'
  | 'put'
  | 'update'
  | 'delete'
  | 'check'
  | 'batchGet'
  | 'batchWrite'
  | 'query'
  | `query:${IndexNames<E>}`;

/**
 * A scan of the entity's table or one of its indexes: refused unless the access opts in with `allowScan: true`.
 *
 * @example
 * ```ts
 * entityAccess(User, ['get', 'scan'], { allowScan: true })
 * ```
 */
export type ScanOperation<E extends AnyEntity = AnyEntity> = 'scan' | `scan:${IndexNames<E>}`;

/**
 * Per-tenant partition isolation: every partition key the entity uses must start with the caller's tenant.
 *
 * @example
 * ```ts
 * const tenant: TenantIsolation = { attribute: 'tenantId', variable: 'aws:PrincipalTag/tenant' }
 * ```
 */
export interface TenantIsolation {
  /** The attribute holding the tenant id; it must be the first attribute of every partition-key template used. */
  attribute: string;
  /**
   * The IAM policy variable the tenant id is compared with. Default `${aws:PrincipalTag/tenant}`
   * (a session or role tag); web identity federation would use e.g. `${cognito-identity.amazonaws.com:sub}`.
   */
  variable?: string;
}

/**
 * What a service does with one entity; build it with {@link entityAccess} for checked operation names.
 *
 * @example
 * ```ts
 * const access: EntityAccess = entityAccess(User, ['get', 'create', 'query:gsi1'])
 * ```
 */
export interface EntityAccess {
  readonly entity: AnyEntity;
  readonly operations: readonly string[];
  readonly allowScan: boolean;
  readonly tenant: TenantIsolation | undefined;
}

/**
 * Options of {@link entityAccess}.
 *
 * @example
 * ```ts
 * entityAccess(Member, ['get', 'create'], { tenant: { attribute: 'tenantId' } })
 * ```
 */
export type EntityAccessOptions<E extends AnyEntity, O extends readonly string[]> = {
  /** Restrict every request on this entity to the caller's tenant with `dynamodb:LeadingKeys`. */
  tenant?: TenantIsolation;
} & (O[number] extends EntityOperation<E>
  ? { allowScan?: boolean }
  : {
      /** Scans read and bill the whole table: a service role gets Scan only when this says so. */ allowScan: true;
    });

/**
 * Declares what a service does with an entity. Operation names are checked against the entity:
 * `query:gsi2` is a type error when the entity has no templates for `gsi2`, and `scan` needs
 * `allowScan: true`.
 *
 * @example
 * ```ts
 * const users = entityAccess(User, ['get', 'create', 'update', 'query:gsi1'])
 * const reports = entityAccess(Report, ['query', 'scan'], { allowScan: true })
 * ```
 */
export function entityAccess<
  E extends AnyEntity,
  const O extends readonly (EntityOperation<E> | ScanOperation<E>)[],
>(
  entity: E,
  operations: O,
  ...options: O[number] extends EntityOperation<E>
    ? [EntityAccessOptions<E, O>?]
    : [EntityAccessOptions<E, O>]
): EntityAccess {
  const opts: { allowScan?: boolean; tenant?: TenantIsolation } = options[0] ?? {};
  for (const op of operations) checkOperation(entity, op, opts.allowScan === true);
  return Object.freeze({
    entity,
    operations: Object.freeze([...operations]),
    allowScan: opts.allowScan === true,
    tenant: opts.tenant,
  });
}

const SINGLE: Readonly<Record<string, DynamoAction>> = {
  get: 'dynamodb:GetItem',
  create: 'dynamodb:PutItem',
  put: 'dynamodb:PutItem',
  update: 'dynamodb:UpdateItem',
  delete: 'dynamodb:DeleteItem',
  check: 'dynamodb:ConditionCheckItem',
  batchGet: 'dynamodb:BatchGetItem',
  batchWrite: 'dynamodb:BatchWriteItem',
};

function checkOperation(entity: AnyEntity, op: string, allowScan: boolean): void {
  const [verb, index] = op.split(':') as [string, string | undefined];
  if (verb in SINGLE && index === undefined) return;
  if (verb === 'query' || verb === 'scan') {
    if (verb === 'scan' && !allowScan)
      throw new TypeError(
        `dbkit: ${entity.name} declares "${op}" without allowScan: true; a scan reads and bills the whole table`,
      );
    if (index === undefined) return;
    if (entity.keys[index] === undefined || index === 'primary')
      throw new TypeError(`dbkit: ${entity.name} has no key templates for index "${index}" (in "${op}")`);
    return;
  }
  throw new TypeError(`dbkit: unknown operation "${op}" for ${entity.name}`);
}

/**
 * Where the policy's ARNs point. Values may be CloudFormation `${AWS::...}` / `${Param}` references.
 *
 * @example
 * ```ts
 * const arn: ArnContext = { account: '123456789012', region: 'eu-west-1' }
 * ```
 */
export interface ArnContext {
  /** AWS account id, e.g. `123456789012`. */
  account: string;
  /** Region, e.g. `eu-west-1`. */
  region: string;
  /** Partition. Default `aws`. */
  partition?: string;
  /** The deployed name of a defined table (per stage, say). Default: the table's own name. */
  tableName?: (table: Table) => string;
}

/**
 * ARNs for CloudFormation: `Fn::Sub` resolves these references in {@link cloudFormationPolicy}.
 *
 * @example
 * ```ts
 * serviceIamPolicy({ access, arn: cloudFormationArns })
 * ```
 */
export const cloudFormationArns: ArnContext = Object.freeze({
  account: '${AWS::AccountId}',
  region: '${AWS::Region}',
  partition: '${AWS::Partition}',
});

/**
 * An IAM policy statement as dbkit writes it.
 *
 * @example
 * ```ts
 * const reads: IamStatement[] = policy.Statement.filter((s) => s.Action.includes('dynamodb:GetItem'))
 * ```
 */
export interface IamStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * An IAM policy document.
 *
 * @example
 * ```ts
 * const policy: IamPolicyDocument = serviceIamPolicy({ access, arn })
 * console.log(JSON.stringify(policy, null, 2))
 * ```
 */
export interface IamPolicyDocument {
  Version: '2012-10-17';
  Statement: IamStatement[];
}

/**
 * Input of {@link serviceIamPolicy}.
 *
 * @example
 * ```ts
 * serviceIamPolicy({ access: [entityAccess(User, ['get', 'create'])], arn: { account: '123456789012', region: 'eu-west-1' } })
 * ```
 */
export interface ServicePolicyInput {
  /** What the service does with each entity ({@link entityAccess}). */
  access: readonly EntityAccess[];
  arn: ArnContext;
  /**
   * The service calls `db.ensureTable` at startup on tables the migration role created: grants
   * DescribeTable (and DescribeTimeToLive on a table with a TTL attribute). Default false.
   */
  verifiesTables?: boolean;
  /**
   * Add an explicit Deny of DeleteTable, UpdateTable, UpdateTimeToLive, UpdateContinuousBackups and
   * (unless some access opts in) Scan on the tables, so a broader policy attached later cannot grant
   * them. Default true.
   */
  guardrails?: boolean;
}

/**
 * The ARN of a table, or of one of its indexes.
 *
 * @example
 * ```ts
 * tableArn(app, { account: '123456789012', region: 'eu-west-1' }, 'gsi1')
 * // 'arn:aws:dynamodb:eu-west-1:123456789012:table/app/index/gsi1'
 * ```
 */
export function tableArn(table: Table, arn: ArnContext, index?: string): string {
  const name = arn.tableName?.(table) ?? table.name;
  const base = `arn:${arn.partition ?? 'aws'}:dynamodb:${arn.region}:${arn.account}:table/${name}`;
  return index === undefined ? base : `${base}/index/${index}`;
}

/** @internal One grant before grouping: an action on a resource, maybe under a LeadingKeys pattern. */
export interface Grant {
  action: string;
  resource: string;
  leadingKey: string | undefined;
  table: Table;
}

const VARIABLE = '${aws:PrincipalTag/tenant}';

/** The LeadingKeys pattern of one partition-key template, or an error when the tenant does not lead it. */
function leadingKeyPattern(entity: AnyEntity, index: string, tenant: TenantIsolation): string {
  const compiled = entity.keys[index];
  if (compiled === undefined) throw new TypeError(`dbkit: ${entity.name} has no key for ${index}`);
  const parts = compiled.pk.parts;
  const first = parts.findIndex((p) => 'attribute' in p);
  const firstPart = parts[first];
  if (firstPart === undefined || !('attribute' in firstPart) || firstPart.attribute !== tenant.attribute)
    throw new TypeError(
      `dbkit: ${entity.name}'s partition key for ${index} ("${compiled.pk.source}") must start with {${tenant.attribute}} (after a fixed prefix) to be isolated per tenant`,
    );
  if (compiled.pk.staticPrefix === '')
    throw new TypeError(
      `dbkit: ${entity.name}'s partition key for ${index} ("${compiled.pk.source}") needs a fixed prefix before {${tenant.attribute}}, or another entity's keys could match the pattern`,
    );
  const variable = tenant.variable ?? VARIABLE;
  const rest = parts.slice(first + 1);
  // Key values cannot contain the delimiter (keyValues: 'reject', or escaped), so the tenant segment ends at it.
  if (rest.length === 0) return `${compiled.pk.staticPrefix}${variable}`;
  const next = rest[0];
  const delimiter = next !== undefined && 'literal' in next ? next.literal.charAt(0) : '';
  if (delimiter === '' || !entity.table.keyDelimiters.includes(delimiter))
    throw new TypeError(
      `dbkit: ${entity.name}'s partition key for ${index} ("${compiled.pk.source}") must follow {${tenant.attribute}} with a delimiter`,
    );
  return `${compiled.pk.staticPrefix}${variable}${delimiter}*`;
}

function grantsOf(access: EntityAccess, arn: ArnContext): Grant[] {
  const { entity, tenant } = access;
  const table = entity.table;
  const out: Grant[] = [];
  const add = (action: string, index: string | undefined): void => {
    const leadingKey =
      tenant === undefined || action === 'dynamodb:Scan'
        ? undefined
        : leadingKeyPattern(entity, index ?? 'primary', tenant);
    out.push({ action, resource: tableArn(table, arn, index), leadingKey, table });
  };
  for (const op of access.operations) {
    checkOperation(entity, op, access.allowScan);
    const [verb, index] = op.split(':') as [string, string | undefined];
    const single = SINGLE[verb];
    if (single !== undefined) add(single, undefined);
    else if (verb === 'query') add('dynamodb:Query', index);
    else if (tenant !== undefined)
      throw new TypeError(`dbkit: ${entity.name} is isolated per tenant; a scan would cross tenants`);
    else add('dynamodb:Scan', index);
  }
  return out;
}

/**
 * @internal Groups grants into statements. The LeadingKeys patterns of one action on one resource are merged
 * (a batch may touch several tenant-keyed entities at once: every key must match one of them), then
 * resources with the same actions and patterns share a statement.
 */
export function statements(grants: readonly Grant[], sidPrefix: string): IamStatement[] {
  const patterns = new Map<string, Set<string>>();
  for (const g of grants) {
    const key = `${g.resource}\u0000${g.action}`;
    const set = patterns.get(key) ?? new Set<string>();
    if (g.leadingKey !== undefined) set.add(g.leadingKey);
    patterns.set(key, set);
  }
  const perResource = new Map<string, { resource: string; actions: string[]; patterns: string[] }>();
  for (const [key, set] of patterns) {
    const [resource, action] = key.split('\u0000') as [string, string];
    const sorted = [...set].sort();
    const id = `${resource}\u0000${sorted.join('\u0001')}`;
    const entry = perResource.get(id) ?? { resource, actions: [], patterns: sorted };
    entry.actions.push(action);
    perResource.set(id, entry);
  }
  const groups = new Map<string, { actions: string[]; patterns: string[]; resources: string[] }>();
  for (const entry of perResource.values()) {
    const actions = [...entry.actions].sort();
    const id = `${actions.join(',')}\u0000${entry.patterns.join('\u0001')}`;
    const group = groups.get(id) ?? { actions, patterns: entry.patterns, resources: [] };
    group.resources.push(entry.resource);
    groups.set(id, group);
  }
  const ordered = [...groups.values()]
    .map((g) => ({ ...g, resources: g.resources.sort() }))
    .sort((a, b) =>
      (a.resources.join() + a.patterns.join()).localeCompare(b.resources.join() + b.patterns.join()),
    );
  return ordered.map((g, i) => {
    const statement: IamStatement = {
      Sid: `${sidPrefix}${g.patterns.length > 0 ? 'Tenant' : ''}${i + 1}`,
      Effect: 'Allow',
      Action: g.actions,
      Resource: g.resources,
    };
    if (g.patterns.length > 0) {
      // ForAllValues passes when the key is absent, so Null=false also requires the request to carry it.
      statement.Condition = {
        'ForAllValues:StringLike': {
          'dynamodb:LeadingKeys': g.patterns.length === 1 ? (g.patterns[0] as string) : g.patterns,
        },
        Null: { 'dynamodb:LeadingKeys': 'false' },
      };
    }
    return statement;
  });
}

/** Throws when a tenant-isolated grant is undone by an unconditioned grant of the same action and resource. */
function checkIsolation(grants: readonly Grant[]): void {
  const open = new Set(
    grants.filter((g) => g.leadingKey === undefined).map((g) => `${g.action} ${g.resource}`),
  );
  for (const g of grants) {
    if (g.leadingKey !== undefined && open.has(`${g.action} ${g.resource}`))
      throw new TypeError(
        `dbkit: ${g.action} on ${g.resource} is granted both per tenant and for every partition; the unrestricted grant voids tenant isolation (isolate every entity that needs it, or give shared entities their own table)`,
      );
  }
}

function tablesOf(access: readonly EntityAccess[]): Table[] {
  const byName = new Map<string, Table>();
  for (const a of access) byName.set(a.entity.table.name, a.entity.table);
  return [...byName.values()];
}

/**
 * The least-privilege IAM policy of a service: exactly the DynamoDB actions its declared operations
 * send, on exactly the tables and indexes they touch; per-tenant `dynamodb:LeadingKeys` conditions
 * where declared; and (by default) an explicit Deny of DeleteTable, UpdateTable, TTL and backup
 * changes and Scan.
 *
 * @example
 * ```ts
 * const policy = serviceIamPolicy({
 *   access: [entityAccess(User, ['get', 'create', 'update', 'query:gsi1']), entityAccess(Post, ['get', 'query'])],
 *   arn: { account: '123456789012', region: 'eu-west-1' },
 *   verifiesTables: true,
 * })
 * JSON.stringify(policy) // attach to the service's role
 * ```
 */
export function serviceIamPolicy(input: ServicePolicyInput): IamPolicyDocument {
  const grants = input.access.flatMap((a) => grantsOf(a, input.arn));
  checkIsolation(grants);
  if (input.verifiesTables === true) {
    for (const table of tablesOf(input.access)) {
      const resource = tableArn(table, input.arn);
      grants.push({ action: 'dynamodb:DescribeTable', resource, leadingKey: undefined, table });
      if (table.ttlAttribute !== undefined)
        grants.push({ action: 'dynamodb:DescribeTimeToLive', resource, leadingKey: undefined, table });
    }
  }
  const out = statements(grants, 'DbkitService');
  if (input.guardrails !== false) {
    const scans = grants.some((g) => g.action === 'dynamodb:Scan');
    const denied = [
      'dynamodb:DeleteTable',
      'dynamodb:UpdateTable',
      'dynamodb:UpdateTimeToLive',
      'dynamodb:UpdateContinuousBackups',
      ...(scans ? [] : ['dynamodb:Scan']),
    ];
    const resources = tablesOf(input.access).flatMap((t) => [
      tableArn(t, input.arn),
      `${tableArn(t, input.arn)}/index/*`,
    ]);
    out.push({ Sid: 'DbkitServiceGuardrails', Effect: 'Deny', Action: denied, Resource: resources.sort() });
  }
  return { Version: '2012-10-17', Statement: out };
}
