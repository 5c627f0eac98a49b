// The runtime behind a DynamoClient, for day-two tools (journal, backfill) that run declared operations outside the entity API.
import type { DynamoClient } from './client.js';
import { mapDynamoError } from './errors.js';
import { defaultTimeoutMs } from './runtime.js';
import type { Runtime } from './runtime.js';

const runtimes = new WeakMap<object, Runtime>();

/**
 * @internal Records the runtime `createDynamoClient` built for `client`, so that tools given the
 * client run with its retry policy, time limit and telemetry.
 *
 * @example
 * ```ts
 * registerRuntime(api, runtime)
 * ```
 */
export function registerRuntime(client: object, runtime: Runtime): void {
  runtimes.set(client, runtime);
}

/**
 * @internal The runtime of `client`: the registered one, else one rebuilt from the client's public
 * parts (its DocumentClient and instrumentation, dbkit's default retry policy and time limit).
 *
 * @example
 * ```ts
 * const runtime = runtimeOf(db)
 * ```
 */
export function runtimeOf(client: DynamoClient): Runtime {
  const known = runtimes.get(client);
  if (known !== undefined) return known;
  const runtime: Runtime = {
    document: client.document,
    client: client.client,
    executor: {
      instrumentation: client.instrumentation,
      retry: {},
      mapError: (err, spec) => mapDynamoError(err, spec),
      timeoutMs: defaultTimeoutMs,
    },
    cursors: client.cursors,
    timeoutMs: defaultTimeoutMs,
    consumedCapacity: false,
    batchConcurrency: 4,
    retry: {},
  };
  runtimes.set(client, runtime);
  return runtime;
}
