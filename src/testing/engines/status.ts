// What is running right now: per engine, its override, its recorded processes and whether they answer.
import { commandLineContains, isAlive } from './process.js';
import { envOverride } from './provision.js';
import { engineDefinition } from './registry.js';
import { findEngines } from './state.js';
import type { EngineName, EngineOptions } from './types.js';

/**
 * One engine instance's status line.
 *
 * @example
 * ```ts
 * const s: EngineStatus = { name: 'postgres', state: 'running', healthy: true, url: 'postgresql://…', pid: 42 };
 * ```
 */
export interface EngineStatus {
  readonly name: EngineName;
  /** `env`: an override is set; `running`: recorded and alive; `dead`: recorded, process gone; `stopped`. */
  readonly state: 'env' | 'running' | 'dead' | 'stopped';
  readonly healthy: boolean;
  readonly url?: string;
  readonly pid?: number;
  readonly startedAt?: string;
  readonly logFile?: string;
  /** Started by a test run, which stops it when no test run uses it any more. */
  readonly ephemeral?: boolean;
}

/**
 * Reports an engine's status without changing anything: the override when set, else one entry per
 * recorded instance, else `stopped`.
 *
 * @example
 * ```ts
 * for (const s of await engineStatus('dynamodb')) console.log(s.state, s.url);
 * ```
 */
export async function engineStatus(name: EngineName, options: EngineOptions = {}): Promise<EngineStatus[]> {
  const env = options.env ?? process.env;
  const def = engineDefinition(name);
  const override = envOverride(name, env);
  if (override !== undefined) {
    return [{ name, state: 'env', url: override, healthy: await def.probe(override, 3000) }];
  }
  const records = findEngines(name, env);
  if (records.length === 0) return [{ name, state: 'stopped', healthy: false }];
  return Promise.all(
    records.map(async (record): Promise<EngineStatus> => {
      const base = {
        name,
        url: record.url,
        pid: record.pid,
        startedAt: record.startedAt,
        logFile: record.logFile,
        ...(record.ephemeral === true ? { ephemeral: true } : {}),
      };
      if (!isAlive(record.pid) || !commandLineContains(record.pid, record.marker)) {
        return { ...base, state: 'dead', healthy: false };
      }
      return { ...base, state: 'running', healthy: await def.probe(record.url, 3000) };
    }),
  );
}
