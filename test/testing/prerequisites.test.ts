// Unit tests for missing prerequisites: one clear line naming what is missing and the way out.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MissingPrerequisiteError, oneLine } from '../../src/testing/engines/errors.js';
import { javaMajor, requireJava, requireMaven } from '../../src/testing/engines/jvm.js';
import { postgresBinDir } from '../../src/testing/engines/postgres.js';
import { ensureEngine } from '../../src/testing/engines/provision.js';
import { parseEngineList } from '../../src/testing/engines/registry.js';

const cache = mkdtempSync(join(tmpdir(), 'dbkit-prereq-test-'));
afterAll(() => {
  rmSync(cache, { recursive: true, force: true });
});
/** An environment where no tool can be found and nothing is cached or overridden. */
const bare: NodeJS.ProcessEnv = {
  PATH: '/nonexistent',
  DBKIT_CACHE_DIR: cache,
  DBKIT_POSTGRES_BIN: '/nonexistent',
};
const DYNAMO = { engine: 'dynamodb', title: 'DynamoDB Local', envVar: 'DYNAMODB_ENDPOINT' } as const;

describe('missing prerequisites', () => {
  it('name the missing JDK and the way out, in one line', async () => {
    const error: unknown = await requireJava(DYNAMO, 17, false, bare).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingPrerequisiteError);
    expect(oneLine(error)).toBe(
      'DynamoDB Local needs a JDK: no `java` found; install one (apt-get install openjdk-17-jdk-headless) or set DYNAMODB_ENDPOINT',
    );
  });

  it('name missing Maven', () => {
    expect(() => requireMaven(DYNAMO, bare)).toThrow(
      /no `mvn` found; install it \(apt-get install maven\) or set DYNAMODB_ENDPOINT/,
    );
  });

  it('make ensureEngine report the engine unavailable (never throw), flagged as missing', async () => {
    for (const [name, pattern] of [
      ['dynamodb', /no `java` found.*DYNAMODB_ENDPOINT/],
      ['mongo-java-server', /no `java` found.*MONGODB_URI/],
      ['ferretdb', /no `go` found.*MONGODB_URI/],
      ['postgres', /apt-get install postgresql.*DATABASE_URL/],
    ] as const) {
      const outcome = await ensureEngine(name, { env: bare });
      expect(outcome).toMatchObject({ name, status: 'unavailable', missing: true });
      if (outcome.status === 'unavailable') {
        expect(outcome.reason).toMatch(pattern);
        expect(outcome.reason).not.toContain('\n');
      }
    }
  });

  it('report an environment override that does not answer, without provisioning', async () => {
    const outcome = await ensureEngine('dynamodb', {
      env: { ...bare, DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' },
    });
    expect(outcome).toMatchObject({ status: 'unavailable', missing: false });
    if (outcome.status === 'unavailable') expect(outcome.reason).toContain('DYNAMODB_ENDPOINT is set but');
  });

  it('postgresBinDir honours DBKIT_POSTGRES_BIN and reports absence as undefined', () => {
    expect(postgresBinDir(bare, '/nonexistent')).toBeUndefined();
  });
});

describe('javaMajor', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['java version "1.8.0_292"', 8],
    ['openjdk version "21" 2023-09-19', 21],
    ['nonsense', undefined],
  ])('%s -> %s', (banner, major) => {
    expect(javaMajor(banner)).toBe(major);
  });
});

describe('parseEngineList', () => {
  it('defaults to all engines, accepts aliases and none, rejects unknown names', () => {
    expect(parseEngineList(undefined)).toEqual(['postgres', 'dynamodb', 'ferretdb', 'mongo-java-server']);
    expect(parseEngineList('dynamo, pg')).toEqual(['postgres', 'dynamodb']);
    expect(parseEngineList(['mongo'])).toEqual(['ferretdb', 'mongo-java-server']);
    expect(parseEngineList('none')).toEqual([]);
    expect(() => parseEngineList('redis')).toThrow(/unknown engine "redis"/);
  });
});
