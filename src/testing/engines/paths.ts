// Where dbkit keeps engine installs, state and logs: a cache directory outside the repository.
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The cache directory: `DBKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/dbkit`, else `~/.cache/dbkit`.
 *
 * @example
 * ```ts
 * cacheDir({ DBKIT_CACHE_DIR: '/tmp/dbkit' }); // '/tmp/dbkit'
 * ```
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['DBKIT_CACHE_DIR'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && xdg !== '') return join(xdg, 'dbkit');
  return join(homedir(), '.cache', 'dbkit');
}

/**
 * The directory holding the state file of running engines.
 *
 * @example
 * ```ts
 * stateDir({ DBKIT_CACHE_DIR: '/tmp/dbkit' }); // '/tmp/dbkit/state'
 * ```
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'state');
}

/**
 * The directory engines write their logs to.
 *
 * @example
 * ```ts
 * logDir({ DBKIT_CACHE_DIR: '/tmp/dbkit' }); // '/tmp/dbkit/logs'
 * ```
 */
export function logDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'logs');
}

/**
 * The install directory of one engine version inside the cache.
 *
 * @example
 * ```ts
 * installDir('dynamodb-local', '2.6.1', { DBKIT_CACHE_DIR: '/c' }); // '/c/dynamodb-local/2.6.1'
 * ```
 */
export function installDir(engine: string, version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), engine, version);
}

/**
 * The directory for binaries built by dbkit (for example FerretDB).
 *
 * @example
 * ```ts
 * binDir({ DBKIT_CACHE_DIR: '/c' }); // '/c/bin'
 * ```
 */
export function binDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'bin');
}
