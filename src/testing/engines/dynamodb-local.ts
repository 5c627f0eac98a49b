// DynamoDB Local 2.x from Maven Central, run in memory with the installed JDK on 127.0.0.1.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { installOnce } from './cache.js';
import { copyDependencies, requireJava, requireMaven } from './jvm.js';
import { launch } from './launch.js';
import { installDir } from './paths.js';
import { probeDynamo } from './probes.js';
import type { EngineDefinition, EngineOptions, InstallInfo, StartedEngine } from './types.js';

/**
 * The DynamoDB Local release dbkit installs.
 *
 * @example
 * ```ts
 * DYNAMODB_LOCAL_VERSION; // '2.6.1'
 * ```
 */
export const DYNAMODB_LOCAL_VERSION = '2.6.1';
const MAIN_CLASS = 'com.amazonaws.services.dynamodbv2.local.main.ServerRunner';
const NEEDER = { engine: 'dynamodb', title: 'DynamoDB Local', envVar: 'DYNAMODB_ENDPOINT' } as const;

function home(env: NodeJS.ProcessEnv): string {
  return installDir('dynamodb-local', DYNAMODB_LOCAL_VERSION, env);
}

/** sqlite4java looks for `libsqlite4java-<os>-<arch>.so` without a version, in its library path. */
async function placeNativeLibrary(libDir: string, nativeDir: string): Promise<void> {
  await mkdir(nativeDir, { recursive: true });
  const files = await readdir(libDir);
  const arch = process.arch === 'arm64' ? 'linux-aarch64' : 'linux-amd64';
  for (const file of files) {
    const match = /^(lib)?(sqlite4java-[a-z0-9_-]+?)-\d[\d.]*\.(so|dylib|dll)$/.exec(file);
    if (match !== null)
      await copyFile(
        join(libDir, file),
        join(nativeDir, `${match[1] ?? ''}${match[2] ?? ''}.${match[3] ?? ''}`),
      );
  }
  if (process.platform === 'linux' && !(await readdir(nativeDir)).includes(`libsqlite4java-${arch}.so`)) {
    throw new Error(`DynamoDB Local: no sqlite4java native library for ${arch} among the Maven artifacts`);
  }
}

async function install(options: EngineOptions): Promise<InstallInfo> {
  const env = options.env ?? process.env;
  const begun = Date.now();
  await requireJava(NEEDER, 17, false, env);
  const mvn = requireMaven(NEEDER, env);
  const cached = await installOnce(home(env), async (tmp) => {
    options.onEvent?.({
      engine: 'dynamodb',
      phase: 'install',
      message: 'fetching DynamoDB Local jars with Maven',
    });
    const lib = join(tmp, 'lib');
    await copyDependencies(
      mvn,
      tmp,
      lib,
      [{ groupId: 'com.amazonaws', artifactId: 'DynamoDBLocal', version: DYNAMODB_LOCAL_VERSION }],
      env,
    );
    await placeNativeLibrary(lib, join(tmp, 'native'));
  });
  return { cached, ms: Date.now() - begun, detail: `DynamoDB Local ${DYNAMODB_LOCAL_VERSION}` };
}

async function start(options: EngineOptions): Promise<StartedEngine> {
  const env = options.env ?? process.env;
  const java = await requireJava(NEEDER, 17, false, env);
  const dir = home(env);
  return launch(
    'dynamodb',
    'DynamoDB Local',
    env,
    (port) =>
      Promise.resolve({
        command: java,
        args: [
          `-Dsqlite4java.library.path=${join(dir, 'native')}`,
          '-cp',
          `${join(dir, 'lib')}/*`,
          MAIN_CLASS,
          '-inMemory',
          '-sharedDb',
          '-disableTelemetry',
          '-port',
          String(port),
        ],
        cwd: dir,
        url: `http://127.0.0.1:${port}`,
        marker: MAIN_CLASS,
      }),
    probeDynamo,
    60_000,
    'SIGTERM',
  );
}

/**
 * DynamoDB Local (`com.amazonaws:DynamoDBLocal`), in memory with `-sharedDb`. `DYNAMODB_ENDPOINT`
 * replaces it.
 *
 * @example
 * ```ts
 * await dynamodbLocal.install({});
 * const { url } = await dynamodbLocal.start({}); // 'http://127.0.0.1:41234'
 * ```
 */
export const dynamodbLocal: EngineDefinition = {
  name: 'dynamodb',
  title: 'DynamoDB Local',
  envVar: 'DYNAMODB_ENDPOINT',
  install,
  start,
  probe: probeDynamo,
  stopSignal: 'SIGTERM',
};
