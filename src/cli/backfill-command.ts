// `dbkit backfill list | run <name>`: the config's named backfills, resumable, rate-limited, with a progress bar on a terminal.
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import type { BackfillProgress } from '../core/backfill.js';
import { UsageError } from './load-module.js';
import { ExitCode, print, runWithConfig } from './run-command.js';
import type { CommonFlags } from './run-command.js';

interface BackfillFlags extends CommonFlags {
  dryRun?: boolean;
  restart?: boolean;
  rate?: string;
}

function eta(ms: number | undefined): string {
  if (ms === undefined) return '?';
  const s = Math.round(ms / 1_000);
  return s < 90 ? `${s}s` : `${Math.round(s / 60)}m`;
}

// A bar on an interactive stderr; one plain line per progress event otherwise (CI logs).
function progressReporter(flags: BackfillFlags): { update: (p: BackfillProgress) => void; stop: () => void } {
  if (flags.json === true) return { update: () => undefined, stop: () => undefined };
  if (!process.stderr.isTTY) {
    return {
      update: (p) => {
        process.stderr.write(
          `${p.name}: scanned ${p.scanned}${p.total === undefined ? '' : `/~${p.total}`}, changed ${p.changed}, skipped ${p.skipped}, failed ${p.failed}, ${p.ratePerSecond.toFixed(0)}/s, eta ${eta(p.etaMs)}\n`,
        );
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    {
      format: '{name} [{bar}] {value}/{total} scanned | {changed} changed | {rate}/s | eta {eta_left}',
      stream: process.stderr,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update: (p) => {
      const total = Math.max(p.total ?? p.scanned, p.scanned);
      const payload = {
        name: p.name,
        changed: p.changed,
        rate: p.ratePerSecond.toFixed(0),
        eta_left: eta(p.etaMs),
      };
      if (!started) {
        bar.start(total, p.scanned, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(p.scanned, payload);
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/**
 * Builds the `backfill` command. Exit codes: 0 completed with no failed item, 1 failed (or items
 * failed: listed), 2 usage, 130 interrupted (the checkpoint is kept: run it again to resume). Never prompts.
 *
 * @example
 * ```ts
 * program.addCommand(backfillCommand()) // dbkit backfill run users-email-lower --rate 500
 * ```
 */
export function backfillCommand(): Command {
  const backfill = new Command('backfill').description(
    "Run the config's named backfills: paged, conditional writes, checkpointed in the engine, resumable",
  );
  backfill.addCommand(
    new Command('list')
      .description('List the backfills the config declares')
      .option('--config <file>', 'the config module (default ./dbkit.config.{ts,mts,mjs,js})')
      .option('--json', 'print JSON on stdout')
      .action(async (flags: BackfillFlags) => {
        await runWithConfig('backfill list', flags, (config) => {
          const names = Object.keys(config.backfills ?? {});
          print(
            flags,
            { ok: true, backfills: names },
            names.length === 0 ? ['no backfills declared'] : names,
          );
          return ExitCode.ok;
        });
      }),
  );
  backfill.addCommand(
    new Command('run')
      .description('Run (or resume) one backfill')
      .argument('<name>', "a key of the config's `backfills`")
      .option('--config <file>', 'the config module (default ./dbkit.config.{ts,mts,mjs,js})')
      .option('--dry-run', 'read and transform, count what would change, write nothing')
      .option('--restart', 'ignore a checkpoint left by an earlier run')
      .option('--rate <itemsPerSecond>', 'target rate of items scanned per second')
      .option('--json', 'print the report as JSON on stdout')
      .exitOverride((err) => {
        process.exit(err.exitCode === 0 ? 0 : ExitCode.usage);
      })
      .action(async (name: string, flags: BackfillFlags) => {
        await runWithConfig('backfill run', flags, async (config, signal) => {
          const job = config.backfills?.[name];
          if (job === undefined) {
            const known = Object.keys(config.backfills ?? {});
            throw new UsageError(
              `no backfill "${name}" in the config (it has: ${known.join(', ') || 'none'})`,
            );
          }
          let rate: number | undefined;
          if (flags.rate !== undefined) {
            rate = Number(flags.rate);
            if (!Number.isFinite(rate) || rate <= 0)
              throw new UsageError(`--rate must be a positive number, not "${flags.rate}"`);
          }
          const reporter = progressReporter(flags);
          let report;
          try {
            report = await job({
              dryRun: flags.dryRun === true,
              restart: flags.restart === true,
              itemsPerSecond: rate,
              signal,
              onProgress: reporter.update,
            });
          } finally {
            reporter.stop();
          }
          const state = report.completed ? 'completed' : 'stopped (checkpoint kept: run again to resume)';
          print(flags, { ok: report.completed && report.failed === 0, report }, [
            `${name}: ${report.dryRun ? 'dry run ' : ''}${state}${report.resumed ? ', resumed' : ''}`,
            `  scanned ${report.scanned}, ${report.dryRun ? 'would change' : 'changed'} ${report.changed}, skipped ${report.skipped}, failed ${report.failed}, throttled ${report.throttled}, ${(report.elapsedMs / 1_000).toFixed(1)} s`,
            ...report.failures.slice(0, 20).map((f) => `  failed ${f.key}: ${f.reason}`),
          ]);
          if (!report.completed) return ExitCode.interrupted;
          return report.failed > 0 ? ExitCode.failed : ExitCode.ok;
        });
      }),
  );
  return backfill;
}
