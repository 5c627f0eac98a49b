// Runs examples/testing, a user's own vitest suite on dbkit/testing, as its README says, and checks every file passed in parallel.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { engineUrl } from '../helpers/engines.js';

interface Report {
  numTotalTestSuites: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; status: string }[];
}

it('runs the example user suite: files for PostgreSQL, PGlite, DynamoDB and MongoDB in parallel, all passing', async (ctx) => {
  const urls = {
    DATABASE_URL: engineUrl('postgres'),
    DYNAMODB_ENDPOINT: engineUrl('dynamodb'),
    MONGODB_URI: engineUrl('mongodb') ?? engineUrl('mongo-java-server'),
  };
  const missing = Object.entries(urls).filter(([, url]) => url === undefined);
  if (missing.length > 0)
    ctx.skip(`needs ${missing.map(([name]) => name).join(', ')} from this run's engines`);
  const dir = await mkdtemp(join(tmpdir(), 'dbkit-example-suite-'));
  try {
    const report = join(dir, 'report.json');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          'node_modules/vitest/vitest.mjs',
          'run',
          '--config',
          'examples/testing/vitest.config.ts',
          '--reporter=json',
          `--outputFile=${report}`,
        ],
        { env: { ...process.env, ...urls }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (status) => {
        if (status !== 0) process.stderr.write(stderr.slice(-4000));
        resolve(status);
      });
    });
    const result = JSON.parse(await readFile(report, 'utf8')) as Report;
    expect(code).toBe(0);
    expect(result.numFailedTests).toBe(0);
    expect(result.testResults).toHaveLength(8);
    expect(result.testResults.every((f) => f.status === 'passed')).toBe(true);
    expect(result.numPassedTests).toBeGreaterThanOrEqual(16);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
