// DynamoDB benchmark (not a test): dbkit vs the raw DocumentClient, ElectroDB, dynamodb-toolbox and Dynamoose on one DynamoDB Local, plus client-side CPU per operation with no network.
// Usage: npm run bench:dynamo -- [--endpoint http://127.0.0.1:8000] [--libs dbkit,DocumentClient,Dynamoose] [--section 'DynamoDB: Dynamoose'] [--write]
// (endpoint defaults to DYNAMODB_ENDPOINT; --libs runs only those libraries; --write replaces the README section named by --section, default `DynamoDB`)
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { format, resolveConfig } from 'prettier';
import { createDynamoClient, defineTable } from 'dbkit/dynamo';
import { dbkitLibrary, dynamooseLibrary, electroLibrary, rawLibrary, toolboxLibrary } from './libraries.js';
import type { BenchPost, Library } from './libraries.js';

type Op = 'get' | 'put' | 'update' | 'query page (50)' | 'batch write 1,000';
const OPS: Op[] = ['get', 'put', 'update', 'query page (50)', 'batch write 1,000'];
const NETWORK_RUNS: Record<Op, number> = {
  get: 300,
  put: 300,
  update: 300,
  'query page (50)': 100,
  'batch write 1,000': 3,
};
const CPU_RUNS: Record<Op, number> = {
  get: 3500,
  put: 3500,
  update: 3500,
  'query page (50)': 1400,
  'batch write 1,000': 21,
};
const ROUNDS = 7;

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i === -1 ? undefined : process.argv[i + 1];
}

const posts = (userId: string, n: number): BenchPost[] =>
  Array.from({ length: n }, (_, i) => ({
    userId,
    postId: String(i).padStart(5, '0'),
    title: `Post ${i}`,
    likes: i % 7,
  }));

function runner(lib: Library, op: Op, batchTag: { n: number }): (i: number) => Promise<unknown> {
  switch (op) {
    case 'get':
      return (i) => lib.get(`u${i % 100}`);
    case 'put':
      return (i) => lib.put({ id: `p${i % 500}`, name: 'Put', email: 'put@example.com', age: i });
    case 'update':
      return (i) => lib.update(`u${i % 100}`);
    case 'query page (50)':
      return () => lib.queryPage('author');
    case 'batch write 1,000':
      return () => lib.batchWrite(posts(`batch${batchTag.n++}`, 1000));
  }
}

async function time(fn: (i: number) => Promise<unknown>, runs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn(i);
    samples.push(performance.now() - start);
  }
  return samples;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

