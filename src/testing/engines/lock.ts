// A small cross-process lock (an exclusive lock file) around read-modify-write of the state file.
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';

const STALE_MS = 30_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn` while holding `lockFile` (created exclusively; a lock older than 30 s is taken over as
 * stale). Waits up to `timeoutMs` for another holder, then runs anyway rather than hang.
 *
 * @example
 * ```ts
 * withFileLock('/tmp/c/state/engines.lock', () => { updateSomething(); });
 * ```
 */
export function withFileLock<T>(lockFile: string, fn: () => T, timeoutMs = 10_000): T {
  const deadline = Date.now() + timeoutMs;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (isStale(lockFile) || Date.now() > deadline) rmSync(lockFile, { force: true });
      else Atomics.wait(pause, 0, 0, 10);
    }
  }
  try {
    return fn();
  } finally {
    closeSync(fd);
    rmSync(lockFile, { force: true });
  }
}

function isStale(lockFile: string): boolean {
  try {
    return Date.now() - statSync(lockFile).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}
