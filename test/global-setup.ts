// Vitest global setup: provisions the engines this run needs and hands their URLs to test files.
import type { TestProject } from 'vitest/node';
import { formatOutcome, seconds } from '../src/cli/format.js';
import {
  ENGINE_NAMES,
  engineDefinition,
  ensureEngine,
  parseEngineList,
  probeMongo,
  releaseLease,
  takeLease,
} from '../src/testing/engines/index.js';
import type { EngineEvent, EngineName, EngineOptions, EngineOutcome } from '../src/testing/engines/index.js';
import type { EngineAvailability, TestEngine } from './helpers/provided.js';

const log = (line: string): void => {
  process.stderr.write(`[dbkit engines] ${line}\n`);
};
const options: EngineOptions = {
  onEvent: (e: EngineEvent) => {
    log(`${e.engine}: ${e.message}`);
  },
};

/** The MongoDB stand-ins are provisioned even when MONGODB_URI is set, if explicitly selected. */
const STAND_INS: readonly EngineName[] = ['ferretdb', 'mongo-java-server'];

function toAvailability(outcome: EngineOutcome): EngineAvailability {
  return outcome.status === 'ready'
    ? { status: 'ready', url: outcome.url, source: outcome.source }
    : { status: 'unavailable', reason: outcome.reason };
}

async function realMongo(uri: string | undefined): Promise<EngineAvailability> {
  if (uri === undefined || uri.trim() === '')
    return { status: 'not-selected', reason: 'MONGODB_URI is not set' };
  return (await probeMongo(uri, 5000))
    ? { status: 'ready', url: uri, source: 'env' }
    : { status: 'unavailable', reason: `MONGODB_URI is set but ${uri} is not answering` };
}

/**
 * Also hands URLs to test workers through the environment (workers start after global setup and
 * inherit it): `DBKIT_<ENGINE>_URL` for every ready engine, and `DATABASE_URL` / `DYNAMODB_ENDPOINT`
 * when they were not set. `MONGODB_URI` stays meaning "a real MongoDB".
 */
function exportUrls(engines: Record<TestEngine, EngineAvailability>): void {
  for (const [name, a] of Object.entries(engines)) {
    if (a.status !== 'ready') continue;
    process.env[`DBKIT_${name.toUpperCase().replaceAll('-', '_')}_URL`] = a.url;
    if (name === 'postgres' || name === 'dynamodb') process.env[engineDefinition(name).envVar] ??= a.url;
  }
}

/**
 * Provisions the engines (all, or `DBKIT_ENGINES`), reusing healthy running ones, and provides
 * `dbkitEngines` to test files. Engines a test run starts are stopped at teardown by the last run
 * still using them (leases), unless `DBKIT_KEEP_ENGINES=1`; engines from `dbkit engines up` stay.
 *
 * @example
 * ```ts
 * // vitest.config.ts
 * export default defineConfig({ test: { globalSetup: 'test/global-setup.ts' } });
 * ```
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const begun = Date.now();
  const ephemeral = process.env['DBKIT_KEEP_ENGINES'] !== '1';
  const mongoUri = process.env['MONGODB_URI'];
  const explicit = process.env['DBKIT_ENGINES'];
  const mongoGiven = mongoUri !== undefined && mongoUri.trim() !== '';
  const selected = parseEngineList(explicit).filter(
    (name) => !(mongoGiven && explicit === undefined && STAND_INS.includes(name)),
  );
  // Lease each engine as soon as it is ready: a concurrent run finishing meanwhile must not stop it.
  const leased: { name: EngineName; pid: number }[] = [];
  const provision = async (name: EngineName): Promise<EngineOutcome> => {
    const outcome = await ensureEngine(name, {
      ...options,
      ephemeral,
      ignoreEnvOverride: STAND_INS.includes(name),
    });
    if (outcome.status === 'ready' && outcome.pid !== undefined) {
      leased.push({ name, pid: outcome.pid });
      takeLease(leased);
    }
    return outcome;
  };
  const [outcomes, mongodb] = await Promise.all([Promise.all(selected.map(provision)), realMongo(mongoUri)]);

  const engines = { mongodb } as Record<TestEngine, EngineAvailability>;
  for (const name of ENGINE_NAMES) {
    const outcome = outcomes.find((o) => o.name === name);
    engines[name] =
      outcome !== undefined
        ? toAvailability(outcome)
        : {
            status: 'not-selected',
            reason:
              mongoGiven && STAND_INS.includes(name)
                ? 'MONGODB_URI is set'
                : `DBKIT_ENGINES=${explicit ?? ''}`,
          };
  }
  for (const outcome of outcomes) log(formatOutcome(outcome, engineDefinition(outcome.name).envVar));
  if (mongodb.status !== 'not-selected')
    log(`mongodb: ${mongodb.status === 'ready' ? mongodb.url : mongodb.reason}`);
  log(`ready in ${seconds(Date.now() - begun)}`);
  project.provide('dbkitEngines', engines);
  exportUrls(engines);

  return async () => {
    const stopped = await releaseLease(options);
    if (stopped.length > 0) log(`stopped ${stopped.join(', ')}`);
  };
}
