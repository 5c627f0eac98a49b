// The example suite's global setup: one engine of each kind per run, from the first provider that works.
import { provideEngine } from 'dbkit/testing';
import type { EngineKind, ProvidedEngine } from 'dbkit/testing';

const ENV: Readonly<Record<EngineKind, string>> = {
  postgres: 'DATABASE_URL',
  dynamodb: 'DYNAMODB_ENDPOINT',
  mongodb: 'MONGODB_URI',
};

/**
 * Gets PostgreSQL, DynamoDB and MongoDB (mongodb-memory-server or Testcontainers when installed and
 * working, else dbkit's built-in engines) and hands their URLs to the test files through the
 * environment, which the workers inherit. Engines set in the environment already are used as they are.
 *
 * @example
 * ```ts
 * // vitest.config.ts
 * export default defineConfig({ test: { globalSetup: ['./global-setup.ts'] } });
 * ```
 */
export default async function setup(): Promise<() => Promise<void>> {
  const started: ProvidedEngine[] = [];
  for (const kind of Object.keys(ENV) as EngineKind[]) {
    const variable = ENV[kind];
    if ((process.env[variable] ?? '') !== '') continue;
    const outcome = await provideEngine(kind);
    if (outcome.status !== 'ready') {
      const reasons = outcome.skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ');
      throw new Error(`no ${kind} for the example suite (${reasons})`);
    }
    process.env[variable] = outcome.engine.url;
    started.push(outcome.engine);
  }
  return async () => {
    await Promise.all(started.map((engine) => engine.stop()));
  };
}
