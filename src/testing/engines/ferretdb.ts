// FerretDB v1 (MongoDB wire protocol over SQLite), built from the Go module proxy, on 127.0.0.1.
import { chmod, cp, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MissingPrerequisiteError } from './errors.js';
import { runCommand, which } from './exec.js';
import { launch } from './launch.js';
import { binDir, cacheDir } from './paths.js';
import { probeMongo } from './probes.js';
import type { EngineDefinition, EngineOptions, InstallInfo, StartedEngine } from './types.js';

/**
 * The FerretDB release dbkit builds.
 *
 * @example
 * ```ts
 * FERRETDB_VERSION; // 'v1.24.0'
 * ```
 */
export const FERRETDB_VERSION = 'v1.24.0';
const MODULE = 'github.com/FerretDB/FerretDB';

function binaryPath(env: NodeJS.ProcessEnv): string {
  return join(binDir(env), 'ferretdb');
}

/** True when the cached binary runs and reports the expected version. */
async function cachedBinaryWorks(binary: string): Promise<boolean> {
  try {
    const { stdout } = await runCommand(binary, ['--version'], { timeoutMs: 15_000 });
    return stdout.includes(`version: ${FERRETDB_VERSION}`);
  } catch {
    return false;
  }
}

/** The Go module cache is read-only; the copy must be writable to add files and delete it later. */
async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, ((await stat(dir)).mode & 0o777) | 0o200);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(path);
    else await chmod(path, ((await stat(path)).mode & 0o777) | 0o200);
  }
}

/**
 * `go install …@version` needs the module's version list, which some proxies refuse; so download
 * the module, copy it somewhere writable, add the version file its build expects, and build it.
 */
async function build(go: string, target: string, env: NodeJS.ProcessEnv): Promise<void> {
  const goEnv = { ...env, GOTOOLCHAIN: 'local', GOFLAGS: `${env['GOFLAGS'] ?? ''} -buildvcs=false`.trim() };
  const { stdout } = await runCommand(go, ['mod', 'download', '-json', `${MODULE}@${FERRETDB_VERSION}`], {
    env: goEnv,
    timeoutMs: 900_000,
  });
  const parsed: unknown = JSON.parse(stdout);
  const dir = typeof parsed === 'object' && parsed !== null && 'Dir' in parsed ? parsed.Dir : undefined;
  if (typeof dir !== 'string')
    throw new Error(`\`go mod download\` did not report a directory for ${MODULE}`);
  const source = join(cacheDir(env), 'ferretdb', `src-${FERRETDB_VERSION}-${process.pid}`);
  await rm(source, { recursive: true, force: true });
  await cp(dir, source, { recursive: true });
  try {
    await makeWritable(source);
    await writeFile(join(source, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    await writeFile(join(source, 'build', 'version', 'package.txt'), 'dbkit\n');
    const output = `${target}.tmp-${process.pid}`;
    await runCommand(go, ['build', '-trimpath', '-o', output, './cmd/ferretdb'], {
      cwd: source,
      env: goEnv,
      timeoutMs: 1_800_000,
    });
    await chmod(output, 0o755);
    await rename(output, target);
  } finally {
    await rm(source, { recursive: true, force: true });
  }
}

async function install(options: EngineOptions): Promise<InstallInfo> {
  const env = options.env ?? process.env;
  const begun = Date.now();
  const binary = binaryPath(env);
  const detail = `FerretDB ${FERRETDB_VERSION} (SQLite backend)`;
  if (await cachedBinaryWorks(binary)) return { cached: true, ms: Date.now() - begun, detail };
  const go = which('go', env);
  if (go === undefined) {
    throw new MissingPrerequisiteError(
      'ferretdb',
      'FerretDB is built from source with Go: no `go` found; install Go 1.22+ (https://go.dev/dl) or set MONGODB_URI',
    );
  }
  options.onEvent?.({
    engine: 'ferretdb',
    phase: 'install',
    message: `building FerretDB ${FERRETDB_VERSION} with Go (1-3 minutes on 2 cores, once)`,
  });
  await mkdir(binDir(env), { recursive: true });
  await build(go, binary, env);
  if (!(await cachedBinaryWorks(binary))) throw new Error(`the FerretDB build at ${binary} does not run`);
  return { cached: false, ms: Date.now() - begun, detail };
}

async function start(options: EngineOptions): Promise<StartedEngine> {
  const env = options.env ?? process.env;
  const binary = binaryPath(env);
  return launch(
    'ferretdb',
    'FerretDB',
    env,
    async (port) => {
      const dataDir = await mkdtemp(join(tmpdir(), 'dbkit-ferretdb-'));
      await mkdir(join(dataDir, 'sqlite'));
      return {
        command: binary,
        args: [
          '--handler=sqlite',
          `--sqlite-url=file:${join(dataDir, 'sqlite')}/`,
          `--listen-addr=127.0.0.1:${port}`,
          `--state-dir=${dataDir}`,
          '--debug-addr=-',
          '--telemetry=disable',
          '--log-level=warn',
        ],
        cwd: dataDir,
        env: { ...env, DO_NOT_TRACK: '1' },
        url: `mongodb://127.0.0.1:${port}/`,
        marker: 'ferretdb',
        dataDir,
      };
    },
    probeMongo,
    30_000,
    'SIGTERM',
  );
}

/**
 * FerretDB v1 with its SQLite backend. `MONGODB_URI` replaces it. FerretDB v1 has no transactions,
 * TTL, partial, sparse or text indexes, nor `$lookup`.
 *
 * @example
 * ```ts
 * await ferretdb.install({}); // builds once into ~/.cache/dbkit/bin/ferretdb
 * const { url } = await ferretdb.start({}); // 'mongodb://127.0.0.1:40123/'
 * ```
 */
export const ferretdb: EngineDefinition = {
  name: 'ferretdb',
  title: 'FerretDB',
  envVar: 'MONGODB_URI',
  install,
  start,
  probe: probeMongo,
  stopSignal: 'SIGTERM',
};
