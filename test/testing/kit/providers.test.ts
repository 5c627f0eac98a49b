// Engine providers: optional mongodb-memory-server and Testcontainers when they work, else the built-in engines.
import { describe, expect, it } from 'vitest';
import {
  builtinProvider,
  defaultProviders,
  memoryServerProvider,
  provideEngine,
  testcontainersProvider,
} from '../../../src/testing/kit/providers.js';
import type { EngineProvider } from '../../../src/testing/kit/providers.js';
import { describeEngine } from '../../helpers/engines.js';
import { probeMongo } from '../../../src/testing/engines/probes.js';

describe('defaultProviders', () => {
  it('prefers mongodb-memory-server, then Testcontainers, then the built-in engines', () => {
    expect(defaultProviders('mongodb', {}).map((p) => p.name)).toEqual([
      'mongodb-memory-server',
      'testcontainers',
      'builtin',
    ]);
    expect(defaultProviders('postgres', {}).map((p) => p.name)).toEqual(['testcontainers', 'builtin']);
  });

  it('uses only the built-in provider when the engine is named in the environment', () => {
    expect(
      defaultProviders('dynamodb', { DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' }).map((p) => p.name),
    ).toEqual(['builtin']);
  });
});

describe('provideEngine', () => {
  it('passes over a failing provider with its reason and reports when none works', async () => {
    const broken: EngineProvider = {
      name: 'testcontainers',
      supports: () => true,
      start: () => Promise.reject(new Error('no container runtime\nstack…')),
    };
    const outcome = await provideEngine('postgres', [memoryServerProvider(), broken]);
    expect(outcome).toEqual({
      status: 'unavailable',
      skipped: [
        { provider: 'mongodb-memory-server', reason: 'does not provide postgres' },
        { provider: 'testcontainers', reason: 'no container runtime' },
      ],
    });
  });
});

describeEngine('mongo-java-server', () => {
  it('falls back to the built-in engine when the optional packages are absent', async () => {
    const outcome = await provideEngine('mongodb', [
      memoryServerProvider(),
      testcontainersProvider(),
      builtinProvider({ mongoEngine: 'mongo-java-server' }),
    ]);
    if (outcome.status !== 'ready') throw new Error(JSON.stringify(outcome.skipped));
    expect(outcome.engine.provider).toBe('builtin');
    expect(outcome.skipped.map((s) => s.provider)).toEqual(['mongodb-memory-server', 'testcontainers']);
    expect(outcome.skipped[0]?.reason).toMatch(/mongodb-memory-server is not installed/);
    expect(await probeMongo(outcome.engine.url, 3000)).toBe(true);
    await outcome.engine.stop();
  });
});
