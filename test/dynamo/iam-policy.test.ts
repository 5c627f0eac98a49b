// The generated IAM policies, judged by a real IAM evaluator against the requests dbkit actually sends to DynamoDB Local.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  batchGetKey,
  createDynamoClient,
  defineEntity,
  defineTable,
  tx,
  txGet,
} from '../../src/dynamo/index.js';
import { cloudFormationPolicy } from '../../src/dynamo/iam-cloudformation.js';
import { migrationIamPolicy } from '../../src/dynamo/iam-migration-policy.js';
import { cloudFormationArns, entityAccess, serviceIamPolicy } from '../../src/dynamo/iam-policy.js';
import type { IamPolicyDocument } from '../../src/dynamo/iam-policy.js';
import { openDynamoStore } from '../../examples/service/stores/dynamo-store.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { recordRequests, startRecordingProxy } from '../security/dynamo-requests.js';
import type { DynamoRequest } from '../security/dynamo-requests.js';
import { exampleAccess, exampleModel } from '../security/example-access.js';
import { ARN, resourceOf, verdict, verdicts } from '../security/simulate.js';

/** Every (action, resource) an Allow statement grants, to compare with what was sent. */
function granted(policy: IamPolicyDocument): Set<string> {
  const out = new Set<string>();
  for (const s of policy.Statement)
    if (s.Effect === 'Allow') for (const a of s.Action) for (const r of s.Resource) out.add(`${a} ${r}`);
  return out;
}
const sentPairs = (requests: readonly DynamoRequest[]): Set<string> =>
  new Set(requests.map((r) => `dynamodb:${r.action} ${resourceOf(r)}`));
const denied = (v: string): boolean => v !== 'Allowed';

function tenantModel(name: string) {
  const table = defineTable({
    name,
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: {
      gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
      gsi2: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    },
  });
  const member = defineEntity(table, {
    name: 'Member',
    schema: z.object({ tenantId: z.string(), id: z.string(), email: z.string(), name: z.string() }),
    key: { pk: 'TENANT#{tenantId}#MEMBER#{id}', sk: 'MEMBER' },
    indexes: {
      gsi1: { pk: 'TENANT#{tenantId}#EMAIL#{email}', sk: 'MEMBER' },
      gsi2: { pk: 'NAME#{name}', sk: 'MEMBER#{tenantId}' },
    },
  });
  const project = defineEntity(table, {
    name: 'Project',
    schema: z.object({ tenantId: z.string(), id: z.string(), title: z.string() }),
    key: { pk: 'TENANT#{tenantId}#PROJECT#{id}', sk: 'PROJECT' },
  });
  return { table, member, project };
}

describe('entityAccess', () => {
  const m = exampleModel('app');
  it('refuses a scan unless the access opts in, at compile time and at run time', () => {
    // @ts-expect-error a scan needs allowScan: true
    expect(() => entityAccess(m.post, ['get', 'scan'])).toThrow(/allowScan/);
    expect(entityAccess(m.post, ['scan:gsi1'], { allowScan: true }).operations).toEqual(['scan:gsi1']);
  });
  it('refuses an index the entity has no templates for', () => {
    // @ts-expect-error Comment has no gsi1 templates
    expect(() => entityAccess(m.comment, ['query:gsi1'])).toThrow(/no key templates for index "gsi1"/);
  });
});

