// Prisma benchmark (not a test): bare Prisma Client vs the dbkit extension vs raw `pg`, on one PostgreSQL database, in one run.
// Usage: npm run bench:prisma -- [--url postgresql://…] [--rounds 20] [--batch 50] [--write]   (url defaults to DATABASE_URL)
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { createCursorCodec } from 'dbkit';
import { applyMigrations, dbkitExtension, sqlSource } from 'dbkit/prisma';
import { PrismaClient } from '../../test/prisma/generated/client/client.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const serverUrl = arg('--url') ?? process.env.DATABASE_URL;
if (serverUrl === undefined) {
  process.stderr.write(
    'Set DATABASE_URL or pass --url (start one with `npx tsx src/cli/main.ts engines up postgres`).\n',
  );
  process.exit(1);
}
const rounds = Number(arg('--rounds') ?? 20);
const batch = Number(arg('--batch') ?? 50);

type Lib = 'prisma' | 'noop' | 'dbkit' | 'pg';
type Op = (lib: Lib) => Promise<unknown>;

const dbName = `dbkit_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`CREATE DATABASE "${dbName}"`);
const url = new URL(serverUrl);
url.pathname = `/${dbName}`;
const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
await applyMigrations(sqlSource(pool), {
  dir: fileURLToPath(new URL('../../prisma/migrations/', import.meta.url)),
});

const bare = new PrismaClient({ adapter: new PrismaPg(pool) });
const ext = bare.$extends(
  dbkitExtension({
    nPlusOne: false,
    cursors: createCursorCodec({ secret: 'benchmark-cursor-secret-0123456789' }),
  }),
);

// A query extension that does nothing: what any `$allOperations` extension costs inside Prisma itself.
const noop = bare.$extends({ query: { $allOperations: ({ args, query }) => query(args) } });

const owner = await bare.user.create({ data: { name: 'bench', email: `${randomUUID()}@bench.io` } });
const [from, to] = await Promise.all([
  bare.account.create({ data: { ownerId: owner.id, balance: 1_000_000_000 } }),
  bare.account.create({ data: { ownerId: owner.id, balance: 1_000_000_000 } }),
]);
await bare.post.createMany({
  data: Array.from({ length: 1000 }, (_, i) => ({ authorId: owner.id, title: `post ${i}` })),
});
const orderBy = [{ createdAt: 'asc' }, { id: 'asc' }] as const;

const ops: Record<string, Op> = {
  findUnique: async (lib) => {
    if (lib === 'prisma') return bare.user.findUnique({ where: { id: owner.id } });
    if (lib === 'noop') return noop.user.findUnique({ where: { id: owner.id } });
    if (lib === 'dbkit') return ext.user.findUnique({ where: { id: owner.id } });
    return pool.query('SELECT * FROM "User" WHERE id = $1', [owner.id]);
  },
  create: async (lib) => {
    const data = { name: 'n', email: `${randomUUID()}@bench.io` };
    if (lib === 'prisma') return bare.user.create({ data });
    if (lib === 'noop') return noop.user.create({ data });
    if (lib === 'dbkit') return ext.user.create({ data });
    return pool.query(
      'INSERT INTO "User" (id, name, email, "updatedAt") VALUES ($1, $2, $3, now()) RETURNING *',
      [randomUUID(), data.name, data.email],
    );
  },
  update: async (lib) => {
    const args = { where: { id: from.id }, data: { balance: { increment: 1 } } };
    if (lib === 'prisma') return bare.account.update(args);
    if (lib === 'noop') return noop.account.update(args);
    if (lib === 'dbkit') return ext.account.update(args);
    return pool.query(
      'UPDATE "Account" SET balance = balance + 1, "updatedAt" = now() WHERE id = $1 RETURNING *',
      [from.id],
    );
  },
  'page of 50': async (lib) => {
    const where = { authorId: owner.id };
    if (lib === 'prisma') return bare.post.findMany({ where, orderBy: [...orderBy], take: 51 });
    if (lib === 'noop') return noop.post.findMany({ where, orderBy: [...orderBy], take: 51 });
    if (lib === 'dbkit') return ext.post.paginate({ where, orderBy, limit: 50 });
    return pool.query('SELECT * FROM "Post" WHERE "authorId" = $1 ORDER BY "createdAt", id LIMIT 51', [
      owner.id,
    ]);
  },
  transfer: async (lib) => {
    const body = async (tx: { account: Pick<typeof bare.account, 'update'> }) => {
      await tx.account.update({ where: { id: from.id }, data: { balance: { decrement: 1 } } });
      await tx.account.update({ where: { id: to.id }, data: { balance: { increment: 1 } } });
    };
    if (lib === 'prisma') return bare.$transaction(body);
    if (lib === 'noop') {
      return noop.$transaction(async (tx) => {
        await tx.account.update({ where: { id: from.id }, data: { balance: { decrement: 1 } } });
        await tx.account.update({ where: { id: to.id }, data: { balance: { increment: 1 } } });
      });
    }
    if (lib === 'dbkit') {
      return ext.$transactionWithRetry(async (tx) => {
        await tx.account.update({ where: { id: from.id }, data: { balance: { decrement: 1 } } });
        await tx.account.update({ where: { id: to.id }, data: { balance: { increment: 1 } } });
      });
    }
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('UPDATE "Account" SET balance = balance - 1, "updatedAt" = now() WHERE id = $1', [
        from.id,
      ]);
      await client.query('UPDATE "Account" SET balance = balance + 1, "updatedAt" = now() WHERE id = $1', [
        to.id,
      ]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    return undefined;
  },
};

const libs: Lib[] = ['prisma', 'noop', 'dbkit', 'pg'];
const results: { op: string; perOp: Record<Lib, number> }[] = [];
for (const [name, op] of Object.entries(ops)) {
  for (const lib of libs) for (let i = 0; i < batch; i++) await op(lib); // warm-up
  const samples: Record<Lib, number[]> = { prisma: [], noop: [], dbkit: [], pg: [] };
  for (let r = 0; r < rounds; r++) {
    // Interleaved rounds, rotating the order, so drift in the server affects every library alike.
    for (const lib of [...libs.slice(r % libs.length), ...libs.slice(0, r % libs.length)]) {
      const started = performance.now();
      for (let i = 0; i < batch; i++) await op(lib);
      samples[lib].push(((performance.now() - started) * 1000) / batch);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  results.push({
    op: name,
    perOp: {
      prisma: median(samples.prisma),
      noop: median(samples.noop),
      dbkit: median(samples.dbkit),
      pg: median(samples.pg),
    },
  });
}

const fmt = (us: number): string => `${Math.round(us)} µs`;
const rows = results.map(({ op, perOp }) => {
  const pct = (a: number, b: number): string => {
    const v = ((a - b) / b) * 100;
    return `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
  };
  return `| ${op} | ${fmt(perOp.prisma)} | ${fmt(perOp.noop)} | ${fmt(perOp.dbkit)} | ${pct(perOp.dbkit, perOp.prisma)} | ${pct(perOp.dbkit, perOp.noop)} | ${fmt(perOp.pg)} |`;
});
const table = [
  '| operation | bare Prisma | no-op query extension | dbkit extension | dbkit vs bare | dbkit vs no-op extension | raw `pg` |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
].join('\n');
process.stdout.write(`${table}\n`);

