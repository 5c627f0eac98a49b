// Plain-text formatting of engine outcomes and statuses for the dbkit CLI.
import type { EngineOutcome, EngineStatus } from '../testing/engines/index.js';

/**
 * Milliseconds as seconds with one decimal.
 *
 * @example
 * ```ts
 * seconds(1530); // '1.5s'
 * ```
 */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

const NAME_WIDTH = 18;
const STATE_WIDTH = 12;

function row(name: string, state: string, rest: string): string {
  return `${name.padEnd(NAME_WIDTH)}${state.padEnd(STATE_WIDTH)}${rest}`.trimEnd();
}

/**
 * One line per outcome of `engines up`, with install and start timings.
 *
 * @example
 * ```ts
 * formatOutcome({ name: 'postgres', status: 'ready', source: 'env', url: 'postgresql://x' });
 * // 'postgres          env         postgresql://x  (from DATABASE_URL)'
 * ```
 */
export function formatOutcome(outcome: EngineOutcome, envVar = ''): string {
  if (outcome.status === 'unavailable') {
    return row(outcome.name, outcome.missing ? 'missing' : 'failed', outcome.reason);
  }
  let note = '';
  if (outcome.source === 'env') note = `(from ${envVar})`;
  if (outcome.source === 'running') note = `(already running, pid ${outcome.pid ?? '?'})`;
  if (outcome.source === 'started') {
    const install = outcome.install;
    const installNote =
      install === undefined ? '' : `install ${seconds(install.ms)}${install.cached ? ' cached' : ''}, `;
    note = `(${installNote}start ${seconds(outcome.startMs ?? 0)}, pid ${outcome.pid ?? '?'})`;
  }
  return row(
    outcome.name,
    outcome.source === 'started' ? 'started' : outcome.source,
    `${outcome.url}  ${note}`,
  );
}

/**
 * One line per engine for `engines status`.
 *
 * @example
 * ```ts
 * formatStatus({ name: 'dynamodb', state: 'stopped', healthy: false }); // 'dynamodb          stopped'
 * ```
 */
export function formatStatus(status: EngineStatus): string {
  if (status.state === 'stopped') return row(status.name, 'stopped', '');
  const health = status.healthy ? 'healthy' : 'NOT answering';
  const since = status.startedAt === undefined ? '' : `, since ${status.startedAt}`;
  const pid = status.pid === undefined ? '' : `, pid ${status.pid}`;
  const owner = status.ephemeral === true ? ', owned by a test run' : '';
  return row(status.name, status.state, `${status.url ?? ''}  (${health}${pid}${since}${owner})`);
}

/**
 * The status line for PGlite, which runs in-process and needs nothing provisioned.
 *
 * @example
 * ```ts
 * pgliteLine(); // 'pglite            in-process  nothing to provision (@electric-sql/pglite)'
 * ```
 */
export function pgliteLine(): string {
  return row('pglite', 'in-process', 'nothing to provision (@electric-sql/pglite)');
}
