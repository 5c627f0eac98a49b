// The shared start sequence: pick a port, spawn detached with a log file, wait for health or clean up.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineStartError, oneLine } from './errors.js';
import { logDir } from './paths.js';
import { freePort } from './ports.js';
import { spawnDetached, stopProcess, waitUntilHealthy } from './process.js';
import type { EngineName, StartedEngine } from './types.js';

/**
 * How to start one engine instance once its port is known.
 *
 * @example
 * ```ts
 * const plan: LaunchPlan = { command: '/c/bin/ferretdb', args: ['--listen-addr=127.0.0.1:4000'], url: 'mongodb://127.0.0.1:4000/', marker: 'ferretdb' };
 * ```
 */
export interface LaunchPlan {
  readonly command: string;
  readonly args: readonly string[];
  readonly url: string;
  readonly marker: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
  readonly dataDir?: string;
}

/**
 * Starts an engine on a free port: `plan(port)` says what to run, `probe` says when it is healthy.
 * On failure the process is stopped, its data directory removed, and an EngineStartError thrown.
 *
 * @example
 * ```ts
 * const started = await launch('ferretdb', 'FerretDB', env, (port) => planFor(port), probeMongo, 30_000, 'SIGTERM');
 * ```
 */
export async function launch(
  engine: EngineName,
  title: string,
  env: NodeJS.ProcessEnv,
  plan: (port: number) => Promise<LaunchPlan>,
  probe: (url: string, timeoutMs: number) => Promise<boolean>,
  timeoutMs: number,
  stopSignal: NodeJS.Signals,
): Promise<StartedEngine> {
  const port = await freePort();
  const p = await plan(port);
  const logFile = join(logDir(env), `${engine}-${port}.log`);
  let pid: number | undefined;
  try {
    pid = spawnDetached({ ...p, logFile });
    const spawned = pid;
    await waitUntilHealthy(() => probe(p.url, 1000), { timeoutMs, what: title, pid: spawned, logFile });
    return {
      pid: spawned,
      port,
      url: p.url,
      logFile,
      marker: p.marker,
      ...(p.dataDir === undefined ? {} : { dataDir: p.dataDir }),
    };
  } catch (error) {
    if (pid !== undefined) await stopProcess(pid, stopSignal, 5_000);
    if (p.dataDir !== undefined) await rm(p.dataDir, { recursive: true, force: true });
    throw new EngineStartError(engine, oneLine(error));
  }
}
