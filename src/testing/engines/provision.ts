// Making engines available: environment override, else a healthy recorded engine, else install and start.
import { rm } from 'node:fs/promises';
import { EngineStartError, MissingPrerequisiteError, oneLine } from './errors.js';
import { commandLineContains, isAlive, stopProcess } from './process.js';
import { engineDefinition } from './registry.js';
import { findEngines, forgetEngine, recordEngine, updateState } from './state.js';
import type { EngineName, EngineOptions, EngineRecord, EngineSource, InstallInfo } from './types.js';

/**
 * The result of making one engine available: ready with a URL, or unavailable with a one-line reason.
 *
 * @example
 * ```ts
 * const outcome = await ensureEngine('dynamodb');
 * if (outcome.status === 'ready') console.log(outcome.url);
 * ```
 */
export type EngineOutcome =
  | {
      readonly name: EngineName;
      readonly status: 'ready';
      readonly source: EngineSource;
      readonly url: string;
      readonly pid?: number;
      readonly install?: InstallInfo;
      readonly startMs?: number;
    }
  | {
      readonly name: EngineName;
      readonly status: 'unavailable';
      readonly reason: string;
      /** True when a prerequisite is missing (as opposed to a failure while starting). */
      readonly missing: boolean;
    };

/**
 * The environment override for an engine, if set (`DATABASE_URL`, `DYNAMODB_ENDPOINT`, `MONGODB_URI`).
 *
 * @example
 * ```ts
 * envOverride('postgres', { DATABASE_URL: 'postgresql://localhost/x' }); // 'postgresql://localhost/x'
 * ```
 */
export function envOverride(name: EngineName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[engineDefinition(name).envVar];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * A recorded instance of the engine whose process still runs and answers its protocol (newest
 * first); records of exited processes are removed, with their data directories.
 *
 * @example
 * ```ts
 * const running = await healthyRecord('postgres');
 * ```
 */
export async function healthyRecord(
  name: EngineName,
  options: EngineOptions = {},
): Promise<EngineRecord | undefined> {
  const env = options.env ?? process.env;
  for (const record of findEngines(name, env)) {
    const alive = isAlive(record.pid) && commandLineContains(record.pid, record.marker);
    if (alive && (await engineDefinition(name).probe(record.url, 3000))) return record;
    if (!alive) {
      forgetEngine(name, record.pid, env);
      if (record.dataDir !== undefined) await rm(record.dataDir, { recursive: true, force: true });
    }
  }
  return undefined;
}

/**
 * Makes one engine available: its environment override (checked to answer), else a healthy engine
 * from the state file, else installs (cached) and starts one and records it. Never throws.
 *
 * @example
 * ```ts
 * const pg = await ensureEngine('postgres', { onEvent: (e) => { process.stderr.write(`${e.message}\n`); } });
 * ```
 */
export async function ensureEngine(name: EngineName, options: EngineOptions = {}): Promise<EngineOutcome> {
  const env = options.env ?? process.env;
  const def = engineDefinition(name);
  try {
    const override = options.ignoreEnvOverride === true ? undefined : envOverride(name, env);
    if (override !== undefined) {
      if (await def.probe(override, 5000)) return { name, status: 'ready', source: 'env', url: override };
      return {
        name,
        status: 'unavailable',
        missing: false,
        reason: `${def.envVar} is set but ${override} is not answering`,
      };
    }
    const running = await healthyRecord(name, options);
    if (running !== undefined) {
      if (running.ephemeral === true && options.ephemeral !== true) {
        // adopted outside a test run (e.g. `dbkit engines up`): no test run may stop it any more
        updateState((rs) => rs.map((r) => (r.pid === running.pid ? { ...r, ephemeral: false } : r)), env);
      }
      options.onEvent?.({ engine: name, phase: 'reuse', message: `reusing ${def.title} at ${running.url}` });
      return { name, status: 'ready', source: 'running', url: running.url, pid: running.pid };
    }
    const install = await def.install(options);
    const begun = Date.now();
    options.onEvent?.({ engine: name, phase: 'start', message: `starting ${def.title}` });
    // once more on a start failure: the free port may have been taken between choosing and binding
    const started = await def.start(options).catch((error: unknown) => {
      if (error instanceof EngineStartError) return def.start(options);
      throw error;
    });
    const ephemeral = options.ephemeral === true ? { ephemeral: true } : {};
    recordEngine({ name, ...started, startedAt: new Date().toISOString(), ...ephemeral }, env);
    const startMs = Date.now() - begun;
    return { name, status: 'ready', source: 'started', url: started.url, pid: started.pid, install, startMs };
  } catch (error) {
    return {
      name,
      status: 'unavailable',
      missing: error instanceof MissingPrerequisiteError,
      reason: oneLine(error),
    };
  }
}

/**
 * {@link ensureEngine} for several engines at once, in parallel.
 *
 * @example
 * ```ts
 * const outcomes = await ensureEngines(['postgres', 'dynamodb']);
 * ```
 */
export function ensureEngines(
  names: readonly EngineName[],
  options: EngineOptions = {},
): Promise<EngineOutcome[]> {
  return Promise.all(names.map((name) => ensureEngine(name, options)));
}

/**
 * Stops a recorded engine instance (the newest, or the one with `pid`) if its process is still the
 * recorded one, removes its data directory, log and record. Resolves true when one was recorded.
 *
 * @example
 * ```ts
 * await stopEngine('ferretdb');
 * ```
 */
export async function stopEngine(
  name: EngineName,
  options: EngineOptions = {},
  pid?: number,
): Promise<boolean> {
  const env = options.env ?? process.env;
  const record = findEngines(name, env).find((r) => pid === undefined || r.pid === pid);
  if (record === undefined) return false;
  const def = engineDefinition(name);
  options.onEvent?.({ engine: name, phase: 'stop', message: `stopping ${def.title} (pid ${record.pid})` });
  if (isAlive(record.pid) && commandLineContains(record.pid, record.marker)) {
    await stopProcess(record.pid, def.stopSignal);
  }
  if (record.dataDir !== undefined) await rm(record.dataDir, { recursive: true, force: true });
  await rm(record.logFile, { force: true }); // kept only when a start fails, for its message
  forgetEngine(name, record.pid, env);
  return true;
}
