// `dbkit iam`: prints the least-privilege IAM policy (DynamoDB) or role (MongoDB) a service's declarations need.
import { Command, Option } from 'commander';
import { cloudFormationPolicy } from '../dynamo/iam-cloudformation.js';
import { loadModule, UsageError } from './load-module.js';
import { migrationIamPolicy } from '../dynamo/iam-migration-policy.js';
import type { MigrationOperation } from '../dynamo/iam-migration-policy.js';
import { cloudFormationArns, serviceIamPolicy } from '../dynamo/iam-policy.js';
import type { ArnContext, EntityAccess } from '../dynamo/iam-policy.js';
import type { Table } from '../dynamo/table.js';
import { cloudFormationTable } from '../dynamo/table-settings.js';
import type { TableSettings } from '../dynamo/table-settings.js';
import type { CollectionAccess } from '../mongo/roles.js';
import { applicationRole, atlasCustomRole, migrationRole } from '../mongo/roles.js';

/**
 * What a `dbkit iam` config module exports: `dynamodb` and / or `mongodb` declarations.
 *
 * @example
 * ```ts
 * // dbkit.iam.ts
 * export const dynamodb = { access: [entityAccess(User, ['get', 'create'])], verifiesTables: true }
 * export const mongodb = { db: 'blog', access: [collectionAccess(Posts, ['create', 'paginate'])] }
 * ```
 */
export interface IamConfig {
  dynamodb?: {
    access: readonly EntityAccess[];
    verifiesTables?: boolean;
    /** Tables of the migration role. Default: the tables of `access`. */
    tables?: readonly Table[];
    migrationOperations?: readonly MigrationOperation[];
    /** Production settings of the tables, for `--tables` (CloudFormation `AWS::DynamoDB::Table`). */
    settings?: TableSettings;
  };
  mongodb?: { db: string; access: readonly CollectionAccess[]; capabilityProbe?: boolean };
}

interface IamFlags {
  config?: string;
  engine?: 'dynamodb' | 'mongodb';
  role: 'service' | 'migration';
  format: 'json' | 'cloudformation' | 'cloudformation-yaml' | 'atlas';
  account?: string;
  region?: string;
  partition?: string;
  attachTo?: string[];
  tables?: boolean;
}

async function loadConfig(path: string): Promise<IamConfig> {
  return (await loadModule(path)) as IamConfig;
}

function requireArn(flags: IamFlags): ArnContext {
  if (flags.format !== 'json') return cloudFormationArns;
  if (flags.account === undefined || flags.region === undefined)
    throw new UsageError('--account and --region are required for --format json');
  if (!/^\d{12}$/.test(flags.account))
    throw new UsageError(`--account must be 12 digits, not "${flags.account}"`);
  return {
    account: flags.account,
    region: flags.region,
    ...(flags.partition === undefined ? {} : { partition: flags.partition }),
  };
}

function dynamoOutput(config: NonNullable<IamConfig['dynamodb']>, flags: IamFlags): unknown {
  if (flags.format === 'atlas') throw new UsageError('--format atlas is for --engine mongodb');
  if (!isArray(config.access))
    throw new Error("the config's dynamodb.access must be an array of entityAccess(...)");
  const tables = config.tables ?? [
    ...new Map(config.access.map((a) => [a.entity.table.name, a.entity.table])).values(),
  ];
  if (flags.tables === true) {
    // The tables themselves, for infrastructure as code: one Retain-protected resource each.
    if (flags.format === 'json')
      throw new UsageError(
        '--tables prints CloudFormation: pass --format cloudformation or cloudformation-yaml',
      );
    const resources: Record<string, unknown> = {};
    for (const table of tables) Object.assign(resources, cloudFormationTable(table, config.settings));
    return { Resources: resources };
  }
  const arn = requireArn(flags);
  const policy =
    flags.role === 'service'
      ? serviceIamPolicy({ access: config.access, arn, verifiesTables: config.verifiesTables === true })
      : migrationIamPolicy({
          tables,
          arn,
          ...(config.migrationOperations === undefined ? {} : { operations: config.migrationOperations }),
        });
  if (flags.format === 'json') return policy;
  return {
    Resources: cloudFormationPolicy(policy, {
      logicalId: flags.role === 'service' ? 'DbkitServicePolicy' : 'DbkitMigrationPolicy',
      description: `dbkit ${flags.role} policy: DynamoDB access generated from the service's declarations`,
      ...(flags.attachTo === undefined ? {} : { roles: flags.attachTo.map((r) => ({ Ref: r })) }),
    }),
  };
}

