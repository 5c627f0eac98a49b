// The engine connection info test/global-setup.ts provides to test files (vitest provide/inject).
import type { EngineName, EngineSource } from '../../src/testing/engines/index.js';

/**
 * Engines a test can ask for: the provisioned ones, plus `mongodb`, a real MongoDB given by
 * `MONGODB_URI`.
 *
 * @example
 * ```ts
 * const target: TestEngine = 'mongodb';
 * ```
 */
export type TestEngine = EngineName | 'mongodb';

/**
 * Whether an engine is usable in this test run: ready with a URL; unavailable (provisioning
 * failed, a failure under CI); or deliberately not selected (`DBKIT_ENGINES`, `MONGODB_URI`).
 *
 * @example
 * ```ts
 * const a: EngineAvailability = { status: 'ready', url: 'http://127.0.0.1:8000', source: 'started' };
 * ```
 */
export type EngineAvailability =
  | { readonly status: 'ready'; readonly url: string; readonly source: EngineSource }
  | { readonly status: 'unavailable'; readonly reason: string }
  | { readonly status: 'not-selected'; readonly reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    dbkitEngines: Record<TestEngine, EngineAvailability>;
  }
}