describe('serviceIamPolicy', () => {
  const policy = serviceIamPolicy({ access: exampleAccess('app'), arn: ARN, verifiesTables: true });
  const table = 'arn:aws:dynamodb:eu-west-1:123456789012:table/app';

  it('grants exactly the actions the declared operations send, on the table and the queried index only', () => {
    expect([...granted(policy)].sort()).toEqual(
      [
        `dynamodb:DeleteItem ${table}`,
        `dynamodb:DescribeTable ${table}`,
        `dynamodb:DescribeTimeToLive ${table}`,
        `dynamodb:GetItem ${table}`,
        `dynamodb:PutItem ${table}`,
        `dynamodb:Query ${table}`,
        `dynamodb:Query ${table}/index/gsi1`,
        `dynamodb:UpdateItem ${table}`,
      ].sort(),
    );
  });

  it('denies Scan and DeleteTable explicitly, even if a broader policy is attached beside it', async () => {
    const broad = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }],
    };
    const merged = { Version: '2012-10-17', Statement: [...broad.Statement, ...policy.Statement] };
    for (const action of ['Scan', 'DeleteTable', 'UpdateTable', 'UpdateContinuousBackups'])
      expect(await verdict(merged, { action, table: 'app', leadingKeys: [] })).toBe('ExplicitlyDenied');
    expect(await verdict(merged, { action: 'Scan', table: 'app', index: 'gsi1', leadingKeys: [] })).toBe(
      'ExplicitlyDenied',
    );
  });

  it('points CloudFormation resources at the stack account, region and partition with Fn::Sub', () => {
    const resources = cloudFormationPolicy(
      serviceIamPolicy({ access: exampleAccess('app'), arn: cloudFormationArns }),
      { roles: [{ Ref: 'ServiceRole' }] },
    );
    const props = resources.DbkitServicePolicy?.Properties as {
      PolicyDocument: { Statement: { Resource: unknown[] }[] };
      Roles: unknown[];
    };
    expect(props.Roles).toEqual([{ Ref: 'ServiceRole' }]);
    expect(props.PolicyDocument.Statement[0]?.Resource[0]).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/app',
    });
  });

  it('derives a LeadingKeys pattern from the tenant-led partition templates and refuses templates that cannot isolate', () => {
    const t = tenantModel('tenants');
    const isolated = serviceIamPolicy({
      access: [entityAccess(t.member, ['get', 'query:gsi1'], { tenant: { attribute: 'tenantId' } })],
      arn: ARN,
      guardrails: false,
    });
    expect(isolated.Statement[0]?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'TENANT#${aws:PrincipalTag/tenant}#*' },
      Null: { 'dynamodb:LeadingKeys': 'false' },
    });
    expect(() =>
      serviceIamPolicy({
        access: [entityAccess(t.member, ['query:gsi2'], { tenant: { attribute: 'tenantId' } })],
        arn: ARN,
      }),
    ).toThrow(/must start with \{tenantId\}/);
    // A shared entity granted GetItem on the same table would let every tenant read every partition.
    expect(() =>
      serviceIamPolicy({
        access: [
          entityAccess(t.member, ['get'], { tenant: { attribute: 'tenantId' } }),
          entityAccess(t.project, ['get']),
        ],
        arn: ARN,
      }),
    ).toThrow(/voids tenant isolation/);
  });
});

describe('migrationIamPolicy', () => {
  it('lets the migration role create, change and backfill the table, but never delete it', async () => {
    const { table } = exampleModel('app');
    const policy = migrationIamPolicy({ tables: [table], arn: ARN });
    for (const action of [
      'CreateTable',
      'UpdateTable',
      'UpdateTimeToLive',
      'DescribeTable',
      'Scan',
      'BatchWriteItem',
    ])
      expect(await verdict(policy, { action, table: 'app', leadingKeys: [] }), action).toBe('Allowed');
    expect(await verdict(policy, { action: 'Scan', table: 'app', index: 'gsi1', leadingKeys: [] })).toBe(
      'Allowed',
    );
    expect(await verdict(policy, { action: 'DeleteTable', table: 'app', leadingKeys: [] })).toBe(
      'ImplicitlyDenied',
    );
    expect(await verdict(policy, { action: 'Scan', table: 'other', leadingKeys: [] })).toBe(
      'ImplicitlyDenied',
    );
  });
});

