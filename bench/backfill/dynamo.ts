// Backfill benchmark (not a test): dbkit's DynamoDB backfill vs a hand-written parallel segmented Scan + conditional UpdateItem loop on the raw DocumentClient, and whether `itemsPerSecond` holds.
// Usage: node --conditions=dbkit-source --import tsx bench/backfill/dynamo.ts [--endpoint http://127.0.0.1:8000] [--items 100000] [--segments 4] [--batch 100] [--rounds 2]
// (endpoint defaults to DYNAMODB_ENDPOINT; start DynamoDB Local with `npx tsx src/cli/main.ts engines up dynamodb`)
import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { backfill, createDynamoClient, defineTable } from 'dbkit/dynamo';
import type { Table } from 'dbkit/dynamo';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const endpoint = arg('--endpoint') ?? process.env['DYNAMODB_ENDPOINT'];
if (endpoint === undefined) {
  process.stderr.write('Set DYNAMODB_ENDPOINT or pass --endpoint (DynamoDB Local).\n');
  process.exit(1);
}
const items = Number(arg('--items') ?? 100_000);
const segments = Number(arg('--segments') ?? 4);
const batch = Number(arg('--batch') ?? 100);
const concurrency = 16;
const rateItems = Math.min(items, 5_000);

const db = createDynamoClient({ local: endpoint, cursorSecret: randomUUID() });
const tableOf = (suffix: string): Table =>
  defineTable({
    name: `dbkit_bench_${suffix}_${randomUUID().slice(0, 8)}`,
    partitionKey: 'pk',
    sortKey: 'sk',
  });

async function seed(table: Table, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (;;) {
        const start = next;
        next += 25;
        if (start >= count) return;
        let request: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> = {
          [table.name]: Array.from({ length: Math.min(25, count - start) }, (_, j) => ({
            PutRequest: {
              Item: {
                pk: `ITEM#${start + j}`,
                sk: 'A',
                _entity: 'Item',
                email: `User${start + j}@Example.COM`,
              },
            },
          })),
        };
        while (Object.keys(request).length > 0) {
          const out = await db.document.send(new BatchWriteCommand({ RequestItems: request }));
          request = (out.UnprocessedItems ?? {}) as typeof request;
        }
      }
    }),
  );
}

// The same work by hand: consistent segmented Scan pages (as dbkit reads), then one UpdateItem per
// item, 16 in flight, conditional as dbkit's is on the item still holding the value read (no
// checkpoint, no rate limit, no throttling backoff beyond the SDK's).
async function handWritten(table: Table): Promise<number> {
  let changed = 0;
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.document.send(
          new ScanCommand({
            TableName: table.name,
            Segment: segment,
            TotalSegments: segments,
            Limit: batch,
            ConsistentRead: true,
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
        );
        const list = page.Items ?? [];
        let i = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (i < list.length) {
              const item = list[i++] ?? {};
              try {
                await db.document.send(
                  new UpdateCommand({
                    TableName: table.name,
                    Key: { pk: item.pk, sk: item.sk },
                    UpdateExpression: 'SET handLower = :l',
                    ConditionExpression:
                      'attribute_exists(pk) AND attribute_not_exists(handLower) AND email = :e',
                    ExpressionAttributeValues: { ':l': String(item.email).toLowerCase(), ':e': item.email },
                  }),
                );
                changed++;
              } catch (err) {
                if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
              }
            }
          }),
        );
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    }),
  );
  return changed;
}

const dbkitRun = (table: Table, name: string, itemsPerSecond?: number) =>
  backfill(db, {
    name,
    source: table,
    segments,
    batchSize: batch,
    concurrency,
    itemsPerSecond,
    reads: ['email'],
    transform: (item) =>
      item.dbkitLower === undefined ? { set: { dbkitLower: String(item.email).toLowerCase() } } : undefined,
  });

const rated = tableOf('rate');
const rounds = Number(arg('--rounds') ?? 2);
// Each run gets a freshly seeded table of its own (a second run over the same table would scan the
// first one's larger items), and the order alternates between rounds.
async function timed(
  label: string,
  run: (table: Table) => Promise<number>,
): Promise<{ ms: number; changed: number }> {
  const table = tableOf(label);
  await db.ensureTable(table);
  try {
    await seed(table, items);
    const t = performance.now();
    const changed = await run(table);
    return { ms: performance.now() - t, changed };
  } finally {
    await db.deleteTable(table).catch(() => undefined);
  }
}
try {
  await db.ensureTable(rated);
  await seed(rated, rateItems);

  const runs = new Map<string, { ms: number; changed: number }[]>([
    ['raw DocumentClient loop', []],
    ['dbkit backfill', []],
  ]);
  const variants: [string, (table: Table) => Promise<number>][] = [
    ['raw DocumentClient loop', handWritten],
    ['dbkit backfill', async (table) => (await dbkitRun(table, 'bench')).changed],
  ];
  for (let round = 0; round < rounds; round++) {
    for (const [label, run] of round % 2 === 0 ? variants : [...variants].reverse()) {
      const result = await timed(label.startsWith('raw') ? 'raw' : 'dbkit', run);
      runs.get(label)?.push(result);
      process.stderr.write(`round ${round + 1}: ${label} ${(result.ms / 1_000).toFixed(2)} s\n`);
    }
  }
  const results = [...runs].map(([label, list]) => ({
    label,
    ms: list.reduce((a, r) => a + r.ms, 0) / list.length,
    changed: list[0]?.changed ?? 0,
  }));

  const rates: { target: number; measured: number }[] = [];
  for (const target of [250, 500]) {
    const r = await dbkitRun(rated, `rate-${target}`, target);
    rates.push({ target, measured: (r.scanned * 1_000) / r.elapsedMs });
    // The next rate run backfills again from scratch: drop the attribute it set.
    await dbkitRunReset(rated);
  }

  const baseline = results[0]?.ms ?? Number.NaN;
  const lines = [
    `Backfill of ${items.toLocaleString('en')} items (lowercase an attribute), ${segments} scan segments, pages of ${batch}, ${concurrency} writes in flight, mean of ${rounds} rounds (order alternating, a fresh table per run), Node ${process.version}, DynamoDB Local on the same machine.`,
    '',
    '| variant | seconds | items/s | ÷ raw loop |',
    '| --- | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.label} | ${(r.ms / 1_000).toFixed(2)} | ${Math.round((r.changed * 1_000) / r.ms).toLocaleString('en')} | ${(r.ms / baseline).toFixed(2)} |`,
    ),
    '',
    `\`itemsPerSecond\` over ${rateItems.toLocaleString('en')} items:`,
    '',
    '| target /s | measured /s | deviation |',
    '| ---: | ---: | ---: |',
    ...rates.map(
      (r) =>
        `| ${r.target.toLocaleString('en')} | ${Math.round(r.measured).toLocaleString('en')} | ${(((r.measured - r.target) / r.target) * 100).toFixed(1)} % |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await db.deleteTable(rated).catch(() => undefined);
  db.destroy();
}

async function dbkitRunReset(table: Table): Promise<void> {
  await backfill(db, {
    name: 'reset',
    source: table,
    segments,
    batchSize: batch,
    concurrency,
    transform: (item) => (item.dbkitLower === undefined ? undefined : { remove: ['dbkitLower'] }),
  });
}
