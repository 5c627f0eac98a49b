// A real PostgreSQL server from the system packages, with a throwaway data directory on 127.0.0.1.
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MissingPrerequisiteError } from './errors.js';
import { runCommand, which } from './exec.js';
import { launch } from './launch.js';
import { probePostgres } from './probes.js';
import type { EngineDefinition, EngineOptions, InstallInfo, StartedEngine } from './types.js';

const WAY_OUT = 'install them (apt-get install postgresql) or set DATABASE_URL';

/**
 * The directory holding `initdb` and `postgres`: `DBKIT_POSTGRES_BIN`, else the newest
 * `/usr/lib/postgresql/<major>/bin`, else wherever `PATH` has them; undefined when absent.
 *
 * @example
 * ```ts
 * postgresBinDir(); // '/usr/lib/postgresql/15/bin'
 * ```
 */
export function postgresBinDir(
  env: NodeJS.ProcessEnv = process.env,
  root = '/usr/lib/postgresql',
): string | undefined {
  const has = (dir: string): boolean => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
  const explicit = env['DBKIT_POSTGRES_BIN'];
  if (explicit !== undefined && explicit !== '') return has(explicit) ? explicit : undefined;
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+(\.\d+)?$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const major of majors) if (has(join(root, major, 'bin'))) return join(root, major, 'bin');
  const initdb = which('initdb', env);
  return initdb !== undefined && has(join(initdb, '..')) ? join(initdb, '..') : undefined;
}

function requireBinDir(env: NodeJS.ProcessEnv): string {
  const dir = postgresBinDir(env);
  if (dir === undefined) {
    throw new MissingPrerequisiteError(
      'postgres',
      `PostgreSQL server binaries not found (no initdb/postgres in /usr/lib/postgresql/*/bin or on PATH); ${WAY_OUT}`,
    );
  }
  return dir;
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` OS user. */
async function runAs(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const entry = await runCommand('getent', ['passwd', 'postgres'], { timeoutMs: 10_000 }).catch(
    () => undefined,
  );
  const fields = entry?.stdout.trim().split(':') ?? [];
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (fields.length < 4 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new MissingPrerequisiteError(
      'postgres',
      'PostgreSQL refuses to run as root and there is no `postgres` user to run it as; create one (apt-get install postgresql does) or set DATABASE_URL',
    );
  }
  return { uid, gid };
}

async function install(options: EngineOptions): Promise<InstallInfo> {
  const begun = Date.now();
  const dir = requireBinDir(options.env ?? process.env);
  const { stdout } = await runCommand(join(dir, 'postgres'), ['--version'], { timeoutMs: 15_000 });
  return { cached: true, ms: Date.now() - begun, detail: `${stdout.trim()} (${dir}, system package)` };
}

async function start(options: EngineOptions): Promise<StartedEngine> {
  const env = options.env ?? process.env;
  const bin = requireBinDir(env);
  const user = await runAs();
  const ids = user ?? {};
  const dataDir = await mkdtemp(join(tmpdir(), 'dbkit-postgres-'));
  const data = join(dataDir, 'data');
  try {
    if (user !== undefined) await chown(dataDir, user.uid, user.gid);
    await chmod(dataDir, 0o700);
    const initdbArgs = [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ];
    await runCommand(join(bin, 'initdb'), initdbArgs, { cwd: dataDir, timeoutMs: 120_000, ...ids });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dataDir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '200',
    shared_buffers: '64MB',
  };
  return launch(
    'postgres',
    'PostgreSQL',
    env,
    (port) =>
      Promise.resolve({
        command: join(bin, 'postgres'),
        args: [
          '-D',
          data,
          '-p',
          String(port),
          ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
        ],
        cwd: dataDir,
        url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
        marker: data,
        dataDir,
        ...ids,
      }),
    probePostgres,
    60_000,
    'SIGINT',
  );
}

/**
 * PostgreSQL from the system packages (Debian's `postgresql`), tuned for tests (no fsync), trust
 * auth on 127.0.0.1 only, data in a throwaway directory. `DATABASE_URL` replaces it.
 *
 * @example
 * ```ts
 * const { url } = await postgres.start({}); // 'postgresql://postgres@127.0.0.1:40111/postgres'
 * ```
 */
export const postgres: EngineDefinition = {
  name: 'postgres',
  title: 'PostgreSQL',
  envVar: 'DATABASE_URL',
  install,
  start,
  probe: probePostgres,
  stopSignal: 'SIGINT',
};
