// Benchmark: findById, insert, update and a 50-document page through dbkit, the raw driver, Mongoose (hydrated, lean) and Papr.
// Run: npm run bench:mongo -- [--write-readme]   (MONGODB_URI, else DBKIT_FERRETDB_URL, else a provisioned FerretDB)
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MongoClient, ObjectId } from 'mongodb';
import type { Collection } from 'mongodb';
import mongoose from 'mongoose';
import Papr, { schema, types } from 'papr';
import { z } from 'zod';
import { connectMongo, defineCollection, mongoDefaults, mongoRepository } from 'dbkit/mongo';
import { ensureEngine, stopEngine } from 'dbkit/testing';

const SEED = Number(process.env.BENCH_SEED ?? 300);
const ROUNDS = 5;
const PER_ROUND = Number(process.env.BENCH_ITERATIONS ?? 150);
const README = fileURLToPath(new URL('../README.md', import.meta.url));

type Op = 'findById' | 'insert' | 'update' | 'page of 50';
type Runner = Record<Op, (i: number) => Promise<unknown>>;

interface Seeded {
  ids: ObjectId[];
}

function docFor(i: number): {
  email: string;
  name: string;
  role: string;
  loginCount: number;
  tags: string[];
} {
  return {
    email: `user${i}-${randomBytes(3).toString('hex')}@example.com`,
    name: `User ${i}`,
    role: i % 10 === 0 ? 'admin' : 'user',
    loginCount: i % 50,
    tags: ['a', 'b'],
  };
}

async function seed(collection: Collection): Promise<Seeded> {
  const now = Date.now();
  const docs = Array.from({ length: SEED }, (_, i) => ({
    _id: new ObjectId(),
    ...docFor(i),
    createdAt: new Date(now - i * 1000),
    updatedAt: new Date(now - i * 1000),
  }));
  await collection.insertMany(docs);
  await collection.createIndex({ email: 1 }, { unique: true }, undefined);
  await collection.createIndex({ createdAt: -1, _id: -1 }, {}, undefined);
  return { ids: docs.map((d) => d._id) };
}

interface Target {
  uri: string;
  server: string;
  stop: () => Promise<void>;
}

/** MONGODB_URI when set; else FerretDB and mongo-java-server (DBKIT_*_URL, or provisioned here). */
async function resolveTargets(): Promise<Target[]> {
  if (process.env.MONGODB_URI)
    return [{ uri: process.env.MONGODB_URI, server: 'MongoDB (MONGODB_URI)', stop: () => Promise.resolve() }];
  const targets: Target[] = [];
  for (const [name, server, envUrl] of [
    ['ferretdb', 'FerretDB v1.24 (SQLite backend)', process.env.DBKIT_FERRETDB_URL],
    ['mongo-java-server', 'mongo-java-server 1.47 (in-memory)', process.env.DBKIT_MONGO_JAVA_SERVER_URL],
  ] as const) {
    if (envUrl) {
      targets.push({ uri: envUrl, server, stop: () => Promise.resolve() });
      continue;
    }
    const outcome = await ensureEngine(name);
    if (outcome.status !== 'ready') {
      process.stderr.write(`skipping ${server}: ${outcome.reason}\n`);
      continue;
    }
    const startedHere = outcome.source === 'started' ? outcome.pid : undefined;
    targets.push({
      uri: outcome.url,
      server,
      stop: async () => {
        if (startedHere !== undefined) await stopEngine(name, {}, startedHere);
      },
    });
  }
  return targets;
}

