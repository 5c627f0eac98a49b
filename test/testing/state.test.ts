// Unit tests for the engines state file: round-trip, replace by name, forget by pid, malformed input.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findEngine,
  findEngines,
  forgetEngine,
  readState,
  recordEngine,
  stateFile,
} from '../../src/testing/engines/state.js';
import type { EngineRecord } from '../../src/testing/engines/types.js';

describe('engines state file', () => {
  let env: NodeJS.ProcessEnv;
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dbkit-state-test-'));
    env = { DBKIT_CACHE_DIR: dir };
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const record = (name: EngineRecord['name'], pid: number): EngineRecord => ({
    name,
    pid,
    port: 40000 + pid,
    url: `mongodb://127.0.0.1:${40000 + pid}/`,
    logFile: '/tmp/x.log',
    startedAt: '2024-01-01T00:00:00.000Z',
    marker: 'ferretdb',
  });

  it('lives under the cache directory', () => {
    expect(stateFile(env)).toBe(join(dir, 'state', 'engines.json'));
  });

  it('reads nothing when there is no file', () => {
    expect(readState(env)).toEqual([]);
  });

  it('records several instances, newest first, and forgets one by pid', () => {
    recordEngine(record('ferretdb', 1), env);
    recordEngine(record('dynamodb', 2), env);
    recordEngine(record('ferretdb', 3), env);
    recordEngine({ ...record('ferretdb', 3), ephemeral: true }, env);
    expect(findEngines('ferretdb', env).map((r) => r.pid)).toEqual([3, 1]);
    expect(findEngine('ferretdb', env)).toMatchObject({ pid: 3, ephemeral: true });

    forgetEngine('ferretdb', 3, env);
    expect(findEngine('ferretdb', env)?.pid).toBe(1);
    forgetEngine('ferretdb', 1, env);
    expect(findEngine('ferretdb', env)).toBeUndefined();
    expect(readState(env)).toHaveLength(1);
  });

  it('does not lose records when several processes update it at once', async () => {
    const stateModule = new URL('../../src/testing/engines/state.ts', import.meta.url).href;
    const writer = async (n: number): Promise<void> => {
      const code = `const { recordEngine } = await import(${JSON.stringify(stateModule)});
        for (let i = 0; i < 5; i++) recordEngine({ name: 'postgres', pid: ${n} * 100 + i, port: 1, url: 'x',
          logFile: 'x', startedAt: 'x', marker: 'x' }, { DBKIT_CACHE_DIR: ${JSON.stringify(dir)} });`;
      await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code]);
    };
    await Promise.all([1, 2, 3, 4, 5, 6].map(writer));
    expect(findEngines('postgres', env)).toHaveLength(30);
  });

  it('keeps the optional data directory', () => {
    recordEngine({ ...record('postgres', 4), dataDir: '/tmp/dbkit-postgres-x' }, env);
    expect(findEngine('postgres', env)?.dataDir).toBe('/tmp/dbkit-postgres-x');
  });

  it('treats a corrupt file as empty and drops malformed entries', () => {
    mkdirSync(join(dir, 'state'), { recursive: true });
    writeFileSync(stateFile(env), '{not json');
    expect(readState(env)).toEqual([]);
    writeFileSync(
      stateFile(env),
      JSON.stringify({
        engines: [record('dynamodb', 5), { name: 'redis', pid: 1 }, { name: 'postgres' }, null],
      }),
    );
    expect(readState(env).map((r) => r.name)).toEqual(['dynamodb']);
  });
});
