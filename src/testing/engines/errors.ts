// Errors raised while provisioning engines, each carrying one line that names the way out.
import type { EngineName } from './types.js';

/**
 * A prerequisite (a JDK, Maven, Go, PostgreSQL binaries) is missing. The message is ONE line
 * naming what is missing and how to get past it.
 *
 * @example
 * ```ts
 * throw new MissingPrerequisiteError('dynamodb',
 *   'DynamoDB Local needs a JDK: no `java` found; install one (apt-get install openjdk-17-jre-headless) or set DYNAMODB_ENDPOINT');
 * ```
 */
export class MissingPrerequisiteError extends Error {
  override readonly name = 'MissingPrerequisiteError';
  constructor(
    readonly engine: EngineName,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An engine was installed but did not start or become healthy in time.
 *
 * @example
 * ```ts
 * throw new EngineStartError('postgres', 'PostgreSQL did not become healthy in 30s', '/tmp/pg.log');
 * ```
 */
export class EngineStartError extends Error {
  override readonly name = 'EngineStartError';
  constructor(
    readonly engine: EngineName,
    message: string,
    readonly logFile?: string,
  ) {
    super(logFile === undefined ? message : `${message} (log: ${logFile})`);
  }
}

/**
 * Reduces any thrown value to a single-line reason suitable for a skip message or a status line.
 *
 * @example
 * ```ts
 * oneLine(new Error('a\nb')); // 'a b'
 * ```
 */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
