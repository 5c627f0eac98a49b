// `dbkit migrate status | deploy | create | resolve`: versioned migrations on every configured engine, from CI.
import { Command } from 'commander';
import type { DbkitConfig, MigrationTarget } from '../core/config.js';
import type { DeployResult, MigrationStatus } from '../core/migrations.js';
import { selectTargets } from './config.js';
import { UsageError } from './load-module.js';
import { ExitCode, print, runWithConfig } from './run-command.js';
import type { CommonFlags } from './run-command.js';

interface MigrateFlags extends CommonFlags {
  lockTimeout?: string;
  /** Commander's `--no-sync`: false when given. */
  sync?: boolean;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`${flag} must be a positive integer, not "${value}"`);
  return n;
}

function statusLines(name: string, status: MigrationStatus): string[] {
  const head = `${name} (${status.engine}, ${status.target}): ${status.upToDate ? 'up to date' : 'NOT up to date'}`;
  if (status.migrations.length === 0) return [head, '  no migrations'];
  return [
    head,
    ...status.migrations.map(
      (m) =>
        `  ${m.state.padEnd(15)}${m.name}${m.error === undefined ? '' : `  (${m.error.split('\n')[0] ?? ''})`}`,
    ),
  ];
}

// `create` and `resolve` act on one target: the only one, or the one --target names.
function oneTarget(config: DbkitConfig, flags: MigrateFlags): [string, MigrationTarget] {
  const selected = selectTargets(config, flags.target);
  const [only] = selected;
  if (selected.length > 1 || only === undefined) {
    throw new UsageError(`--target is required: the config has ${selected.map(([n]) => n).join(', ')}`);
  }
  return only;
}

function common(command: Command): Command {
  return command
    .option('--config <file>', 'the config module (default ./dbkit.config.{ts,mts,mjs,js})')
    .option('--target <names...>', 'only these targets of the config (default: all)')
    .option('--json', 'print JSON on stdout')
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : ExitCode.usage);
    });
}

/**
 * Builds the `migrate` command. Exit codes: 0 done / up to date, 1 failed, 2 usage, 3 not up to date
 * (`status`), 130 interrupted. Never prompts.
 *
 * @example
 * ```ts
 * program.addCommand(migrateCommand()) // dbkit migrate deploy --json
 * ```
 */
export function migrateCommand(): Command {
  const migrate = new Command('migrate').description(
    'Versioned migrations on the engines of dbkit.config.ts: recorded in each engine, applied once under a lock, checksummed',
  );

  migrate.addCommand(
    common(new Command('status'))
      .description('List applied / pending / failed / changed migrations; exit 3 when not up to date')
      .action(async (flags: MigrateFlags) => {
        await runWithConfig('migrate status', flags, async (config) => {
          const results: Record<string, MigrationStatus> = {};
          const lines: string[] = [];
          for (const [name, target] of selectTargets(config, flags.target)) {
            const status = await target.migrationStatus();
            results[name] = status;
            lines.push(...statusLines(name, status));
          }
          const upToDate = Object.values(results).every((s) => s.upToDate);
          print(flags, { ok: true, upToDate, targets: results }, lines);
          return upToDate ? ExitCode.ok : ExitCode.notUpToDate;
        });
      }),
  );

  migrate.addCommand(
    common(new Command('deploy'))
      .description(
        'Create declared tables, GSIs, TTL and indexes that are missing (as `dbkit sync`), then apply pending migrations in order, each once, under the engine lock',
      )
      .option('--lock-timeout <ms>', 'how long to wait for another deploy (default 60000)')
      .option('--no-sync', 'skip the table / index sync before the migrations')
      .action(async (flags: MigrateFlags) => {
        await runWithConfig('migrate deploy', flags, async (config, signal) => {
          const lockTimeoutMs = positiveInt(flags.lockTimeout, '--lock-timeout');
          const results: Record<string, DeployResult & { sync?: unknown }> = {};
          const lines: string[] = [];
          for (const [name, target] of selectTargets(config, flags.target)) {
            // Tables and indexes first: DynamoDB's journal lives in the table, and migrations use indexes.
            const sync =
              flags.sync !== false && target.syncSchema !== undefined
                ? await target.syncSchema({ dryRun: false })
                : undefined;
            const result = await target.deployMigrations({
              lockTimeoutMs,
              signal,
              onProgress: (e) => {
                if (flags.json !== true)
                  process.stderr.write(`${name}: applying ${e.name} (${e.index + 1}/${e.total})\n`);
              },
            });
            results[name] = sync === undefined ? result : { ...result, sync };
            lines.push(
              `${name}: ${result.applied.length === 0 ? 'nothing to apply' : `applied ${result.applied.join(', ')}`}` +
                (result.missingLocally.length > 0
                  ? `; recorded but not in the folder: ${result.missingLocally.join(', ')}`
                  : ''),
            );
          }
          print(flags, { ok: true, targets: results }, lines);
          return ExitCode.ok;
        });
      }),
  );

  migrate.addCommand(
    common(new Command('create'))
      .description('Write a new migration file (SQL: the diff from the migrations to the Prisma schema)')
      .argument('<name>', 'what the migration does, e.g. add_status (letters, digits, _ and -)')
      .action(async (name: string, flags: MigrateFlags) => {
        await runWithConfig('migrate create', flags, async (config) => {
          if (!/^[A-Za-z0-9_-]{1,100}$/.test(name)) {
            throw new UsageError(`migration name "${name}": use letters, digits, _ and - (at most 100)`);
          }
          const [targetName, target] = oneTarget(config, flags);
          const created = await target.createMigration(name);
          print(flags, { ok: true, target: targetName, ...created }, [
            created.created
              ? `${targetName}: created ${created.path ?? ''}`
              : `${targetName}: nothing created (${created.reason ?? 'no change'})`,
          ]);
          return ExitCode.ok;
        });
      }),
  );

  migrate.addCommand(
    common(new Command('resolve'))
      .description('Mark a failed migration as rolled back (after repairing its data) so deploy retries it')
      .argument('<name>', 'the failed migration')
      .action(async (name: string, flags: MigrateFlags) => {
        await runWithConfig('migrate resolve', flags, async (config) => {
          const [targetName, target] = oneTarget(config, flags);
          await target.resolveMigration(name);
          print(flags, { ok: true, target: targetName, resolved: name }, [
            `${targetName}: ${name} is pending again`,
          ]);
          return ExitCode.ok;
        });
      }),
  );
  return migrate;
}
