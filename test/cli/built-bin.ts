// Builds dist/ once for the CLI tests when any source is newer than it, under a lock so parallel files don't build twice.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const bin = `${root}dist/cli/main.js`;

function newest(dir: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return max;
}

function builtAt(): number {
  try {
    return statSync(bin).mtimeMs;
  } catch {
    return 0;
  }
}

/** Builds when `src/` changed after the last build; waits for a build another test file started. */
export async function ensureBuilt(): Promise<void> {
  const lock = `${root}.dbkit/cli-build.lock`;
  mkdirSync(`${root}.dbkit`, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another file builds; a lock older than 5 minutes is from a killed run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (newest(`${root}src`) > builtAt()) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** What a run of the built bin printed, and its exit code. */
export interface BinResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built bin with stdin closed (as in CI), resolving whatever the exit code.
 */
export function dbkit(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd = root): Promise<BinResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { cwd, env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}
