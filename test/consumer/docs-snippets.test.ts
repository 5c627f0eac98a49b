// The docs as a new user meets them: every ```ts block of README.md and docs/*.md compiles against the
// packed package in a fresh strict project, and the runnable ones run against real engines.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { DeleteTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineUrl, isCI, uniqueName } from '../helpers/engines.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { TestDatabase } from '../helpers/postgres.js';
import type { CodeBlock, SnippetEngine } from './markdown.js';
import { docBlocks, isTypeScript, snippetPath, where } from './markdown.js';
import type { ConsumerProject, Diagnostic } from './project.js';
import { compileProject, createConsumerProject, numbered, repoRoot, runSnippet } from './project.js';

const blocks = docBlocks(repoRoot);
const snippets = blocks.filter(isTypeScript);
const runnable = snippets.filter((b) => b.runnable !== undefined);
const started = performance.now();

let project: ConsumerProject | undefined;
let diagnostics = new Map<string, Diagnostic[]>();
let setupError: unknown;
const outcome = { compiled: 0, expectedErrors: 0, failed: [] as string[], ran: 0, skipped: [] as string[] };
const timings: Record<string, number> = {};

beforeAll(async () => {
  try {
    project = await createConsumerProject(blocks);
    Object.assign(timings, project.timings);
    const compiled = await compileProject(project.dir);
    timings['tsc'] = compiled.ms;
    diagnostics = compiled.byFile;
  } catch (error) {
    setupError = error;
  }
}, 300_000);

afterAll(() => {
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const steps = Object.entries(timings)
    .map(([step, ms]) => `${step} ${seconds(ms)}`)
    .join(', ');
  process.stderr.write(
    `[consumer] ${snippets.length} ts snippets: ${outcome.compiled} compile, ${outcome.expectedErrors} marked expect-error, ` +
      `${outcome.failed.length} failed${outcome.failed.length > 0 ? ` (${outcome.failed.join(', ')})` : ''}; ` +
      `${runnable.length} runnable: ${outcome.ran} ran${outcome.skipped.length > 0 ? `, skipped ${outcome.skipped.join(', ')}` : ''}; ` +
      `${steps}; ${seconds(performance.now() - started)} in all` +
      (project !== undefined
        ? `; project ${process.env['DBKIT_KEEP_CONSUMER'] === '1' ? 'kept in' : 'was'} ${project.dir}`
        : '') +
      '\n',
  );
  if (project !== undefined && process.env['DBKIT_KEEP_CONSUMER'] !== '1')
    rmSync(dirname(project.dir), { recursive: true, force: true });
});

/** The project, or the reason there is none (a failed pack, install or generate fails every test). */
function ready(): ConsumerProject {
  if (project === undefined) throw setupError instanceof Error ? setupError : new Error(String(setupError));
  return project;
}

function describeErrors(block: CodeBlock, errors: readonly Diagnostic[]): string {
  return errors
    .map((d) => `${block.doc}:${block.line + d.line}:${d.column} ${d.text}\n${numbered(block, d.line)}`)
    .join('\n\n');
}

describe('every ts snippet of README.md and docs/*.md compiles in a strict project (exactOptionalPropertyTypes, noUncheckedIndexedAccess) against the packed package', () => {
  it('finds the snippets', () => {
    expect(snippets.length).toBeGreaterThan(0);
  });

  for (const block of snippets) {
    const title = `${where(block)}${block.file !== undefined ? ` (${block.file})` : ''}${block.expectError !== undefined ? ' (expect-error)' : ''}`;
    it(title, () => {
      ready();
      const errors = diagnostics.get(snippetPath(block)) ?? [];
      if (block.expectError !== undefined) {
        if (errors.length === 0) {
          outcome.failed.push(where(block));
          throw new Error(
            `${where(block)} is marked "expect-error: ${block.expectError}" but compiles now: remove the marker from its info string`,
          );
        }
        outcome.expectedErrors += 1;
        return;
      }
      if (errors.length > 0) {
        outcome.failed.push(where(block));
        throw new Error(`${where(block)} does not compile:\n${describeErrors(block, errors)}`);
      }
      outcome.compiled += 1;
    });
  }

  it('nothing else in the project fails to compile (the generated Prisma Client, shared files)', () => {
    ready();
    const own = new Set(snippets.map(snippetPath));
    const others = [...diagnostics.entries()].filter(([file]) => !own.has(file));
    expect(
      others.flatMap(([, errors]) => errors.map((d) => `${d.file}(${d.line},${d.column}): ${d.text}`)),
    ).toEqual([]);
  });
});

/** Engine URLs and unique names for one run (and how to remove what it made), or why the engine is missing. */
async function engineEnv(
  engine: SnippetEngine,
): Promise<{ env: Record<string, string>; cleanup?: () => Promise<void> } | string> {
  switch (engine) {
    case 'pglite':
      return { env: {} };
    case 'dynamodb': {
      const url = engineUrl('dynamodb');
      if (url === undefined) return 'DynamoDB Local is not available';
      const table = uniqueName('docs');
      return {
        env: { DYNAMODB_ENDPOINT: url, TABLE_NAME: table },
        cleanup: async () => {
          const client = new DynamoDBClient({
            endpoint: url,
            region: 'local',
            credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          });
          try {
            await client.send(new DeleteTableCommand({ TableName: table }));
          } catch (error) {
            if (!(error instanceof ResourceNotFoundException)) throw error;
          } finally {
            client.destroy();
          }
        },
      };
    }
    case 'mongo': {
      const server = engineUrl('mongodb') ?? engineUrl('mongo-java-server') ?? engineUrl('ferretdb');
      if (server === undefined) return 'no MongoDB engine is available';
      const url = new URL(server);
      url.pathname = `/${uniqueName('docs')}`;
      return {
        env: { MONGODB_URI: url.toString() },
        cleanup: async () => {
          const client = new MongoClient(url.toString(), { serverSelectionTimeoutMS: 5_000 });
          try {
            await client.db().dropDatabase();
          } finally {
            await client.close();
          }
        },
      };
    }
    case 'postgres': {
      const server = engineUrl('postgres');
      if (server === undefined) return 'PostgreSQL is not available';
      const db: TestDatabase = await createTestDatabase(server, 'docs');
      return { env: { DATABASE_URL: db.url }, cleanup: () => db.drop() };
    }
  }
}

describe('the runnable snippets run against real engines, from the installed package', () => {
  for (const block of runnable) {
    const engine = block.runnable ?? 'pglite';
    it(`${where(block)} on ${engine}`, async (ctx) => {
      const dir = ready().dir;
      const errors = diagnostics.get(snippetPath(block)) ?? [];
      if (errors.length > 0) throw new Error(`${where(block)} does not compile, so it cannot run`);
      const prepared = await engineEnv(engine);
      if (typeof prepared === 'string') {
        if (isCI())
          throw new Error(`${where(block)} needs ${engine}, which must be available under CI: ${prepared}`);
        outcome.skipped.push(where(block));
        ctx.skip(prepared);
        return;
      }
      try {
        const ran = await runSnippet(dir, block, prepared.env);
        if (ran.code !== 0)
          throw new Error(
            `${where(block)} exited with ${ran.code} on ${engine}:\n${ran.output.slice(-4000)}`,
          );
        outcome.ran += 1;
      } finally {
        await prepared.cleanup?.();
      }
    }, 90_000);
  }
});