async function main(): Promise<void> {
  const endpoint = argValue('--endpoint') ?? process.env.DYNAMODB_ENDPOINT;
  if (endpoint === undefined) {
    process.stderr.write(
      'Set DYNAMODB_ENDPOINT or pass --endpoint (start one with `npx tsx src/cli/main.ts engines up dynamodb`).\n',
    );
    process.exit(2);
  }
  const tableName = `dbkit_bench_${Date.now()}`;
  const admin = createDynamoClient({ local: endpoint, cursorSecret: 'benchmark-cursor-secret-0123456789' });
  const table = defineTable({ name: tableName, partitionKey: 'pk', sortKey: 'sk' });
  await admin.ensureTable(table);
  const factories = [dbkitLibrary, rawLibrary, electroLibrary, toolboxLibrary, dynamooseLibrary];
  const wanted = argValue('--libs')
    ?.split(',')
    .map((n) => n.trim().toLowerCase());
  const libs = factories
    .map((make) => make(endpoint, tableName))
    .filter((lib) => {
      if (wanted === undefined || wanted.includes(lib.name.toLowerCase())) return true;
      lib.destroy();
      return false;
    });
  const heading = argValue('--section') ?? 'DynamoDB';
  const command = [
    'npm run bench:dynamo --',
    ...process.argv
      .slice(2)
      .filter((a, i, all) => all[i - 1] !== '--endpoint' && a !== '--endpoint')
      .map((a) => (/\s/.test(a) ? `'${a}'` : a)),
  ].join(' ');
  // Other processes on the machine skew both tables: say how busy it was when the run started.
  const loadAtStart = loadavg()[0] ?? 0;
  const network = new Map<string, number>();
  const cpu = new Map<string, number>();
  try {
    for (const lib of libs) {
      for (let i = 0; i < 100; i++)
        await lib.put({ id: `u${i}`, name: 'User', email: `u${i}@example.com`, age: 30 });
      await lib.batchWrite(posts('author', 200));
    }
    for (const op of OPS) {
      // Libraries take turns in rounds, so drift in DynamoDB Local (JIT, GC, compaction) hits all alike.
      const samples = new Map<string, number[]>();
      const fns = new Map(libs.map((lib) => [lib.name, runner(lib, op, { n: 0 })]));
      for (const lib of libs) await time(fns.get(lib.name)!, Math.min(20, NETWORK_RUNS[op]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const lib of libs) {
          const fn = fns.get(lib.name)!;
          samples.set(lib.name, [
            ...(samples.get(lib.name) ?? []),
            ...(await time(fn, Math.ceil(NETWORK_RUNS[op] / ROUNDS))),
          ]);
        }
      }
      for (const lib of libs) {
        network.set(`${lib.name}|${op}`, median(samples.get(lib.name) ?? []));
        process.stderr.write(
          `network ${op.padEnd(18)} ${lib.name.padEnd(16)} ${network.get(`${lib.name}|${op}`)?.toFixed(2)} ms\n`,
        );
      }
    }
    for (const lib of libs) lib.handler.mode = 'replay';
    for (const op of OPS) {
      // Interleave libraries in rounds so drift (JIT, GC, thermal) hits all of them alike.
      const totals = new Map<string, number[]>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const lib of libs) {
          const fn = runner(lib, op, { n: 0 });
          const runs = Math.ceil(CPU_RUNS[op] / ROUNDS);
          await time(fn, Math.min(50, runs));
          const start = performance.now();
          for (let i = 0; i < runs; i++) await fn(i);
          const perOp = ((performance.now() - start) * 1000) / runs;
          totals.set(lib.name, [...(totals.get(lib.name) ?? []), perOp]);
        }
      }
      for (const lib of libs) {
        // The fastest round is the one least disturbed by other processes: the best estimate of CPU cost.
        cpu.set(`${lib.name}|${op}`, Math.min(...(totals.get(lib.name) ?? [Number.NaN])));
        process.stderr.write(
          `cpu     ${op.padEnd(18)} ${lib.name.padEnd(16)} ${cpu.get(`${lib.name}|${op}`)?.toFixed(1)} µs\n`,
        );
      }
    }
  } finally {
    for (const lib of libs) lib.destroy();
    await admin.deleteTable(table);
    admin.destroy();
  }
  const names = libs.map((l) => l.name);
  const fmt = (v: number | undefined, digits: number): string => (v === undefined ? '–' : v.toFixed(digits));
  const ratio = names.includes('dbkit') && names.includes('DocumentClient');
  const lines = [
    `## ${heading}`,
    '',
    `Generated by \`${command}\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, DynamoDB Local on the same machine (load average ${loadAtStart.toFixed(1)} when the run started).`,
    '',
    '**Round trip on DynamoDB Local** (median ms per operation, sequential, libraries interleaved in 7 rounds; Local dominates these numbers):',
    '',
    `| operation | ${names.join(' | ')} |`,
    `| --- | ${names.map(() => '---:').join(' | ')} |`,
    ...OPS.map((op) => `| ${op} | ${names.map((n) => fmt(network.get(`${n}|${op}`), 2)).join(' | ')} |`),
    '',
    `**Client-side CPU, no network** (µs per operation, best of 7 interleaved rounds: build the request, serialise and sign it, parse and unmarshall a recorded response; dbkit also validates with zod and seals cursors${names.includes('Dynamoose') ? '; Dynamoose checks items against its schema' : ''}):`,
    '',
    `| operation | ${names.join(' | ')} |${ratio ? ' dbkit ÷ DocumentClient |' : ''}`,
    `| --- | ${names.map(() => '---:').join(' | ')} |${ratio ? ' ---: |' : ''}`,
    ...OPS.map((op) => {
      const cells = names.map((n) => fmt(cpu.get(`${n}|${op}`), 1)).join(' | ');
      if (!ratio) return `| ${op} | ${cells} |`;
      const r = (cpu.get(`dbkit|${op}`) ?? 0) / (cpu.get(`DocumentClient|${op}`) ?? 1);
      return `| ${op} | ${cells} | ${r.toFixed(2)} |`;
    }),
    '',
  ];
  const section = lines.join('\n');
  process.stdout.write(`${section}\n`);
  if (process.argv.includes('--write')) {
    const path = new URL('../README.md', import.meta.url);
    // Only the section named by --section is ours; it is formatted as prettier would, the rest is left as it is.
    const config = (await resolveConfig(path)) ?? {};
    const formatted = (await format(section, { ...config, parser: 'markdown' })).trimEnd();
    let readme: string;
    try {
      readme = readFileSync(path, 'utf8');
    } catch {
      readme = '# Benchmarks\n';
    }
    // The whole heading line, so `## DynamoDB` never matches `## DynamoDB: Dynamoose`.
    const start = readme.search(new RegExp(`^## ${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    if (start === -1) {
      // A new section goes right after the main DynamoDB one, else at the end.
      const dynamo = readme.search(/^## DynamoDB$/m);
      const next = dynamo === -1 ? -1 : readme.indexOf('\n## ', dynamo + 1);
      readme =
        next === -1
          ? `${readme.trimEnd()}\n\n${formatted}\n`
          : `${readme.slice(0, next)}\n${formatted}\n${readme.slice(next)}`;
    } else {
      const next = readme.indexOf('\n## ', start + 1);
      readme = `${readme.slice(0, start)}${formatted}\n${next === -1 ? '' : readme.slice(next)}`;
    }
    writeFileSync(path, readme);
    process.stderr.write('bench/README.md updated\n');
  }
}

await main();
