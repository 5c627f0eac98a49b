// Runs a backfill fixture in a child process and kills it with SIGKILL once its checkpoint shows enough progress.
import { spawn } from 'node:child_process';

/**
 * Starts `node --conditions=dbkit-source --import tsx <script> ...args`, polls `scanned()` (what the
 * engine's checkpoint says) and kills the child with SIGKILL once it reaches `atLeast`. Rejects if the
 * child ends first or never gets there within `timeoutMs`.
 *
 * @example
 * ```ts
 * await killAt(fixture, [url, 'resume'], () => checkpointScanned(), N / 2)
 * ```
 */
export async function killAt(
  script: string,
  args: readonly string[],
  scanned: () => Promise<number>,
  atLeast: number,
  timeoutMs = 90_000,
): Promise<void> {
  const child = spawn(process.execPath, ['--conditions=dbkit-source', '--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve(signal ?? code);
    }),
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the child never reached ${atLeast}: ${stderr}`);
    }
    if (child.exitCode !== null) throw new Error(`the child ended early: ${stderr}`);
    if ((await scanned()) >= atLeast) {
      child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const how = await exited;
  if (how !== 'SIGKILL') throw new Error(`the child ended with ${String(how)}, not SIGKILL: ${stderr}`);
}
