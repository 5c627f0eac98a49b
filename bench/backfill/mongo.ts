// Backfill benchmark (not a test): dbkit's Mongo backfill vs a hand-written `_id` keyset loop on the raw driver, and whether `itemsPerSecond` holds.
// Usage: node --conditions=dbkit-source --import tsx bench/backfill/mongo.ts [--url mongodb://…] [--docs 100000] [--batch 500] [--rounds 1] [--rate-docs 5000]
// (url defaults to MONGODB_URI; mongo-java-server or FerretDB work too, slowly: see the report they print)
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import { backfill, connectMongo, op } from 'dbkit/mongo';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const url = arg('--url') ?? process.env['MONGODB_URI'];
if (url === undefined) {
  process.stderr.write('Set MONGODB_URI or pass --url.\n');
  process.exit(1);
}
const docs = Number(arg('--docs') ?? 100_000);
const batch = Number(arg('--batch') ?? 500);
const rounds = Number(arg('--rounds') ?? 1);
const rateDocs = Number(arg('--rate-docs') ?? Math.min(docs, 5_000));

const dbName = `dbkit_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const raw = new MongoClient(url);
const col: Collection = raw.db(dbName).collection('items');
const mongo = await connectMongo({ uri: url, dbName, shared: false, timeoutMs: 60_000 });

async function seed(count: number): Promise<void> {
  await col.deleteMany({});
  await raw.db(dbName).collection('dbkit_backfills').deleteMany({});
  for (let start = 0; start < count; start += 5_000) {
    await col.insertMany(
      Array.from({ length: Math.min(5_000, count - start) }, (_, k) => ({
        email: `User${start + k}@Example.COM`,
      })),
    );
  }
}

async function check(count: number): Promise<void> {
  const pending = await col.countDocuments({ emailLower: { $exists: false } });
  if (pending !== 0) throw new Error(`${pending} of ${count} documents not backfilled`);
}

// The same work by hand, with the same safety: `_id` pages of what still needs the work, one
// unordered bulkWrite per page whose every update is conditional on the needs-work filter. No
// checkpoint, no rate limit, no progress.
async function handWritten(): Promise<number> {
  let last: unknown;
  let changed = 0;
  for (;;) {
    const filter: Document =
      last === undefined
        ? { emailLower: { $exists: false } }
        : { _id: { $gt: last }, $and: [{ emailLower: { $exists: false } }] };
    const page = await col.find(filter, { sort: { _id: 1 }, limit: batch }).toArray();
    if (page.length === 0) break;
    const result = await col.bulkWrite(
      page.map((d) => ({
        updateOne: {
          filter: { _id: d._id, $and: [{ emailLower: { $exists: false } }] },
          update: { $set: { emailLower: String(d.email).toLowerCase() } },
        },
      })),
      { ordered: false },
    );
    changed += result.matchedCount;
    last = page.at(-1)?._id;
    if (page.length < batch) break;
  }
  return changed;
}

const dbkit = (name: string, extra: { itemsPerSecond?: number } = {}) =>
  backfill(
    { connection: mongo, collection: 'items' },
    {
      name,
      filter: { emailLower: op.exists(false) },
      transform: (d) => ({ $set: { emailLower: String(d.email).toLowerCase() } }),
      batchSize: batch,
      ...extra,
    },
  );

const variants: Record<string, () => Promise<number>> = {
  'raw driver _id loop + bulkWrite': handWritten,
  'dbkit backfill': async () => (await dbkit('bench')).changed,
};

const lines: string[] = [];
try {
  const best = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    for (const [label, run] of Object.entries(variants)) {
      await seed(docs);
      const started = performance.now();
      const changed = await run();
      const ms = performance.now() - started;
      if (changed !== docs) throw new Error(`${label} changed ${changed} of ${docs}`);
      await check(docs);
      best.set(label, Math.min(best.get(label) ?? Infinity, ms));
    }
  }
  lines.push(`Backfill of ${docs} documents, batch ${batch}, best of ${rounds} on ${new URL(url).host}`, '');
  lines.push('| variant | ms | docs/s |', '|---|---:|---:|');
  for (const [label, ms] of best)
    lines.push(`| ${label} | ${ms.toFixed(0)} | ${((docs * 1_000) / ms).toFixed(0)} |`);

  // The rate limit: half the unthrottled rate, over `rateDocs` documents.
  const unthrottled = (docs * 1_000) / (best.get('dbkit backfill') ?? 1);
  const target = Math.max(10, Math.round(unthrottled / 2));
  await seed(rateDocs);
  const report = await dbkit('bench-rate', { itemsPerSecond: target });
  await check(rateDocs);
  const achieved = report.ratePerSecond;
  const off = Math.abs(achieved - target) / target;
  lines.push(
    '',
    `itemsPerSecond ${target} over ${rateDocs} documents: achieved ${achieved.toFixed(0)}/s (${(off * 100).toFixed(1)}% off, ${off <= 0.1 ? 'within' : 'NOT within'} 10%)`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await raw
    .db(dbName)
    .dropDatabase()
    .catch(() => undefined);
  await raw.close();
  await mongo.close();
}
