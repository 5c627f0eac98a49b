// `dbkit engines up|status|down|install`: real local engines for tests and development.
import { Command } from 'commander';
import {
  ENGINE_NAMES,
  engineDefinition,
  engineStatus,
  ensureEngines,
  oneLine,
  parseEngineList,
  readState,
  stateFile,
  stopEngine,
} from '../testing/engines/index.js';
import type { EngineEvent, EngineName, EngineOptions } from '../testing/engines/index.js';
import { formatOutcome, formatStatus, pgliteLine, seconds } from './format.js';

const options: EngineOptions = {
  onEvent: (event: EngineEvent) => {
    process.stderr.write(`[${event.engine}] ${event.message}\n`);
  },
};

function selected(names: readonly string[]): EngineName[] {
  return parseEngineList(names.length > 0 ? names : process.env['DBKIT_ENGINES']);
}

async function up(names: string[], flags: { json?: boolean }): Promise<void> {
  const begun = Date.now();
  const outcomes = await ensureEngines(selected(names), options);
  if (flags.json === true) {
    console.log(JSON.stringify(outcomes, null, 2));
  } else {
    for (const outcome of outcomes)
      console.log(formatOutcome(outcome, engineDefinition(outcome.name).envVar));
    console.log(
      `(${seconds(Date.now() - begun)} total; state in ${stateFile()}; stop with \`dbkit engines down\`)`,
    );
  }
  if (outcomes.some((o) => o.status === 'unavailable')) process.exitCode = 1;
}

async function install(names: string[]): Promise<void> {
  const results = await Promise.all(
    selected(names).map(async (name) => {
      try {
        const info = await engineDefinition(name).install(options);
        return `${name.padEnd(18)}${(info.cached ? 'cached' : 'installed').padEnd(12)}${info.detail}  (${seconds(info.ms)})`;
      } catch (error) {
        process.exitCode = 1;
        return `${name.padEnd(18)}${'missing'.padEnd(12)}${oneLine(error)}`;
      }
    }),
  );
  for (const line of results) console.log(line);
}

async function status(names: string[], flags: { json?: boolean }): Promise<void> {
  const statuses = (await Promise.all(selected(names).map((name) => engineStatus(name)))).flat();
  if (flags.json === true) {
    console.log(JSON.stringify(statuses, null, 2));
    return;
  }
  for (const s of statuses) console.log(formatStatus(s));
  console.log(pgliteLine());
}

async function down(names: string[]): Promise<void> {
  const wanted = names.length > 0 ? parseEngineList(names) : ENGINE_NAMES;
  const recorded = readState().filter((r) => wanted.includes(r.name));
  if (recorded.length === 0) {
    console.log('no engines recorded as running');
    return;
  }
  await Promise.all(recorded.map((r) => stopEngine(r.name, options, r.pid)));
  for (const r of recorded) console.log(`${r.name.padEnd(18)}stopped     (pid ${r.pid})`);
}

/**
 * Builds the `engines` command with its `up`, `status`, `down` and `install` subcommands.
 *
 * @example
 * ```ts
 * program.addCommand(enginesCommand());
 * ```
 */
export function enginesCommand(): Command {
  const engines = new Command('engines').description(
    `Real local engines for tests and development (${ENGINE_NAMES.join(', ')}; PGlite runs in-process). ` +
      'Names default to DBKIT_ENGINES or all; DATABASE_URL, DYNAMODB_ENDPOINT and MONGODB_URI replace provisioning.',
  );
  engines
    .command('up')
    .description('install (cached) and start engines, reusing healthy running ones; prints timings')
    .argument('[engines...]', 'engine names or aliases (all, pg, dynamo, mongo)')
    .option('--json', 'print the outcomes as JSON')
    .action(up);
  engines
    .command('status')
    .description('show which engines run, where, and whether they answer')
    .argument('[engines...]', 'engine names or aliases')
    .option('--json', 'print the statuses as JSON')
    .action(status);
  engines
    .command('down')
    .description('stop engines recorded in the state file and remove their data')
    .argument('[engines...]', 'engine names or aliases (default: all recorded)')
    .action(down);
  engines
    .command('install')
    .description('install engines into the cache without starting them')
    .argument('[engines...]', 'engine names or aliases')
    .action(install);
  return engines;
}
