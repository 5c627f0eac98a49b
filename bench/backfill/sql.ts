// Backfill benchmark (not a test): dbkit's SQL backfill vs a hand-written keyset loop on raw `pg`, and whether `itemsPerSecond` holds.
// Usage: node --conditions=dbkit-source --import tsx bench/backfill/sql.ts [--url postgresql://…] [--rows 100000] [--batch 500] [--rounds 5] [--async-commit] [--no-rate]
// (url defaults to DATABASE_URL)
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { backfill, sqlSource } from 'dbkit/prisma';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const serverUrl = arg('--url') ?? process.env['DATABASE_URL'];
if (serverUrl === undefined) {
  process.stderr.write(
    'Set DATABASE_URL or pass --url (start one with `npx tsx src/cli/main.ts engines up postgres`).\n',
  );
  process.exit(1);
}
const rows = Number(arg('--rows') ?? 100_000);
const batch = Number(arg('--batch') ?? 500);
const rounds = Number(arg('--rounds') ?? 5);

const dbName = `dbkit_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`CREATE DATABASE "${dbName}"`);
const url = new URL(serverUrl);
url.pathname = `/${dbName}`;
if (process.argv.includes('--async-commit')) url.searchParams.set('options', '-c synchronous_commit=off');
const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });

async function seed(count: number): Promise<void> {
  await pool.query('DROP TABLE IF EXISTS items');
  await pool.query('CREATE TABLE items (id integer PRIMARY KEY, email text NOT NULL, email_lower text)');
  await pool.query(
    `INSERT INTO items (id, email) SELECT g, 'User' || g || '@Example.COM' FROM generate_series(1, $1::int) g`,
    [count],
  );
  await pool.query('VACUUM ANALYZE items');
}

async function check(count: number): Promise<void> {
  const { rows: r } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM items WHERE email_lower IS DISTINCT FROM lower(email)',
  );
  if (r[0]?.n !== 0) throw new Error(`${r[0]?.n} of ${count} rows not backfilled`);
}

const lower = (row: Record<string, unknown>): Record<string, unknown> => ({
  email_lower: String(row['email']).toLowerCase(),
});

// The same work by hand, with the same safety dbkit has: keyset pages, the transform in JS, and one
// UPDATE per page that applies to a row only if it still needs the work AND the column the transform
// read still holds the value read (so a concurrent application write is never overwritten); changed
// rows are counted. It keeps no checkpoint unless `checkpoint` is set, which adds one conditional
// UPDATE of a checkpoint row per page (what saving after every page costs; dbkit saves at most once
// every `checkpointEveryMs`).
async function handWritten(checkpoint: boolean): Promise<number> {
  const client = await pool.connect();
  let changed = 0;
  try {
    if (checkpoint) {
      await client.query(
        'CREATE TABLE IF NOT EXISTS bench_checkpoint (name text PRIMARY KEY, owner text NOT NULL, checkpoint jsonb, saved_at timestamptz NOT NULL)',
      );
      await client.query(
        "INSERT INTO bench_checkpoint VALUES ('raw', 'me', NULL, now()) ON CONFLICT (name) DO UPDATE SET checkpoint = NULL",
      );
    }
    let last = 0;
    let scanned = 0;
    for (;;) {
      const page = await client.query<{ id: number; email: string }>(
        'SELECT id, email FROM items WHERE id > $1 AND email_lower IS NULL ORDER BY id LIMIT $2',
        [last, batch],
      );
      if (page.rows.length === 0) break;
      const ids: number[] = [];
      const emails: string[] = [];
      const values: unknown[] = [];
      for (const row of page.rows) {
        const change = lower(row);
        ids.push(row.id);
        emails.push(row.email);
        values.push(change['email_lower']);
      }
      const result = await client.query(
        `UPDATE items AS t SET email_lower = v.l FROM unnest($1::int[], $2::text[], $3::text[]) AS v(id, email, l)
          WHERE t.id = v.id AND t.email_lower IS NULL AND t.email = v.email`,
        [ids, emails, values],
      );
      changed += result.rowCount ?? 0;
      scanned += page.rows.length;
      last = ids.at(-1) ?? last;
      if (checkpoint) {
        await client.query(
          `UPDATE bench_checkpoint SET checkpoint = $3::jsonb, saved_at = now() WHERE name = $1 AND owner = $2`,
          [
            'raw',
            'me',
            JSON.stringify({ lanes: [{ position: [String(last)], done: false }], scanned, changed }),
          ],
        );
      }
      if (page.rows.length < batch) break;
    }
  } finally {
    client.release();
  }
  if (changed !== rows) throw new Error(`the raw loop changed ${changed} of ${rows} rows`);
  return changed;
}

const variants: Record<string, () => Promise<unknown>> = {
  'raw pg keyset loop': () => handWritten(false),
  'raw pg keyset loop + checkpoint per page': () => handWritten(true),
  'dbkit backfill (transform)': () =>
    backfill(sqlSource(pool), {
      name: 'bench',
      table: 'items',
      key: 'id',
      where: 'email_lower IS NULL',
      columns: ['email'],
      transform: lower,
      batchSize: batch,
      estimate: false,
    }),
  'dbkit backfill (set)': () =>
    backfill(sqlSource(pool), {
      name: 'bench-set',
      table: 'items',
      key: 'id',
      where: 'email_lower IS NULL',
      set: { email_lower: 'lower(email)' },
      batchSize: batch,
      estimate: false,
    }),
};

const times = new Map<string, number[]>();
try {
  for (let round = 0; round < rounds; round++) {
    // Each round starts at another variant: the machine's load drifts, no variant always goes first.
    const entries = Object.entries(variants);
    for (const [label, run] of [
      ...entries.slice(round % entries.length),
      ...entries.slice(0, round % entries.length),
    ]) {
      await seed(rows);
      const started = performance.now();
      const result = await run();
      const ms = performance.now() - started;
      const changed = typeof result === 'number' ? result : (result as { changed: number }).changed;
      if (changed !== rows) throw new Error(`${label} changed ${changed} of ${rows} rows`);
      await check(rows);
      times.set(label, [...(times.get(label) ?? []), ms]);
    }
  }

  const rateRows = Math.min(rows, 30_000);
  const rates: { target: number; measured: number }[] = [];
  for (const target of process.argv.includes('--no-rate') ? [] : [1_000, 5_000]) {
    await seed(rateRows);
    const report = await backfill(sqlSource(pool), {
      name: `rate-${target}`,
      table: 'items',
      key: 'id',
      where: 'email_lower IS NULL',
      columns: ['email'],
      transform: lower,
      batchSize: 200,
      itemsPerSecond: target,
      estimate: false,
    });
    rates.push({ target, measured: (report.scanned * 1_000) / report.elapsedMs });
  }

  const best = (label: string): number => Math.min(...(times.get(label) ?? [Number.NaN]));
  const median = (label: string): number => {
    const sorted = [...(times.get(label) ?? [Number.NaN])].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
  };
  const baseline = best('raw pg keyset loop');
  const lines = [
    `Backfill of ${rows.toLocaleString('en')} rows (lowercase a text column), batch ${batch}, best of ${rounds}, Node ${process.version}, PostgreSQL on the same machine.`,
    'Every variant reads keyset pages, transforms in JS (set mode: in SQL), and writes each page with one UPDATE conditional on the needs-work predicate and on the read column still holding the value read, counting changed rows.',
    'The raw loop keeps no checkpoint; its "+ checkpoint per page" line adds one conditional checkpoint UPDATE per page: what saving after every page would cost (dbkit saves at most every `checkpointEveryMs`, 1 s by default).',
    '',
    '| variant | seconds | rows/s | ÷ raw pg | median ÷ raw pg median |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...[...times.keys()].map((label) => {
      const ms = best(label);
      return `| ${label} | ${(ms / 1_000).toFixed(2)} | ${Math.round((rows * 1_000) / ms).toLocaleString('en')} | ${(ms / baseline).toFixed(2)} | ${(median(label) / median('raw pg keyset loop')).toFixed(2)} |`;
    }),
    '',
    `\`itemsPerSecond\` over ${rateRows.toLocaleString('en')} rows, batch 200:`,
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
  pool.on('error', () => undefined);
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
}