describeEngine('dynamodb', (endpoint) => {
  describe('the example service under its generated policy', () => {
    const tableName = uniqueName('iam_example');
    const partitionKeyOf = (_t: string, index?: string): string =>
      index === undefined ? 'pk' : `${index}pk`;
    let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
    let migrationRequests: DynamoRequest[] = [];
    let serviceRequests: DynamoRequest[] = [];

    beforeAll(async () => {
      proxy = await startRecordingProxy(endpoint, partitionKeyOf);
      // Deploy: the first open creates the table (what the migration role does)...
      await (await openDynamoStore({ endpoint: proxy.url, table: tableName })).close();
      migrationRequests = proxy.requests.splice(0);
      // ...then the service starts against the existing table and serves a representative workload.
      const store = await openDynamoStore({ endpoint: proxy.url, table: tableName });
      const ids = {
        ada: crypto.randomUUID(),
        bob: crypto.randomUUID(),
        a1: crypto.randomUUID(),
        a2: crypto.randomUUID(),
      };
      await store.createUser(ids.ada, {
        name: 'Ada',
        email: 'ada@example.com',
        role: 'admin',
        addresses: [],
      });
      await store.createUser(ids.bob, { name: 'Bob', email: 'bob@example.com', role: 'user', addresses: [] });
      await expect(
        store.createUser(crypto.randomUUID(), {
          name: 'Eve',
          email: 'ada@example.com',
          role: 'user',
          addresses: [],
        }),
      ).rejects.toThrow(/already exists/);
      await store.getUser(ids.ada);
      await store.getUserByEmail('bob@example.com');
      await store.updateUser(ids.ada, { name: 'Ada L.' }, 1);
      await store.updateUser(ids.bob, { email: 'robert@example.com' }, 1);
      const draft = await store.createPost(crypto.randomUUID(), ids.ada, {
        title: 'Draft',
        content: '',
        tags: [],
        published: false,
      });
      const post = await store.createPost(crypto.randomUUID(), ids.ada, {
        title: 'Hello',
        content: 'x',
        tags: ['a'],
        published: true,
      });
      await store.getPost(draft.id);
      await store.listPostsByAuthor(ids.ada, { limit: 10 });
      await store.likePost(post.id);
      await store.addComment(crypto.randomUUID(), post.id, { authorId: ids.bob, content: 'Nice' });
      await store.listComments(post.id, { limit: 10 });
      await store.topAuthors(5);
      await store.openAccount(ids.a1, { ownerId: ids.ada, balance: 100 });
      await store.openAccount(ids.a2, { ownerId: ids.bob, balance: 0 });
      await store.getAccount(ids.a1);
      const terms = { fromId: ids.a1, toId: ids.a2, amount: 10 };
      await store.transfer(crypto.randomUUID(), 'key-1', terms);
      await store.transfer(crypto.randomUUID(), 'key-1', terms);
      await store.createSession('token-1', { userId: ids.ada, ttlSeconds: 60 });
      await store.getSession('token-1');
      await store.close();
      serviceRequests = proxy.requests.splice(0);
    });
    afterAll(async () => {
      await proxy.close();
      const db = createDynamoClient({ local: endpoint });
      await db.deleteTable(tableName);
      db.destroy();
    });

    it('allows every request the service sends, and grants nothing the workload does not use', async () => {
      const policy = serviceIamPolicy({ access: exampleAccess(tableName), arn: ARN, verifiesTables: true });
      const results = await verdicts(policy, serviceRequests);
      expect(results.size).toBeGreaterThan(10);
      expect([...results].filter(([, v]) => v !== 'Allowed')).toEqual([]);
      expect([...sentPairs(serviceRequests)].sort()).toEqual([...granted(policy)].sort());
    });

    it('allows the table creation to the migration role and denies it to the service role', async () => {
      const service = serviceIamPolicy({ access: exampleAccess(tableName), arn: ARN, verifiesTables: true });
      const migration = migrationIamPolicy({
        tables: [exampleModel(tableName).table],
        arn: ARN,
        operations: ['createTable'],
      });
      expect(migrationRequests.map((r) => r.action)).toContain('CreateTable');
      expect([...(await verdicts(migration, migrationRequests))].filter(([, v]) => v !== 'Allowed')).toEqual(
        [],
      );
      expect(await verdict(service, { action: 'CreateTable', table: tableName, leadingKeys: [] })).not.toBe(
        'Allowed',
      );
      expect(await verdict(service, { action: 'UpdateTimeToLive', table: tableName, leadingKeys: [] })).toBe(
        'ExplicitlyDenied',
      );
    });
  });

  describe('a multi-tenant service isolated by dynamodb:LeadingKeys', () => {
    const name = uniqueName('iam_tenants');
    const t = tenantModel(name);
    const db = createDynamoClient({ local: endpoint });
    const partitionKeyOf = (_t: string, index?: string): string =>
      index === undefined ? 'pk' : `${index}pk`;
    const requests = recordRequests(db, partitionKeyOf);
    const policy = serviceIamPolicy({
      access: [
        entityAccess(t.member, ['get', 'create', 'update', 'delete', 'query:gsi1', 'batchGet'], {
          tenant: { attribute: 'tenantId' },
        }),
        entityAccess(t.project, ['get', 'create', 'check', 'batchGet'], {
          tenant: { attribute: 'tenantId' },
        }),
      ],
      arn: ARN,
    });
    let workload: DynamoRequest[] = [];

    beforeAll(async () => {
      await db.ensureTable(t.table);
      requests.splice(0);
      const members = db.entity(t.member);
      const projects = db.entity(t.project);
      await members.create({ tenantId: 't1', id: 'm1', email: 'ada@t1.example', name: 'Ada' });
      await members.create({ tenantId: 't1', id: 'm2', email: 'bob@t1.example', name: 'Bob' });
      await projects.create({ tenantId: 't1', id: 'p1', title: 'Roadmap' });
      await members.get({ tenantId: 't1', id: 'm1' });
      await members.query({ index: 'gsi1', partition: { tenantId: 't1', email: 'ada@t1.example' } });
      await members.update({ tenantId: 't1', id: 'm1' }, { set: { name: 'Ada L.' } });
      await db.batchGet([
        batchGetKey(t.member, { tenantId: 't1', id: 'm1' }),
        batchGetKey(t.project, { tenantId: 't1', id: 'p1' }),
      ]);
      await members.batchGet([
        { tenantId: 't1', id: 'm1' },
        { tenantId: 't1', id: 'm2' },
      ]);
      await db.transactWrite([
        tx.check(t.project, { tenantId: 't1', id: 'p1' }, { title: { exists: true } }),
        tx.create(t.project, { tenantId: 't1', id: 'p2', title: 'Launch' }),
        tx.update(t.member, { tenantId: 't1', id: 'm2' }, { set: { name: 'Bob B.' } }),
      ]);
      await db.transactGet([txGet(t.project, { tenantId: 't1', id: 'p2' })]);
      await members.delete({ tenantId: 't1', id: 'm2' });
      workload = requests.splice(0);
    });
    afterAll(async () => {
      await db.deleteTable(t.table);
      db.destroy();
    });

    it('allows every request of tenant t1 to a principal tagged tenant=t1', async () => {
      const actions = new Set(workload.map((r) => r.action));
      expect([...actions].sort()).toEqual(
        [
          'BatchGetItem',
          'ConditionCheckItem',
          'DeleteItem',
          'GetItem',
          'PutItem',
          'Query',
          'UpdateItem',
        ].sort(),
      );
      const results = await verdicts(policy, workload, { tenant: 't1' });
      expect([...results].filter(([, v]) => v !== 'Allowed')).toEqual([]);
    });

    it("denies the same requests to another tenant's principal", async () => {
      const results = await verdicts(policy, workload, { tenant: 't2' });
      expect(results.size).toBeGreaterThan(5);
      expect([...results.values()].every(denied)).toBe(true);
    });

    it("denies another tenant's keys, Scan, DeleteTable, another table and another index", async () => {
      const members = db.entity(t.member);
      await members.get({ tenantId: 't2', id: 'm1' });
      await db.scan(t.table, { allowScan: true });
      await members.query({ index: 'gsi2', partition: { name: 'Ada' } });
      const sent = requests.splice(0);
      expect(sent.map((r) => r.action)).toEqual(['GetItem', 'Scan', 'Query']);
      const probes: DynamoRequest[] = [
        ...sent,
        { action: 'BatchGetItem', table: name, leadingKeys: ['TENANT#t1#MEMBER#m1', 'TENANT#t2#MEMBER#m1'] },
        { action: 'DeleteTable', table: name, leadingKeys: [] },
        { action: 'GetItem', table: 'other_table', leadingKeys: ['TENANT#t1#MEMBER#m1'] },
        { action: 'Query', table: name, index: 'gsi2', leadingKeys: ['TENANT#t1#X'] },
        { action: 'GetItem', table: name, leadingKeys: [] },
      ];
      for (const probe of probes)
        expect(await verdict(policy, probe, { tenant: 't1' }), JSON.stringify(probe)).not.toBe('Allowed');
      expect(await verdict(policy, { action: 'Scan', table: name, leadingKeys: [] }, { tenant: 't1' })).toBe(
        'ExplicitlyDenied',
      );
    });
  });
});
