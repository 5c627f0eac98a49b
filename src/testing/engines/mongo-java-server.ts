// mongo-java-server (in-memory MongoDB stand-in from Maven Central) behind a tiny compiled launcher.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installOnce } from './cache.js';
import { runCommand, which } from './exec.js';
import { copyDependencies, requireJava, requireMaven } from './jvm.js';
import { launch } from './launch.js';
import { installDir } from './paths.js';
import { probeMongo } from './probes.js';
import type { EngineDefinition, EngineOptions, InstallInfo, StartedEngine } from './types.js';

/**
 * The mongo-java-server release dbkit installs.
 *
 * @example
 * ```ts
 * MONGO_JAVA_SERVER_VERSION; // '1.47.0'
 * ```
 */
export const MONGO_JAVA_SERVER_VERSION = '1.47.0';
const LAUNCHER = 'MongoJavaServerLauncher';
const NEEDER = { engine: 'mongo-java-server', title: 'mongo-java-server', envVar: 'MONGODB_URI' } as const;

/** The launcher source ships beside this module (src/ in development, dist/ once built). */
const launcherSource = fileURLToPath(new URL(`./java/${LAUNCHER}.java`, import.meta.url));

/** The install directory is keyed by the launcher's hash, so an edited launcher is recompiled. */
async function home(env: NodeJS.ProcessEnv): Promise<string> {
  const hash = createHash('sha256')
    .update(await readFile(launcherSource))
    .digest('hex')
    .slice(0, 12);
  return installDir('mongo-java-server', `${MONGO_JAVA_SERVER_VERSION}-${hash}`, env);
}

async function install(options: EngineOptions): Promise<InstallInfo> {
  const env = options.env ?? process.env;
  const begun = Date.now();
  await requireJava(NEEDER, 17, true, env);
  const mvn = requireMaven(NEEDER, env);
  const javac = which('javac', env) ?? 'javac';
  const cached = await installOnce(await home(env), async (tmp) => {
    options.onEvent?.({
      engine: 'mongo-java-server',
      phase: 'install',
      message: 'fetching mongo-java-server jars with Maven and compiling its launcher',
    });
    const lib = join(tmp, 'lib');
    await copyDependencies(
      mvn,
      tmp,
      lib,
      [
        {
          groupId: 'de.bwaldvogel',
          artifactId: 'mongo-java-server-memory-backend',
          version: MONGO_JAVA_SERVER_VERSION,
        },
      ],
      env,
    );
    await mkdir(join(tmp, 'classes'));
    await runCommand(javac, ['-nowarn', '-cp', `${lib}/*`, '-d', join(tmp, 'classes'), launcherSource], {
      timeoutMs: 300_000,
      env,
    });
  });
  return {
    cached,
    ms: Date.now() - begun,
    detail: `mongo-java-server ${MONGO_JAVA_SERVER_VERSION} (memory backend)`,
  };
}

async function start(options: EngineOptions): Promise<StartedEngine> {
  const env = options.env ?? process.env;
  const java = await requireJava(NEEDER, 17, false, env);
  const dir = await home(env);
  return launch(
    'mongo-java-server',
    'mongo-java-server',
    env,
    (port) =>
      Promise.resolve({
        command: java,
        args: [
          '-cp',
          `${join(dir, 'classes')}:${join(dir, 'lib')}/*`,
          LAUNCHER,
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
        ],
        cwd: dir,
        url: `mongodb://127.0.0.1:${port}/`,
        marker: LAUNCHER,
      }),
    probeMongo,
    60_000,
    'SIGTERM',
  );
}

/**
 * mongo-java-server with its in-memory backend (reporting MongoDB 5.0), a second MongoDB stand-in
 * beside FerretDB. `MONGODB_URI` replaces it.
 *
 * @example
 * ```ts
 * await mongoJavaServer.install({});
 * const { url } = await mongoJavaServer.start({}); // 'mongodb://127.0.0.1:40999/'
 * ```
 */
export const mongoJavaServer: EngineDefinition = {
  name: 'mongo-java-server',
  title: 'mongo-java-server',
  envVar: 'MONGODB_URI',
  install,
  start,
  probe: probeMongo,
  stopSignal: 'SIGTERM',
};
