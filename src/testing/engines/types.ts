// Shared types for the local engines dbkit provisions for tests and development.

/**
 * The engines dbkit can provision on this machine.
 *
 * @example
 * ```ts
 * const name: EngineName = 'dynamodb';
 * ```
 */
export type EngineName = 'postgres' | 'dynamodb' | 'ferretdb' | 'mongo-java-server';

/**
 * Where a ready engine came from: an environment override, an engine already running
 * (tracked in the state file), or one started just now.
 *
 * @example
 * ```ts
 * const source: EngineSource = 'env';
 * ```
 */
export type EngineSource = 'env' | 'running' | 'started';

/**
 * What an install step did: how long it took and whether the cache already had it.
 *
 * @example
 * ```ts
 * const info: InstallInfo = { cached: true, ms: 3, detail: 'DynamoDB Local 2.6.1' };
 * ```
 */
export interface InstallInfo {
  /** True when nothing had to be downloaded or built. */
  readonly cached: boolean;
  /** Wall-clock duration of the install step in milliseconds. */
  readonly ms: number;
  /** Human-readable description of what is installed (name and version). */
  readonly detail: string;
}

/**
 * A running engine as recorded in the state file.
 *
 * @example
 * ```ts
 * const rec: EngineRecord = {
 *   name: 'ferretdb', pid: 4242, port: 41000, url: 'mongodb://127.0.0.1:41000/',
 *   logFile: '/tmp/ferretdb.log', startedAt: new Date().toISOString(), marker: 'ferretdb',
 * };
 * ```
 */
export interface EngineRecord {
  readonly name: EngineName;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** Throwaway data directory removed when the engine is stopped. */
  readonly dataDir?: string;
  readonly logFile: string;
  readonly startedAt: string;
  /** A string the process command line contains, to avoid signalling a recycled pid. */
  readonly marker: string;
  /** Started by a test run: stopped when the last test run using it ends (see leases). */
  readonly ephemeral?: boolean;
}

/**
 * Progress reported while provisioning, for a CLI or test setup to print.
 *
 * @example
 * ```ts
 * const onEvent = (e: EngineEvent): void => { process.stderr.write(`${e.engine}: ${e.message}\n`); };
 * ```
 */
export interface EngineEvent {
  readonly engine: EngineName;
  readonly phase: 'install' | 'start' | 'stop' | 'reuse';
  readonly message: string;
}

/**
 * Options shared by the provisioning functions.
 *
 * @example
 * ```ts
 * const options: EngineOptions = { env: process.env, onEvent: (e) => { void e; } };
 * ```
 */
export interface EngineOptions {
  /** Environment to read overrides and paths from; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives progress events. */
  readonly onEvent?: (event: EngineEvent) => void;
  /** Provision even when the engine's environment override is set (e.g. FerretDB beside a MONGODB_URI). */
  readonly ignoreEnvOverride?: boolean;
  /** Mark engines started now as ephemeral (a test run's), to be stopped when no run uses them. */
  readonly ephemeral?: boolean;
}

/**
 * A process an engine definition started, before it is recorded in the state file.
 *
 * @example
 * ```ts
 * const started: StartedEngine = { pid: 1, port: 2, url: 'http://127.0.0.1:2', logFile: '/tmp/x.log', marker: 'java' };
 * ```
 */
export interface StartedEngine {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly dataDir?: string;
  readonly logFile: string;
  readonly marker: string;
}

/**
 * Everything dbkit knows about one engine: how to install, start, probe and stop it.
 *
 * @example
 * ```ts
 * const def: EngineDefinition = dynamodbLocal;
 * const install = await def.install({});
 * ```
 */
export interface EngineDefinition {
  readonly name: EngineName;
  /** Display name, e.g. "DynamoDB Local". */
  readonly title: string;
  /** Environment variable whose value replaces provisioning. */
  readonly envVar: string;
  /** Installs into the cache (idempotent); throws MissingPrerequisiteError when it cannot. */
  install(options: EngineOptions): Promise<InstallInfo>;
  /** Starts a fresh instance on a free port and waits until healthy. */
  start(options: EngineOptions): Promise<StartedEngine>;
  /** Resolves true when the engine at `url` answers its protocol within `timeoutMs`. */
  probe(url: string, timeoutMs: number): Promise<boolean>;
  /** Signal that shuts the engine down quickly and cleanly. */
  readonly stopSignal: NodeJS.Signals;
}
