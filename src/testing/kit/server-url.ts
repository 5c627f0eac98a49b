// Where a context's engine is when the caller names none: the environment variable, else dbkit's built-in engine.
import { ensureEngine } from '../engines/provision.js';
import type { EngineName } from '../engines/types.js';

/**
 * The URL to use for `engine`: `given` when set, else the engine's environment variable or a
 * built-in engine through `ensureEngine` (started once and reused; never stopped by the kit).
 * Throws with the reason when the engine cannot be had, so a file's `beforeAll` fails plainly.
 *
 * @example
 * ```ts
 * const url = await engineUrlFor('postgres'); // DATABASE_URL, or the built-in PostgreSQL
 * ```
 */
export async function engineUrlFor(engine: EngineName, given?: string): Promise<string> {
  if (given !== undefined && given !== '') return given;
  const outcome = await ensureEngine(engine);
  if (outcome.status === 'ready') return outcome.url;
  throw new Error(`dbkit: ${engine} is unavailable: ${outcome.reason}`);
}
