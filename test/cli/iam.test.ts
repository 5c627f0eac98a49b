// `dbkit iam` as users run it: the built bin, a TypeScript config, output judged by a real IAM evaluator, exit codes.
import { beforeAll, describe, expect, it } from 'vitest';
import { verdict } from '../security/simulate.js';
import { dbkit as run, ensureBuilt } from './built-bin.js';

const config = 'test/security/iam-config.ts';

/** Runs the built bin's `iam` command; resolves with its exit code and output, whatever the code. */
function dbkit(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(['iam', ...args]);
}

describe('dbkit iam (built bin)', () => {
  beforeAll(ensureBuilt, 180_000);

  it('prints the tables as CloudFormation, protected and recoverable, with their GSIs and TTL', async () => {
    const out = await dbkit('--config', config, '--tables', '--format', 'cloudformation');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const { Resources } = JSON.parse(out.stdout) as {
      Resources: Record<
        string,
        { Type: string; DeletionPolicy: string; Properties: Record<string, unknown> }
      >;
    };
    const tables = Object.values(Resources);
    expect(tables).toHaveLength(1);
    expect(tables[0]).toMatchObject({
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: 'app',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        Tags: [{ Key: 'team', Value: 'payments' }],
      },
    });
    expect((tables[0]?.Properties.GlobalSecondaryIndexes as unknown[]).length).toBeGreaterThan(0);
    const refused = await dbkit('--config', config, '--tables');
    expect(refused.code).toBe(2);
  });

  it('prints a service policy that allows what the example sends and denies Scan and DeleteTable', async () => {
    const out = await dbkit('--config', config, '--account', '123456789012', '--region', 'eu-west-1');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const policy: unknown = JSON.parse(out.stdout);
    expect(await verdict(policy, { action: 'GetItem', table: 'app', leadingKeys: ['USER#1'] })).toBe(
      'Allowed',
    );
    expect(
      await verdict(policy, { action: 'Query', table: 'app', index: 'gsi1', leadingKeys: ['AUTHOR#1'] }),
    ).toBe('Allowed');
    expect(await verdict(policy, { action: 'Scan', table: 'app', leadingKeys: [] })).toBe('ExplicitlyDenied');
    expect(await verdict(policy, { action: 'DeleteTable', table: 'app', leadingKeys: [] })).toBe(
      'ExplicitlyDenied',
    );
    expect(await verdict(policy, { action: 'GetItem', table: 'other', leadingKeys: ['USER#1'] })).toBe(
      'ImplicitlyDenied',
    );
  });

  it('prints the migration policy, which may create the table but not delete it', async () => {
    const out = await dbkit(
      '--config',
      config,
      '--role',
      'migration',
      '--account',
      '123456789012',
      '--region',
      'eu-west-1',
    );
    expect(out.code).toBe(0);
    const policy: unknown = JSON.parse(out.stdout);
    expect(await verdict(policy, { action: 'CreateTable', table: 'app', leadingKeys: [] })).toBe('Allowed');
    expect(await verdict(policy, { action: 'DeleteTable', table: 'app', leadingKeys: [] })).toBe(
      'ImplicitlyDenied',
    );
  });

  it('prints a CloudFormation ManagedPolicy in YAML attached to the named role', async () => {
    const out = await dbkit(
      '--config',
      config,
      '--format',
      'cloudformation-yaml',
      '--attach-to',
      'ServiceRole',
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Type: "AWS::IAM::ManagedPolicy"');
    expect(out.stdout).toContain(
      'Fn::Sub: "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/app"',
    );
    expect(out.stdout).toMatch(/Roles:\n\s+- Ref: "ServiceRole"/);
  });

  it('prints the MongoDB application role as an Atlas custom role', async () => {
    const out = await dbkit('--config', config, '--engine', 'mongodb', '--format', 'atlas');
    expect(out.code).toBe(0);
    const role = JSON.parse(out.stdout) as { roleName: string; actions: { action: string }[] };
    expect(role.roleName).toBe('dbkitApp');
    expect(role.actions.map((a) => a.action)).toEqual(['FIND', 'INSERT', 'UPDATE']);
  });

  it('exits 2 on usage errors and 1 when the declarations are broken', async () => {
    const [none, badFormat, noAccount, missing, broken] = await Promise.all([
      dbkit(),
      dbkit('--config', config, '--format', 'yaml'),
      dbkit('--config', config),
      dbkit('--config', 'test/security/missing.mjs'),
      dbkit('--config', 'test/security/broken-config.mjs', '--account', '123456789012', '--region', 'x'),
    ]);
    expect([none.code, badFormat.code, noAccount.code, missing.code]).toEqual([2, 2, 2, 2]);
    expect(noAccount.stderr).toMatch(/--account and --region are required/);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/must be an array/);
  });
});
