// Starting engine processes detached from dbkit, waiting for them to be healthy, and stopping them.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lastLines } from './exec.js';

/**
 * What to spawn for {@link spawnDetached}.
 *
 * @example
 * ```ts
 * const spec: SpawnSpec = { command: 'java', args: ['-version'], logFile: '/tmp/java.log' };
 * ```
 */
export interface SpawnSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Starts a long-running process in its own process group, detached from this one, with its output
 * going to a log file. Returns its pid; it survives the exit of the calling process.
 *
 * @example
 * ```ts
 * const pid = spawnDetached({ command: '/usr/bin/sleep', args: ['60'], logFile: '/tmp/sleep.log' });
 * ```
 */
export function spawnDetached(spec: SpawnSpec): number {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(spec.uid === undefined ? {} : { uid: spec.uid }),
      ...(spec.gid === undefined ? {} : { gid: spec.gid }),
    });
    child.on('error', () => {
      // reported through the health wait (the pid is not alive)
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * True when a process with this pid exists (and is not a zombie, where that can be told).
 *
 * @example
 * ```ts
 * isAlive(process.pid); // true
 * ```
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return true;
  }
}

/**
 * True when the command line of `pid` contains `marker` (always true where /proc is absent), so a
 * recycled pid is never signalled.
 *
 * @example
 * ```ts
 * commandLineContains(pid, 'DynamoDBLocal');
 * ```
 */
export function commandLineContains(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker);
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * Polls `check` until it resolves true. Rejects when `timeoutMs` passes, or as soon as `pid` (when
 * given) has exited, quoting the end of `logFile`.
 *
 * @example
 * ```ts
 * await waitUntilHealthy(() => isPortOpen(port), { timeoutMs: 30_000, pid, logFile, what: 'FerretDB' });
 * ```
 */
export async function waitUntilHealthy(
  check: () => Promise<boolean>,
  options: { timeoutMs: number; what: string; pid?: number; logFile?: string; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (options.pid !== undefined && !isAlive(options.pid)) {
      throw new Error(`${options.what} exited during start-up${logTail(options.logFile)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${options.what} was not healthy within ${options.timeoutMs / 1000}s${logTail(options.logFile)}`,
      );
    }
    await sleep(options.intervalMs ?? 100);
  }
}

function logTail(logFile: string | undefined): string {
  if (logFile === undefined) return '';
  try {
    const tail = lastLines(readFileSync(logFile, 'utf8'), 3).replaceAll('\n', ' | ');
    return tail === '' ? ` (log: ${logFile})` : `: ${tail} (log: ${logFile})`;
  } catch {
    return '';
  }
}

/**
 * Stops a process started by {@link spawnDetached}: `signal` to the process first, SIGKILL to its
 * whole process group after `graceMs`. Resolves once the process is gone.
 *
 * @example
 * ```ts
 * await stopProcess(pid, 'SIGINT');
 * ```
 */
export async function stopProcess(
  pid: number,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000,
): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (!isAlive(pid)) return;
  signalGroup(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (isAlive(pid) && Date.now() < killDeadline) await sleep(50);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
