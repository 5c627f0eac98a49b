// Unit tests for leases: an ephemeral engine is stopped by the last test run using it, not before.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leasedByOthers, releaseLease, takeLease } from '../../src/testing/engines/leases.js';
import { isAlive, spawnDetached, stopProcess } from '../../src/testing/engines/process.js';
import { findEngines, recordEngine } from '../../src/testing/engines/state.js';

describe('leases', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const pids: number[] = [];
  const sleeper = (): number => {
    const pid = spawnDetached({ command: 'sleep', args: ['60'], logFile: join(dir, 'sleep.log') });
    pids.push(pid);
    return pid;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dbkit-lease-test-'));
    env = { DBKIT_CACHE_DIR: dir };
  });
  afterEach(async () => {
    await Promise.all(pids.splice(0).map((pid) => stopProcess(pid, 'SIGKILL', 1000)));
    rmSync(dir, { recursive: true, force: true });
  });

  const fakeEngine = (pid: number, ephemeral: boolean): void => {
    const base = {
      name: 'ferretdb',
      pid,
      port: 1,
      url: 'mongodb://127.0.0.1:1/',
      logFile: join(dir, 'x.log'),
    } as const;
    recordEngine(
      { ...base, startedAt: new Date().toISOString(), marker: 'sleep', ...(ephemeral ? { ephemeral } : {}) },
      env,
    );
  };

  it('keeps an ephemeral engine while another live process leases it, then stops it', async () => {
    const engine = sleeper();
    const otherRun = sleeper(); // stands in for a concurrent test run
    fakeEngine(engine, true);
    takeLease([{ name: 'ferretdb', pid: engine }], env);
    mkdirSync(join(dir, 'state', 'leases'), { recursive: true });
    writeFileSync(
      join(dir, 'state', 'leases', `${otherRun}.json`),
      JSON.stringify({ pid: otherRun, engines: [{ name: 'ferretdb', pid: engine }] }),
    );

    expect(leasedByOthers(env)).toEqual([{ name: 'ferretdb', pid: engine }]);
    expect(await releaseLease({ env })).toEqual([]);
    expect(isAlive(engine)).toBe(true);

    await stopProcess(otherRun, 'SIGKILL', 1000); // the other run ends: its lease is now stale
    expect(await releaseLease({ env })).toEqual(['ferretdb']);
    expect(isAlive(engine)).toBe(false);
    expect(findEngines('ferretdb', env)).toEqual([]);
  });

  it('never stops engines started outside test runs', async () => {
    const engine = sleeper();
    fakeEngine(engine, false);
    takeLease([{ name: 'ferretdb', pid: engine }], env);
    expect(await releaseLease({ env })).toEqual([]);
    expect(isAlive(engine)).toBe(true);
  });
});
