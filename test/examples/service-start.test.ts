// `npm start` against a server refuses an undeployed schema with a clear message; after `npm run migrate` it serves.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { createDynamoClient } from '../../src/dynamo/client.js';
import { connectMongo } from '../../src/mongo/client.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a node entry of this repository as its npm script does; stops it once `ready` matches its output. */
function run(args: readonly string[], env: NodeJS.ProcessEnv, ready?: RegExp): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=dbkit-source', '--import', 'tsx', ...args], {
      cwd: root,
      env: { ...process.env, ...env, PORT: '0', LOG_LEVEL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (ready?.test(stdout) === true) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const migrate = ['src/cli/main.ts', 'migrate', 'deploy', '--config', 'examples/service/dbkit.config.ts'];

describeEngine('postgres', (serverUrl) => {
  let database: TestDatabase | undefined;
  afterAll(async () => {
    await database?.drop();
  });

  it('refuses to start on an unmigrated database, naming the command; serves after npm run migrate', async () => {
    database = await createTestDatabase(serverUrl, 'start');
    const env = { DBKIT_ENGINE: 'postgres', DATABASE_URL: database.url };
    const refused = await run(['examples/service/main.ts'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the database is not migrated');
    expect(refused.stderr).toContain('npm run migrate -- --target postgres');

    const deployed = await run([...migrate, '--target', 'postgres', '--json'], env);
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({
      ok: true,
      targets: { postgres: { alreadyApplied: [] } },
    });

    const served = await run(
      ['examples/service/main.ts'],
      env,
      /dbkit example service on postgres: http:\/\/\S+/,
    );
    expect(served.stdout).toMatch(/dbkit example service on postgres: http:\/\/127\.0\.0\.1:\d+/);
  }, 180_000);
});

describeEngine('dynamodb', (endpoint) => {
  const table = uniqueName('start');
  afterAll(async () => {
    const db = createDynamoClient({ local: endpoint });
    await db.deleteTable(table);
    db.destroy();
  });

  it('refuses to start without the table, naming the command; serves after npm run migrate', async () => {
    const env = { DBKIT_ENGINE: 'dynamo', DYNAMODB_ENDPOINT: endpoint, DYNAMODB_TABLE: table };
    const refused = await run(['examples/service/main.ts'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`table ${table}`);
    expect(refused.stderr).toContain('npm run migrate -- --target dynamo');

    const deployed = await run([...migrate, '--target', 'dynamo', '--json'], env);
    expect(deployed.stderr).not.toContain('dbkit migrate');
    expect(deployed.code).toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({
      ok: true,
      targets: { dynamo: { applied: [], sync: [{ table, created: true }] } },
    });

    const served = await run(
      ['examples/service/main.ts'],
      env,
      /dbkit example service on dynamo: http:\/\/\S+/,
    );
    expect(served.stdout).toMatch(/dbkit example service on dynamo: http:\/\/127\.0\.0\.1:\d+/);
  }, 180_000);
});

describeEngine('mongo-java-server', (uri) => {
  const database = uniqueName('start');
  afterAll(async () => {
    const mongo = await connectMongo({ uri, dbName: database, shared: false });
    await mongo.db.dropDatabase();
    await mongo.close();
  });

  it('refuses to start without the indexes, naming the command; serves after npm run migrate', async () => {
    const env = { DBKIT_ENGINE: 'mongo', MONGODB_URI: uri, MONGODB_DB: database };
    const refused = await run(['examples/service/main.ts'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('index users.email_1');
    expect(refused.stderr).toContain('npm run migrate -- --target mongo');

    const deployed = await run([...migrate, '--target', 'mongo', '--json'], env);
    expect(deployed.stderr).not.toContain('dbkit migrate');
    expect(deployed.code).toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({
      ok: true,
      targets: {
        mongo: {
          applied: [],
          sync: expect.arrayContaining([
            expect.objectContaining({ collection: 'users', created: ['email_1'] }),
          ]),
        },
      },
    });

    const served = await run(
      ['examples/service/main.ts'],
      env,
      /dbkit example service on mongo: http:\/\/\S+/,
    );
    expect(served.stdout).toMatch(/dbkit example service on mongo: http:\/\/127\.0\.0\.1:\d+/);
  }, 180_000);
});
