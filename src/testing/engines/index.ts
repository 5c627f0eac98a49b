// Public entry of the engines library: provisioning real local engines for tests and development.
export type {
  EngineDefinition,
  EngineEvent,
  EngineName,
  EngineOptions,
  EngineRecord,
  EngineSource,
  InstallInfo,
  StartedEngine,
} from './types.js';
export { EngineStartError, MissingPrerequisiteError, oneLine } from './errors.js';
export { binDir, cacheDir, installDir, logDir, stateDir } from './paths.js';
export { freePort, isPortOpen } from './ports.js';
export { probeDynamo, probeMongo, probePostgres } from './probes.js';
export { ENGINE_NAMES, engineDefinition, isEngineName, parseEngineList } from './registry.js';
export { ensureEngine, ensureEngines, envOverride, healthyRecord, stopEngine } from './provision.js';
export type { EngineOutcome } from './provision.js';
export { engineStatus } from './status.js';
export type { EngineStatus } from './status.js';
export { findEngine, findEngines, readState, stateFile } from './state.js';
export { leasedByOthers, releaseLease, takeLease } from './leases.js';
export type { EngineUse } from './leases.js';
export { DYNAMODB_LOCAL_VERSION } from './dynamodb-local.js';
export { FERRETDB_VERSION } from './ferretdb.js';
export { MONGO_JAVA_SERVER_VERSION } from './mongo-java-server.js';
export { postgresBinDir } from './postgres.js';
