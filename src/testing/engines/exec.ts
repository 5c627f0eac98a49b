// Running helper commands (mvn, go, javac, initdb) and finding executables on PATH.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Options for {@link runCommand}.
 *
 * @example
 * ```ts
 * const options: RunOptions = { cwd: '/tmp', timeoutMs: 60_000 };
 * ```
 */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Output of a finished command.
 *
 * @example
 * ```ts
 * const { stdout } = await runCommand('java', ['-version']);
 * ```
 */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion; rejects with its last output lines when it exits non-zero.
 *
 * @example
 * ```ts
 * await runCommand('mvn', ['-q', 'dependency:copy-dependencies'], { cwd: dir, timeoutMs: 600_000 });
 * ```
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 * 1024,
        ...(options.uid === undefined ? {} : { uid: options.uid }),
        ...(options.gid === undefined ? {} : { gid: options.gid }),
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr });
          return;
        }
        const tail = lastLines(`${stdout}\n${stderr}`, 8);
        reject(
          new Error(
            `\`${command} ${args.join(' ')}\` failed: ${error.message.split('\n')[0] ?? ''}\n${tail}`,
          ),
        );
      },
    );
  });
}

/**
 * The last `count` non-empty lines of `text`.
 *
 * @example
 * ```ts
 * lastLines('a\nb\n\nc\n', 2); // 'b\nc'
 * ```
 */
export function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .slice(-count)
    .join('\n');
}

/**
 * Finds an executable on `PATH` (or checks an absolute path); undefined when absent.
 *
 * @example
 * ```ts
 * const java = which('java'); // '/usr/bin/java' or undefined
 * ```
 */
export function which(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : (env['PATH'] ?? '')
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}