function mongoOutput(config: NonNullable<IamConfig['mongodb']>, flags: IamFlags): unknown {
  if (flags.format !== 'json' && flags.format !== 'atlas')
    throw new UsageError(`--format ${flags.format} is for --engine dynamodb; MongoDB takes json or atlas`);
  if (!isArray(config.access))
    throw new Error("the config's mongodb.access must be an array of collectionAccess(...)");
  const role =
    flags.role === 'service'
      ? applicationRole({
          db: config.db,
          access: config.access,
          ...(config.capabilityProbe === undefined ? {} : { capabilityProbe: config.capabilityProbe }),
        })
      : migrationRole({ db: config.db, collections: config.access.map((a) => a.collection) });
  return flags.format === 'atlas' ? atlasCustomRole(role) : role;
}

/** Array.isArray without narrowing to any[]: the declarations keep their types. */
const isArray = (value: unknown): boolean => Array.isArray(value);

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_:/.-]*$/;

/** YAML for JSON-like values: every string double-quoted (JSON escapes are valid YAML). */
function toYaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []';
    return value
      .map((v) => {
        const inner = toYaml(v, `${indent}  `);
        return `\n${indent}-${inner.startsWith('\n') ? inner.replace(/^\n\s*/, ' ') : inner}`;
      })
      .join('');
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return ' {}';
    return entries
      .map(([k, v]) => `\n${indent}${PLAIN_KEY.test(k) ? k : JSON.stringify(k)}:${toYaml(v, `${indent}  `)}`)
      .join('');
  }
  return ` ${JSON.stringify(value)}`;
}

async function run(flags: IamFlags): Promise<void> {
  if (flags.config === undefined) throw new UsageError('--config <file> is required');
  const config = await loadConfig(flags.config);
  const engine = flags.engine ?? (config.dynamodb !== undefined ? 'dynamodb' : 'mongodb');
  let output: unknown;
  if (engine === 'dynamodb') {
    if (config.dynamodb === undefined)
      throw new UsageError(`${flags.config} exports no \`dynamodb\` declarations`);
    output = dynamoOutput(config.dynamodb, flags);
  } else {
    if (config.mongodb === undefined)
      throw new UsageError(`${flags.config} exports no \`mongodb\` declarations`);
    output = mongoOutput(config.mongodb, flags);
  }
  process.stdout.write(
    flags.format === 'cloudformation-yaml'
      ? `${toYaml(output).trimStart()}\n`
      : `${JSON.stringify(output, null, 2)}\n`,
  );
}

/**
 * Builds the `iam` command. Exit codes: 0 printed, 2 usage error, 1 the config or generation failed.
 *
 * @example
 * ```ts
 * program.addCommand(iamCommand()); // dbkit iam --config dbkit.iam.mjs --account 123456789012 --region eu-west-1
 * ```
 */
export function iamCommand(): Command {
  return new Command('iam')
    .description(
      'Print the least-privilege DynamoDB IAM policy or MongoDB role for the declarations a config module exports ' +
        '(`export const dynamodb = { access: [entityAccess(...)] }`, `export const mongodb = { db, access: [collectionAccess(...)] }`). ' +
        'Configs are .js/.mjs, or .ts when tsx is installed.',
    )
    .option('--config <file>', 'module exporting `dynamodb` and / or `mongodb` declarations')
    .addOption(
      new Option('--engine <engine>', 'which declarations (default: dynamodb when exported)').choices([
        'dynamodb',
        'mongodb',
      ]),
    )
    .addOption(
      new Option('--role <role>', 'service or migration')
        .choices(['service', 'migration'])
        .default('service'),
    )
    .addOption(
      new Option(
        '--format <format>',
        'json, CloudFormation (JSON / YAML) for DynamoDB, Atlas custom role for MongoDB',
      )
        .choices(['json', 'cloudformation', 'cloudformation-yaml', 'atlas'])
        .default('json'),
    )
    .option('--account <id>', 'AWS account id (12 digits), for --format json')
    .option('--region <region>', 'AWS region, for --format json')
    .option('--partition <partition>', 'AWS partition (default aws)')
    .option('--attach-to <logicalIds...>', 'CloudFormation roles (logical ids) to attach the policy to')
    .option(
      '--tables',
      'print the DynamoDB tables themselves (keys, GSIs, TTL, `dynamodb.settings`) as CloudFormation instead of a policy',
    )
    .exitOverride((err) => {
      // Commander's parse errors are usage errors; help and version are not errors.
      process.exit(err.exitCode === 0 ? 0 : 2);
    })
    .action(async (flags: IamFlags) => {
      try {
        await run(flags);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        process.stderr.write(`dbkit iam: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
}
