// `dbkit sync`: brings DynamoDB tables (GSIs, TTL) and MongoDB indexes to their declarations.
import { Command } from 'commander';
import { selectTargets } from './config.js';
import { ExitCode, print, runWithConfig } from './run-command.js';
import type { CommonFlags } from './run-command.js';

interface SyncFlags extends CommonFlags {
  dryRun?: boolean;
}

// A report says it found drift it cannot fix when it lists any.
function hasDrift(report: unknown): boolean {
  const items = Array.isArray(report) ? report : [report];
  return items.some((r) => {
    const drift = (r as { drift?: unknown } | null)?.drift;
    return Array.isArray(drift) && drift.length > 0;
  });
}

/**
 * Builds the `sync` command: creates what is declared and missing, never drops; exit 3 when it found
 * differences it cannot change in place (listed), 1 failed, 2 usage. Never prompts.
 *
 * @example
 * ```ts
 * program.addCommand(syncCommand()) // dbkit sync --dry-run --json
 * ```
 */
export function syncCommand(): Command {
  return new Command('sync')
    .description(
      'Create missing DynamoDB tables, GSIs and TTL, and MongoDB indexes; report what cannot change in place',
    )
    .option('--config <file>', 'the config module (default ./dbkit.config.{ts,mts,mjs,js})')
    .option('--target <names...>', 'only these targets of the config (default: all that can sync)')
    .option('--dry-run', 'report the plan, change nothing')
    .option('--json', 'print JSON on stdout')
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : ExitCode.usage);
    })
    .action(async (flags: SyncFlags) => {
      await runWithConfig('sync', flags, async (config) => {
        const results: Record<string, unknown> = {};
        const lines: string[] = [];
        for (const [name, target] of selectTargets(config, flags.target)) {
          if (target.syncSchema === undefined) continue;
          const report = await target.syncSchema({ dryRun: flags.dryRun === true });
          results[name] = report;
          lines.push(`${name}: ${JSON.stringify(report, null, 2)}`);
        }
        const drift = Object.values(results).some(hasDrift);
        print(flags, { ok: !drift, dryRun: flags.dryRun === true, targets: results }, lines);
        return drift ? ExitCode.notUpToDate : ExitCode.ok;
      });
    });
}
