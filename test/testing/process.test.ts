// Unit tests for detached processes: spawn, liveness, command-line check, health wait and stop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  commandLineContains,
  isAlive,
  spawnDetached,
  stopProcess,
  waitUntilHealthy,
} from '../../src/testing/engines/process.js';

const dir = mkdtempSync(join(tmpdir(), 'dbkit-process-test-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('detached processes', () => {
  it('start, are recognised by their command line, and stop', async () => {
    const pid = spawnDetached({ command: 'sleep', args: ['30'], logFile: join(dir, 'sleep.log') });
    expect(isAlive(pid)).toBe(true);
    expect(commandLineContains(pid, 'sleep 30')).toBe(true);
    expect(commandLineContains(pid, 'DynamoDBLocal')).toBe(false);
    await stopProcess(pid, 'SIGTERM', 2000);
    expect(isAlive(pid)).toBe(false);
  });

  it('fail the health wait as soon as the process exits, quoting its log', async () => {
    const logFile = join(dir, 'crash.log');
    const pid = spawnDetached({ command: 'sh', args: ['-c', 'echo "FATAL: port taken"; exit 3'], logFile });
    await expect(
      waitUntilHealthy(() => Promise.resolve(false), { timeoutMs: 10_000, what: 'Crashy', pid, logFile }),
    ).rejects.toThrow(/Crashy exited during start-up: FATAL: port taken/);
  });

  it('time out the health wait', async () => {
    await expect(
      waitUntilHealthy(() => Promise.resolve(false), { timeoutMs: 200, what: 'Slowpoke', intervalMs: 20 }),
    ).rejects.toThrow(/Slowpoke was not healthy within 0.2s/);
  });
});
