// backfill on real engines: resume after SIGKILL with every document done once, no lost concurrent write, dry run, checkpoints.
import { fileURLToPath } from 'node:url';
import { beforeEach, expect, it } from 'vitest';
import { z } from 'zod';
import { BSON } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import { ConflictError, ValidationError } from '../../src/core/internal.js';
import { backfill, defineCollection, mongoRepository, ObjectId, op } from '../../src/mongo/index.js';
import { mongoCheckpointStore } from '../../src/mongo/backfill-checkpoint.js';
import { killAt } from '../helpers/kill-at.js';
import { mongoSuite } from './support.js';

// The stand-ins are slow at conditional updates (mongo-java-server's cost grows with the collection,
// FerretDB v1 manages ~60 a second): the suite uses fewer documents; DBKIT_BACKFILL_N sets it for a
// dedicated run (100,000 on a real MongoDB).
const ALL = Number(process.env['DBKIT_BACKFILL_N'] ?? 2_000);

const Users = defineCollection({
  name: 'users',
  schema: z.object({ email: z.string(), emailLower: z.string().optional() }),
  version: true,
});

async function seed(col: Collection, n: number): Promise<void> {
  await col.deleteMany({});
  for (let start = 0; start < n; start += 1_000) {
    const docs = Array.from({ length: Math.min(1_000, n - start) }, (_, k) => ({
      email: `User${start + k}@Example.COM`,
      touched: 0,
    }));
    await col.insertMany(docs);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

mongoSuite('backfill', (env) => {
  const items = (): Collection => env().mongo.db.collection('items');
  const checkpoints = (): Collection => env().mongo.db.collection('dbkit_backfills');
  const lower = (name: string, extra: Record<string, unknown> = {}) =>
    ({
      name,
      filter: { emailLower: op.exists(false) },
      transform: (doc: Document) => ({
        $set: { emailLower: String(doc.email).toLowerCase() },
        $inc: { touched: 1 },
      }),
      // No application writes during these runs: FerretDB v1 requires saying so.
      writersStopped: true,
      ...extra,
    }) as const;
  const touchedCounts = async (): Promise<Record<string, number>> => {
    const rows = await items()
      .find({}, { projection: { touched: 1 } })
      .toArray();
    const out: Record<string, number> = {};
    for (const r of rows) out[String(r.touched)] = (out[String(r.touched)] ?? 0) + 1;
    return out;
  };

  beforeEach(async () => {
    await checkpoints().deleteMany({});
  });

  it('resumes after SIGKILL: every document is transformed exactly once and the checkpoint is removed', async () => {
    const N = env().engine === 'ferretdb' ? Math.min(ALL, 400) : ALL;
    await seed(items(), N);
    // Kill the child with SIGKILL once its checkpoint shows about half.
    await killAt(
      fileURLToPath(new URL('./fixtures/backfill-child.ts', import.meta.url)),
      [env().url, env().mongo.db.databaseName, 'resume', '100', String(Math.max(1_000, N / 2))],
      async () => {
        const doc = await checkpoints().findOne({ _id: 'resume' } as Document);
        const text = doc?.checkpoint as string | undefined;
        return text === undefined ? 0 : ((BSON.EJSON.parse(text) as { scanned?: number }).scanned ?? 0);
      },
      N / 2,
    );
    const pendingAtKill = await items().countDocuments({ emailLower: { $exists: false } });
    expect(pendingAtKill).toBeGreaterThan(0);
    expect(pendingAtKill).toBeLessThan(N);

    // The next run waits for the killed runner's lease (500 ms) to lapse, then resumes.
    const report = await backfill(
      { connection: env().mongo, collection: 'items' },
      lower('resume', { leaseMs: 500, batchSize: 250 }),
    );
    expect(report).toMatchObject({ completed: true, resumed: true, failed: 0 });
    // The resumed run read on from the checkpoint: at most one page before it was read again.
    expect(report.scanned).toBeLessThanOrEqual(N + 100);
    expect(await touchedCounts()).toEqual({ '1': N });
    expect(await items().countDocuments({ emailLower: { $exists: false } })).toBe(0);
    expect(await checkpoints().countDocuments({})).toBe(0);
  }, 180_000);

  it('never overwrites a concurrent write: a document changed since it was read is skipped', async (ctx) => {
    if (!env().caps.atomicUpdates) {
      ctx.skip(
        `${env().engine} applies conditional updates as read-then-write: a concurrent write in that window can be overwritten (stop writers during a backfill there)`,
      );
    }
    const repo = mongoRepository(env().mongo, Users);
    await repo.collection.deleteMany({});
    const count = 1_000;
    const created = await repo.collection.insertMany(
      Array.from({ length: count }, (_, i) => ({ email: `Person${i}@Mail.COM`, version: 1 })),
    );
    const ids = Object.values(created.insertedIds);
    const expected = new Map<string, string>();
    const state = { stop: false };
    // The application already writes emailLower with email; the backfill recomputes it for every
    // document (no needs-work filter), so only the `version` condition keeps a stale value out.
    const writer = (async () => {
      let i = 0;
      while (!state.stop) {
        const id = ids[(i * 7919) % ids.length];
        if (id === undefined) break;
        const email = `Changed${i}@Mail.COM`;
        await repo.update(id, { $set: { email, emailLower: email.toLowerCase() } });
        expected.set(id.toHexString(), email);
        i += 1;
      }
    })();
    const report = await backfill(repo, {
      name: 'concurrent',
      transform: async (u) => {
        await sleep(1);
        return { $set: { emailLower: u.email.toLowerCase() } };
      },
      batchSize: 50,
    });
    state.stop = true;
    await writer;
    expect(report).toMatchObject({ completed: true, failed: 0 });
    expect(report.changed + report.skipped).toBe(count);
    const docs = await repo.collection.find({}).toArray();
    for (const d of docs) {
      expect(d.emailLower).toBe(String(d.email).toLowerCase());
      const written = expected.get(d._id.toHexString());
      if (written !== undefined) expect(d.email).toBe(written);
    }
    expect(expected.size).toBeGreaterThan(0);
  }, 120_000);

  it('refuses to write where conditional updates are not atomic, unless the writers are stopped', async (ctx) => {
    if (env().caps.atomicUpdates) ctx.skip(`${env().engine} applies conditional updates atomically`);
    await seed(items(), 5);
    const { writersStopped: _ack, ...unacknowledged } = lower('refused');
    await expect(
      backfill({ connection: env().mongo, collection: 'items' }, unacknowledged),
    ).rejects.toMatchObject({ code: 'unsupported.atomicUpdates', feature: 'atomicUpdates' });
    expect(await touchedCounts()).toEqual({ '0': 5 });
    expect(await checkpoints().countDocuments({})).toBe(0);
    // A dry run writes nothing, so it needs no acknowledgement.
    const dry = await backfill(
      { connection: env().mongo, collection: 'items' },
      { ...unacknowledged, dryRun: true },
    );
    expect(dry).toMatchObject({ dryRun: true, changed: 5 });
  });

  it('a run stopped by its signal releases its lease: the next run resumes at once', async () => {
    await seed(items(), 200);
    const controller = new AbortController();
    const first = await backfill(
      { connection: env().mongo, collection: 'items' },
      lower('released', {
        batchSize: 50,
        progressEveryMs: 0,
        leaseMs: 600_000,
        signal: controller.signal,
        onProgress: (p: { scanned: number }) => {
          if (p.scanned >= 50) controller.abort();
        },
      }),
    );
    expect(first.completed).toBe(false);
    // Without the release, this claim would wait out (or be refused for) the ten-minute lease.
    const started = Date.now();
    const second = await backfill(
      { connection: env().mongo, collection: 'items' },
      lower('released', { batchSize: 50, leaseMs: 600_000 }),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(second).toMatchObject({ completed: true, resumed: true });
    expect(second.scanned).toBeLessThan(200 + 50);
    expect(await touchedCounts()).toEqual({ '1': 200 });
    expect(await checkpoints().countDocuments({})).toBe(0);
  });

  it('a dry run counts what would change and writes nothing, not even a checkpoint', async () => {
    await seed(items(), 300);
    await items().updateMany({ email: /User1\d\d@/ }, { $set: { emailLower: 'done' } });
    const report = await backfill(
      { connection: env().mongo, collection: 'items' },
      lower('dry', { dryRun: true, batchSize: 40 }),
    );
    expect(report).toMatchObject({ dryRun: true, completed: true, scanned: 200, changed: 200, total: 200 });
    expect(await items().countDocuments({ emailLower: { $exists: false } })).toBe(200);
    expect(await touchedCounts()).toEqual({ '0': 300 });
    expect(await checkpoints().countDocuments({})).toBe(0);
  });

  it('resumes from an ObjectId position: the checkpoint keeps the type through Extended JSON', async () => {
    await seed(items(), 250);
    const controller = new AbortController();
    const first = await backfill(
      { connection: env().mongo, collection: 'items' },
      lower('abort', {
        batchSize: 50,
        progressEveryMs: 0,
        signal: controller.signal,
        onProgress: (p: { scanned: number }) => {
          if (p.scanned >= 100) controller.abort();
        },
      }),
    );
    expect(first.completed).toBe(false);
    const stored = await checkpoints().findOne({ _id: 'abort' } as Document);
    const saved = BSON.EJSON.parse(String(stored?.checkpoint), { relaxed: false }) as {
      lanes: { position: unknown }[];
    };
    expect(saved.lanes[0]?.position).toBeInstanceOf(ObjectId);
    await sleep(5);
    const second = await backfill(
      { connection: env().mongo, collection: 'items' },
      lower('abort', { batchSize: 50, leaseMs: 1 }),
    );
    expect(second).toMatchObject({ completed: true, resumed: true });
    expect(await touchedCounts()).toEqual({ '1': 250 });
  });

  it('skips what transform leaves alone and refuses a change mixing operators and fields', async () => {
    await seed(items(), 20);
    const report = await backfill(
      { connection: env().mongo, collection: 'items' },
      {
        name: 'some',
        writersStopped: true,
        transform: (d) => (String(d.email).startsWith('User1') ? { $set: { picked: true } } : undefined),
      },
    );
    expect(report).toMatchObject({ completed: true, scanned: 20, changed: 11, skipped: 9 });
    await expect(
      backfill(
        { connection: env().mongo, collection: 'items' },
        {
          name: 'mixed',
          writersStopped: true,
          transform: () => ({ $set: { a: 1 }, b: 2 }),
        },
      ),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('a whole-document replacement keeps _id and applies only to the document as read', async () => {
    await seed(items(), 10);
    const report = await backfill(
      { connection: env().mongo, collection: 'items' },
      {
        name: 'replace',
        writersStopped: true,
        transform: (d) => ({ _id: d._id as unknown, mail: d.email, touched: 1 }),
      },
    );
    expect(report).toMatchObject({ completed: true, changed: 10 });
    const docs = await items().find({}).toArray();
    expect(docs.every((d) => d.mail !== undefined && d.email === undefined)).toBe(true);
  });

  it('refuses operators in the filter unless they come from op / trusted (the injection guard)', async () => {
    await expect(
      backfill(
        { connection: env().mongo, collection: 'items' },
        {
          name: 'guarded',
          filter: { email: { $ne: null } },
          transform: () => undefined,
        },
      ),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('a second runner is refused while the first holds the checkpoint', async () => {
    const store = mongoCheckpointStore(env().mongo);
    await store.claim('held', 'a', 60_000);
    await expect(store.claim('held', 'b', 60_000)).rejects.toBeInstanceOf(ConflictError);
    await expect(
      store.save('held', {
        owner: 'b',
        lanes: [],
        scanned: 0,
        changed: 0,
        skipped: 0,
        failed: 0,
        startedAt: '',
        savedAt: '',
      }),
    ).rejects.toMatchObject({ code: 'backfill.lost' });
    await store.clear('held', 'a');
    expect(await store.claim('held', 'b', 60_000)).toBeUndefined();
  });
});
