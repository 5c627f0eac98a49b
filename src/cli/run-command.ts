// What every config-driven command shares: exit codes, --json output, errors, interruption and closing connections.
import type { DbkitError } from '../core/errors.js';
import type { DbkitConfig } from '../core/config.js';
import { loadDbkitConfig } from './config.js';
import { UsageError } from './load-module.js';

/**
 * Exit codes of `dbkit migrate`, `dbkit backfill` and `dbkit sync`, for CI.
 *
 * @example
 * ```ts
 * process.exitCode = ExitCode.notUpToDate
 * ```
 */
export const ExitCode = {
  ok: 0,
  /** The operation failed: a migration threw, an engine was unreachable, a lock was not obtained. */
  failed: 1,
  /** The command line or the config is wrong. */
  usage: 2,
  /** `migrate status`: something is pending, failed or changed; `sync`: drift it cannot fix. */
  notUpToDate: 3,
  /** Interrupted by SIGINT / SIGTERM; a backfill keeps its checkpoint. */
  interrupted: 130,
} as const;

/** Flags every config-driven command takes. */
export interface CommonFlags {
  config?: string;
  target?: string[];
  json?: boolean;
}

// Structural, not instanceof: a config loaded through tsx may reach another copy of dbkit's modules.
function isDbkitShaped(err: unknown): err is DbkitError {
  return (
    err instanceof Error &&
    typeof (err as Partial<DbkitError>).code === 'string' &&
    typeof (err as Partial<DbkitError>).kind === 'string'
  );
}

function describe(err: unknown): { code: string; message: string } {
  if (isDbkitShaped(err)) return { code: err.code, message: err.message };
  if (err instanceof UsageError) return { code: 'usage', message: err.message };
  return { code: 'error', message: err instanceof Error ? err.message : String(err) };
}

/**
 * Runs a command body with the config loaded, an AbortSignal wired to SIGINT / SIGTERM, the targets
 * closed afterwards, and errors turned into an exit code and a message (JSON on stdout with --json).
 *
 * @example
 * ```ts
 * await runWithConfig('migrate status', flags, async (config, signal) => ExitCode.ok)
 * ```
 */
export async function runWithConfig(
  command: string,
  flags: CommonFlags,
  body: (config: DbkitConfig, signal: AbortSignal) => number | Promise<number>,
): Promise<void> {
  const controller = new AbortController();
  const stop = (): void => {
    if (!controller.signal.aborted) process.stderr.write(`dbkit ${command}: stopping…\n`);
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let config: DbkitConfig | undefined;
  try {
    config = await loadDbkitConfig(flags.config);
    process.exitCode = await body(config, controller.signal);
  } catch (err) {
    const problem = describe(err);
    if (flags.json === true)
      process.stdout.write(`${JSON.stringify({ ok: false, error: problem }, null, 2)}\n`);
    else
      process.stderr.write(
        `dbkit ${command}: ${problem.message}${problem.code === 'usage' ? '' : ` (${problem.code})`}\n`,
      );
    process.exitCode =
      err instanceof UsageError
        ? ExitCode.usage
        : controller.signal.aborted
          ? ExitCode.interrupted
          : ExitCode.failed;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (config !== undefined) {
      await Promise.all(Object.values(config.targets).map((t) => t.close().catch(() => undefined)));
    }
  }
}

/**
 * Prints a result: JSON on stdout with --json, else the human lines.
 *
 * @example
 * ```ts
 * print(flags, { ok: true }, ['done'])
 * ```
 */
export function print(flags: CommonFlags, json: unknown, lines: readonly string[]): void {
  if (flags.json === true) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}
