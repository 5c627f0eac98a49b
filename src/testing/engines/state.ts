// The JSON state file of running engines, so `status`, `down` and later test runs can find them.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFileLock } from './lock.js';
import { stateDir } from './paths.js';
import type { EngineName, EngineRecord } from './types.js';

const NAMES: readonly EngineName[] = ['postgres', 'dynamodb', 'ferretdb', 'mongo-java-server'];

/**
 * Path of the state file: `<cache>/state/engines.json`.
 *
 * @example
 * ```ts
 * stateFile({ DBKIT_CACHE_DIR: '/tmp/c' }); // '/tmp/c/state/engines.json'
 * ```
 */
export function stateFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'engines.json');
}

function isRecord(value: unknown): value is EngineRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['name'] === 'string' &&
    (NAMES as readonly string[]).includes(v['name']) &&
    typeof v['pid'] === 'number' &&
    typeof v['port'] === 'number' &&
    typeof v['url'] === 'string' &&
    typeof v['logFile'] === 'string' &&
    typeof v['startedAt'] === 'string' &&
    typeof v['marker'] === 'string' &&
    (v['dataDir'] === undefined || typeof v['dataDir'] === 'string') &&
    (v['ephemeral'] === undefined || typeof v['ephemeral'] === 'boolean')
  );
}

/**
 * Reads the recorded engines; a missing or unreadable file counts as none, and malformed entries
 * are dropped.
 *
 * @example
 * ```ts
 * const running = readState(); // [{ name: 'postgres', pid: 123, ... }]
 * ```
 */
export function readState(env: NodeJS.ProcessEnv = process.env): EngineRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(stateFile(env), 'utf8'));
  } catch {
    return [];
  }
  const engines =
    typeof parsed === 'object' && parsed !== null && 'engines' in parsed && Array.isArray(parsed.engines)
      ? (parsed.engines as unknown[])
      : [];
  return engines.filter(isRecord);
}

/**
 * Changes the state file under a cross-process lock; the file is replaced atomically.
 *
 * @example
 * ```ts
 * updateState((records) => records.filter((r) => r.name !== 'postgres'));
 * ```
 */
export function updateState(
  change: (records: EngineRecord[]) => EngineRecord[],
  env: NodeJS.ProcessEnv = process.env,
): void {
  mkdirSync(stateDir(env), { recursive: true });
  const file = stateFile(env);
  withFileLock(`${file}.lock`, () => {
    const records = change(readState(env));
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ engines: records }, null, 2)}\n`);
    renameSync(tmp, file);
  });
}

/**
 * Adds one engine to the state file (several instances of one engine may be recorded).
 *
 * @example
 * ```ts
 * recordEngine({ name: 'ferretdb', pid, port, url, logFile, startedAt: new Date().toISOString(), marker: 'ferretdb' });
 * ```
 */
export function recordEngine(record: EngineRecord, env: NodeJS.ProcessEnv = process.env): void {
  updateState(
    (records) => [...records.filter((r) => !(r.name === record.name && r.pid === record.pid)), record],
    env,
  );
}

/**
 * Removes one engine instance (by name and pid) from the state file.
 *
 * @example
 * ```ts
 * forgetEngine('ferretdb', 4242);
 * ```
 */
export function forgetEngine(name: EngineName, pid: number, env: NodeJS.ProcessEnv = process.env): void {
  updateState((records) => records.filter((r) => !(r.name === name && r.pid === pid)), env);
}

/**
 * The recorded instances of one engine, newest first.
 *
 * @example
 * ```ts
 * findEngines('dynamodb').map((r) => r.url); // ['http://127.0.0.1:40001']
 * ```
 */
export function findEngines(name: EngineName, env: NodeJS.ProcessEnv = process.env): EngineRecord[] {
  return readState(env)
    .filter((r) => r.name === name)
    .reverse();
}

/**
 * The newest recorded instance of one engine, if any.
 *
 * @example
 * ```ts
 * findEngine('dynamodb')?.url; // 'http://127.0.0.1:40001'
 * ```
 */
export function findEngine(name: EngineName, env: NodeJS.ProcessEnv = process.env): EngineRecord | undefined {
  return findEngines(name, env)[0];
}
