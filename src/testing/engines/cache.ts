// Atomic, reusable installs in the cache directory: build in a temporary sibling, then rename.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const MARKER = '.complete';

/**
 * True when `dir` holds a finished install.
 *
 * @example
 * ```ts
 * const reuse = isInstalled('/c/dynamodb-local/2.6.1');
 * ```
 */
export function isInstalled(dir: string): boolean {
  return existsSync(join(dir, MARKER));
}

/**
 * Installs into `dir` once: `build` fills a temporary directory which is renamed into place, so an
 * interrupted or concurrent install never leaves a half-made `dir`. Resolves `true` when the
 * install was already there.
 *
 * @example
 * ```ts
 * const cached = await installOnce('/c/tool/1.0', async (tmp) => { await writeFile(`${tmp}/x`, ''); });
 * ```
 */
export async function installOnce(dir: string, build: (tmpDir: string) => Promise<void>): Promise<boolean> {
  if (isInstalled(dir)) return true;
  await mkdir(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await mkdir(tmp, { recursive: true });
  try {
    await build(tmp);
    await writeFile(join(tmp, MARKER), new Date().toISOString());
    if (isInstalled(dir)) return true; // another process finished first
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return false;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
