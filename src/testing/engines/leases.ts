// Leases: which running test processes use which engine instances, so that engines a test run
// started are stopped by the last run still using them, never under another run's feet.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from './paths.js';
import { isAlive } from './process.js';
import { stopEngine } from './provision.js';
import { readState } from './state.js';
import type { EngineName, EngineOptions } from './types.js';

/**
 * One engine instance a process uses.
 *
 * @example
 * ```ts
 * const use: EngineUse = { name: 'postgres', pid: 4242 };
 * ```
 */
export interface EngineUse {
  readonly name: EngineName;
  readonly pid: number;
}

function leaseDir(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'leases');
}

/**
 * Records that this process uses `engines` (replacing its previous lease).
 *
 * @example
 * ```ts
 * takeLease([{ name: 'dynamodb', pid: 5151 }]);
 * ```
 */
export function takeLease(engines: readonly EngineUse[], env: NodeJS.ProcessEnv = process.env): void {
  mkdirSync(leaseDir(env), { recursive: true });
  writeFileSync(join(leaseDir(env), `${process.pid}.json`), JSON.stringify({ pid: process.pid, engines }));
}

/**
 * Engine instances used by live processes other than this one; leases of exited processes are
 * deleted.
 *
 * @example
 * ```ts
 * const inUse = leasedByOthers(); // [{ name: 'postgres', pid: 4242 }]
 * ```
 */
export function leasedByOthers(env: NodeJS.ProcessEnv = process.env): EngineUse[] {
  let files: string[];
  try {
    files = readdirSync(leaseDir(env)).filter((f) => /^\d+\.json$/.test(f));
  } catch {
    return [];
  }
  const uses: EngineUse[] = [];
  for (const file of files) {
    const holder = Number.parseInt(file, 10);
    if (holder === process.pid) continue;
    if (!isAlive(holder)) {
      rmSync(join(leaseDir(env), file), { force: true });
      continue;
    }
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(leaseDir(env), file), 'utf8'));
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        'engines' in parsed &&
        Array.isArray(parsed.engines)
      ) {
        uses.push(...(parsed.engines as EngineUse[]));
      }
    } catch {
      // a lease being written right now: its engines are taken into account next time
    }
  }
  return uses;
}

/**
 * Drops this process's lease and stops every ephemeral engine (started by a test run) that no other
 * live process leases. Engines started by `dbkit engines up` are left running.
 *
 * @example
 * ```ts
 * const stopped = await releaseLease(); // ['ferretdb']
 * ```
 */
export async function releaseLease(options: EngineOptions = {}): Promise<EngineName[]> {
  const env = options.env ?? process.env;
  rmSync(join(leaseDir(env), `${process.pid}.json`), { force: true });
  const inUse = leasedByOthers(env);
  const unused = readState(env).filter(
    (r) => r.ephemeral === true && !inUse.some((u) => u.name === r.name && u.pid === r.pid),
  );
  await Promise.all(unused.map((r) => stopEngine(r.name, options, r.pid)));
  return unused.map((r) => r.name);
}