async function measure(runners: Record<string, Runner>, op: Op): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
  const names = Object.keys(runners);
  let counter = 0;
  for (let round = 0; round < ROUNDS + 1; round++) {
    // Rotate the order each round so no library always runs first (or last) on a warm cache.
    const order = names.map((_, i) => names[(i + round) % names.length] as string);
    for (const name of order) {
      const run = (runners[name] as Runner)[op];
      const begun = process.hrtime.bigint();
      for (let i = 0; i < PER_ROUND; i++) await run(counter++);
      const micros = Number(process.hrtime.bigint() - begun) / 1000 / PER_ROUND;
      if (round > 0) samples[name]?.push(micros); // round 0 warms up
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const tables: string[] = [];
  for (const target of await resolveTargets()) {
    try {
      tables.push(await benchServer(target.uri, target.server));
    } finally {
      await target.stop();
    }
  }
  const text = tables.join('\n\n');
  process.stdout.write(`${text}\n`);
  if (process.argv.includes('--write-readme')) await writeReadme(text);
}

async function benchServer(uri: string, server: string): Promise<string> {
  const dbName = `dbkit_bench_${randomBytes(4).toString('hex')}`;
  // Every library gets the same client settings (dbkit's production defaults), so only library overhead differs.
  const raw = new MongoClient(uri, { ...mongoDefaults });
  await raw.connect();
  const db = raw.db(dbName);
  const mongo = await connectMongo({
    uri,
    dbName,
    shared: false,
    cursorSecret: 'dbkit-bench-cursor-secret-0123456789',
  });
  const mconn = await mongoose.createConnection(uri, { dbName, ...mongoDefaults }).asPromise();
  try {
    const rawCol = db.collection('raw_users');
    const dbkitCol = db.collection('dbkit_users');
    const mongooseCol = db.collection('mongoose_users');
    const paprCol = db.collection('papr_users');
    const [rawSeed, dbkitSeed, mongooseSeed, paprSeed] = [
      await seed(rawCol),
      await seed(dbkitCol),
      await seed(mongooseCol),
      await seed(paprCol),
    ];
    const pick = (s: Seeded, i: number): ObjectId => s.ids[(i * 7919) % s.ids.length] as ObjectId;

    const Users = defineCollection({
      name: 'dbkit_users',
      schema: z.object({
        email: z.string(),
        name: z.string(),
        role: z.string(),
        loginCount: z.number(),
        tags: z.array(z.string()),
      }),
      indexes: [{ key: { email: 1 }, unique: true }, { key: { createdAt: -1, _id: -1 } }],
      timestamps: true,
    });
    const users = mongoRepository(mongo, Users);

    /* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- Mongoose's documented schema syntax */
    const UserSchema = new mongoose.Schema(
      {
        email: { type: String, required: true, unique: true },
        name: String,
        role: String,
        loginCount: Number,
        tags: [String],
      },
      { timestamps: true, collection: 'mongoose_users', autoIndex: false },
    );
    /* eslint-enable @typescript-eslint/no-unsafe-class-instance-assignment */
    const MUser = mconn.model('BenchUser', UserSchema);

    const papr = new Papr();
    papr.initialize(db);
    const PUser = papr.model(
      'papr_users',
      schema(
        {
          email: types.string({ required: true }),
          name: types.string(),
          role: types.string(),
          loginCount: types.number(),
          tags: types.array(types.string()),
        },
        { timestamps: true },
      ),
    );

    const runners: Record<string, Runner> = {
      'raw driver': {
        findById: (i) => rawCol.findOne({ _id: pick(rawSeed, i) }),
        insert: (i) =>
          rawCol.insertOne({ ...docFor(SEED + i), createdAt: new Date(), updatedAt: new Date() }),
        update: (i) =>
          rawCol.updateOne(
            { _id: pick(rawSeed, i) },
            { $set: { name: `Renamed ${i}`, updatedAt: new Date() } },
          ),
        'page of 50': () => rawCol.find({}).sort({ createdAt: -1, _id: -1 }).limit(50).toArray(),
      },
      dbkit: {
        findById: (i) => users.findById(pick(dbkitSeed, i)),
        insert: (i) => users.create(docFor(SEED + i)),
        update: (i) =>
          users.update(pick(dbkitSeed, i), { $set: { name: `Renamed ${i}` } }, { returnDocument: false }),
        'page of 50': () => users.paginate({}, { sort: { createdAt: -1 }, limit: 50 }),
      },
      'Mongoose (hydrated)': {
        findById: (i) => MUser.findById(pick(mongooseSeed, i)).exec(),
        insert: (i) => MUser.create(docFor(SEED + i)),
        update: (i) =>
          MUser.updateOne({ _id: pick(mongooseSeed, i) }, { $set: { name: `Renamed ${i}` } }).exec(),
        'page of 50': () => MUser.find({}).sort({ createdAt: -1, _id: -1 }).limit(50).exec(),
      },
      'Mongoose (lean)': {
        findById: (i) => MUser.findById(pick(mongooseSeed, i)).lean().exec(),
        insert: (i) => MUser.insertMany([docFor(SEED + i)], { lean: true }),
        update: (i) =>
          MUser.updateOne({ _id: pick(mongooseSeed, i) }, { $set: { name: `Renamed ${i}` } }).exec(),
        'page of 50': () => MUser.find({}).sort({ createdAt: -1, _id: -1 }).limit(50).lean().exec(),
      },
      Papr: {
        findById: (i) => PUser.findById(pick(paprSeed, i)),
        insert: (i) => PUser.insertOne(docFor(SEED + i)),
        update: (i) => PUser.updateOne({ _id: pick(paprSeed, i) }, { $set: { name: `Renamed ${i}` } }),
        'page of 50': () => PUser.find({}, { sort: { createdAt: -1, _id: -1 }, limit: 50 }),
      },
    };

    const ops: Op[] = ['findById', 'insert', 'update', 'page of 50'];
    const results: Record<string, Record<string, number>> = {};
    for (const op of ops) {
      results[op] = await measure(runners, op);
      process.stderr.write(`${server} ${op}: ${JSON.stringify(results[op])}\n`);
    }
    return render(results, ops, Object.keys(runners), server);
  } finally {
    await mongo.db.dropDatabase().catch(() => undefined);
    await mconn.close();
    await mongo.close();
    await raw.close();
  }
}

function render(
  results: Record<string, Record<string, number>>,
  ops: Op[],
  libs: string[],
  server: string,
): string {
  const fmt = (us: number): string => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`);
  const rows = [['operation', ...libs, 'dbkit vs raw']];
  for (const op of ops) {
    const r = results[op] ?? {};
    const ratio = ((r.dbkit ?? Number.NaN) / (r['raw driver'] ?? Number.NaN) - 1) * 100;
    rows.push([
      op,
      ...libs.map((l) => fmt(r[l] ?? Number.NaN)),
      `${ratio >= 0 ? '+' : ''}${ratio.toFixed(1)}%`,
    ]);
  }
  // Padded as prettier formats markdown tables, so the generated file passes `prettier --check`.
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (c === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  const [head = [], ...body] = rows;
  const table = [line(head), rule, ...body.map(line)];
  return [
    `### ${server}`,
    '',
    `Median time per operation (lower is better), one operation at a time, ${SEED} documents seeded per library, ${ROUNDS} rounds × ${PER_ROUND} operations after a warm-up round, libraries rotated between rounds; ${new Date().toISOString().slice(0, 10)}, Node ${process.version}.`,
    '',
    ...table,
  ].join('\n');
}

async function writeReadme(tables: string): Promise<void> {
  const section = `## MongoDB\n\nRegenerate with \`npm run bench:mongo -- --write-readme\` (uses \`MONGODB_URI\` when set, else FerretDB and mongo-java-server). dbkit runs every call through its executor (events, retry policy, error mapping), guards filters, validates inserts with the zod schema and stamps timestamps; the raw driver does none of that. Every library uses the same client settings (dbkit's production defaults). FerretDB v1's SQLite backend scans the whole collection for every query, so its numbers are dominated by the server and swing by ±20% between runs; mongo-java-server shows the libraries' own overhead more clearly.\n\n${tables}\n`;
  let text: string;
  try {
    text = await readFile(README, 'utf8');
  } catch {
    text = '# Benchmarks\n';
  }
  const start = text.indexOf('## MongoDB');
  if (start === -1) {
    text = `${text.trimEnd()}\n\n${section}`;
  } else {
    const next = text.indexOf('\n## ', start + 1);
    text = `${text.slice(0, start)}${section}${next === -1 ? '' : `\n${text.slice(next + 1)}`}`;
  }
  await writeFile(README, text);
}

await main();