if (process.argv.includes('--write')) {
  const path = new URL('../README.md', import.meta.url);
  const section = [
    '## Prisma',
    '',
    `\`npm run bench:prisma -- --write\` on ${new Date().toISOString().slice(0, 10)}: Prisma 7.10.0 with`,
    `\`@prisma/adapter-pg\` over one \`pg.Pool\` (max 10) on the local PostgreSQL, sequential calls; median over ${rounds}`,
    `interleaved rounds of ${batch} calls, in µs per call (lower is better). The dbkit extension runs with its production`,
    'defaults (error mapping and events on every operation, N+1 detection off); `page of 50` is `paginate` (51 rows',
    'and a sealed cursor) against `findMany({ take: 51 })`; `transfer` is `$transactionWithRetry` against `$transaction`.',
    'Goal: the extension within 5% of bare Prisma. The no-op column is a query extension that only calls',
    '`query(args)`: what Prisma charges for any `$allOperations` extension, before dbkit does anything.',
    '',
    table,
    '',
  ].join('\n');
  let readme: string;
  try {
    readme = readFileSync(path, 'utf8');
  } catch {
    readme = '# Benchmarks\n\n';
  }
  const start = readme.indexOf('## Prisma');
  if (start === -1) readme = `${readme.trimEnd()}\n\n${section}`;
  else {
    const next = readme.indexOf('\n## ', start + 1);
    readme = `${readme.slice(0, start)}${section}${next === -1 ? '' : readme.slice(next + 1)}`;
  }
  writeFileSync(path, readme);
}

await bare.$disconnect();
await pool.end();
await admin.query(`DROP DATABASE "${dbName}" WITH (FORCE)`);
await admin.end();
