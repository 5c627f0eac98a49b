// Network faults on real Mongo engines: lost answers, refused and silent servers end in the right typed error within the deadline.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { ConnectionError, DbkitError, OutcomeUnknownError, TimeoutError } from '../../src/core/internal.js';
import { connectMongo, defineCollection, mongoRepository } from '../../src/mongo/index.js';
import type { MongoConnection, MongoRepository } from '../../src/mongo/index.js';
import { startTcpProxy } from '../../src/testing/faults/index.js';
import type { TcpProxy } from '../../src/testing/faults/index.js';
import { uniqueName } from '../helpers/engines.js';
import { mongoSuite, TEST_CURSOR_SECRET } from './support.js';
import { startWireProxy } from './wire-proxy.js';
import type { WireProxy } from './wire-proxy.js';

const Counters = defineCollection({
  name: 'counters',
  schema: z.object({ key: z.string(), n: z.number(), label: z.string() }),
  indexes: [{ key: { key: 1 }, unique: true }],
});
type Repo = MongoRepository<typeof Counters>;

/**
 * Short timeouts everywhere so a fault costs a second or two, not the production 5-10 s. The
 * operation limit leaves room for two server selections (a capability probe, then the call) on a
 * loaded machine: a call cut while the driver is still selecting a server is, to dbkit, in flight,
 * and a write cut in flight is rightly reported as outcome unknown.
 */
const FAST = {
  timeoutMs: 3_000,
  client: { serverSelectionTimeoutMS: 800, connectTimeoutMS: 800, minPoolSize: 0 },
} as const;
const MARGIN_MS = 1_000;

async function settle(call: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const begun = performance.now();
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { ms: performance.now() - begun, error };
}

mongoSuite('network faults', (env) => {
  let wire: WireProxy;
  let viaWire: MongoConnection;
  let repo: Repo;
  let direct: Repo;

  beforeAll(async () => {
    const { url, mongo } = env();
    wire = await startWireProxy(new URL(url).host);
    viaWire = await connectMongo({
      uri: wire.url(url),
      dbName: mongo.db.databaseName,
      shared: false,
      cursorSecret: TEST_CURSOR_SECRET,
      ...FAST,
    });
    repo = mongoRepository(viaWire, Counters);
    direct = mongoRepository(mongo, Counters);
    await direct.syncIndexes();
  });
  afterEach(() => {
    wire.setRule(() => 'forward');
  });
  afterAll(async () => {
    await viaWire.close();
    await wire.close();
  });

  it('answers a create whose reply was lost after the server stored it with OutcomeUnknownError, and stores it once', async () => {
    wire.setRule((command, n) => (command === 'insert' && n === 1 ? 'loseReply' : 'forward'));
    const err = await repo.create({ key: 'lost-create', n: 0, label: 'a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect((err as OutcomeUnknownError).retryable).toBe(false);
    expect((err as OutcomeUnknownError).cause).toBeInstanceOf(ConnectionError);
    expect(wire.lost.get('insert')).toBe(1);
    // It landed, and only once: dbkit did not resend it.
    expect(await direct.count({ key: 'lost-create' })).toBe(1);
  });

  it('answers a delete whose reply was lost with OutcomeUnknownError, never a false NotFoundError', async () => {
    // Before: delete was declared idempotent, resent, found nothing and reported NotFoundError.
    const doc = await direct.create({ key: 'lost-delete', n: 0, label: 'a' });
    let sent = 0;
    wire.setRule((command) => (command === 'delete' && ++sent === 1 ? 'loseReply' : 'forward'));
    const err = await repo.delete(doc._id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect(sent).toBe(1);
    expect(await direct.count({ key: 'lost-delete' })).toBe(0);
  });

  it('answers an updateMany whose reply was lost with OutcomeUnknownError, never a count of 0', async () => {
    // Before: updateMany of a $set was resent and reported modifiedCount 0 for documents it changed.
    await direct.create({ key: 'lost-many', n: 0, label: 'old' });
    let sent = 0;
    wire.setRule((command) => (command === 'update' && ++sent === 1 ? 'loseReply' : 'forward'));
    const err = await repo
      .updateMany({ key: 'lost-many' }, { $set: { label: 'new' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect(sent).toBe(1);
    expect((await direct.findOne({ key: 'lost-many' }))?.label).toBe('new');
  });

  it('resends a $set update whose reply was lost (idempotent) and reports its result', async () => {
    const doc = await direct.create({ key: 'lost-set', n: 0, label: 'old' });
    let sent = 0;
    wire.setRule((command) => (command === 'findAndModify' && ++sent === 1 ? 'loseReply' : 'forward'));
    const updated = await repo.update(doc._id, { $set: { label: 'new' } });
    expect(updated.label).toBe('new');
    expect(sent).toBe(2);
  });

  it('never resends an $inc whose reply was lost: OutcomeUnknownError, counter applied once', async () => {
    const doc = await direct.create({ key: 'lost-inc', n: 0, label: 'a' });
    let sent = 0;
    wire.setRule((command) => (command === 'findAndModify' && ++sent === 1 ? 'loseReply' : 'forward'));
    const err = await repo.update(doc._id, { $inc: { n: 1 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect(sent).toBe(1);
    expect((await direct.findById(doc._id))?.n).toBe(1);
  });

  it('retries a read whose reply was lost and returns the document', async () => {
    await direct.create({ key: 'lost-read', n: 7, label: 'a' });
    let sent = 0;
    wire.setRule((command) => (command === 'find' && ++sent === 1 ? 'loseReply' : 'forward'));
    expect((await repo.findOne({ key: 'lost-read' }))?.n).toBe(7);
    expect(sent).toBeGreaterThanOrEqual(2);
  });
});

mongoSuite('unreachable and silent servers', (env) => {
  let proxy: TcpProxy;
  let mongo: MongoConnection;
  let repo: Repo;
  let direct: Repo;

  beforeAll(async () => {
    const { url } = env();
    proxy = await startTcpProxy({ upstream: new URL(url).host });
    direct = mongoRepository(env().mongo, Counters);
    await direct.create({ key: 'present', n: 1, label: 'a' });
  });
  afterEach(async () => {
    proxy.setMode({ kind: 'forward' });
    await mongo.close();
  });
  afterAll(async () => {
    await proxy.close();
  });

  const open = async (): Promise<void> => {
    mongo = await connectMongo({
      uri: proxy.url(env().url),
      dbName: env().mongo.db.databaseName,
      shared: false,
      cursorSecret: TEST_CURSOR_SECRET,
      ...FAST,
    });
    repo = mongoRepository(mongo, Counters);
    expect(await repo.count({})).toBeGreaterThan(0);
  };

  it('answers every call to a refused server with a ConnectionError that says nothing was applied', async () => {
    // Before: a refused connect mapped to ConnectionError with notApplied false, so a create
    // became OutcomeUnknownError although the server never saw it.
    await open();
    proxy.setMode({ kind: 'refuse' });
    proxy.resetAll();
    // Let the client see its connections reset first: a write sent on a socket whose reset has not
    // arrived yet is, to the client, a write whose outcome is unknown (covered by other tests). On a
    // loaded machine that can take a while, so wait until a read says the server is unreachable.
    for (let i = 0; i < 20; i++) {
      const probe = await settle(() => repo.findOne({ key: 'present' }));
      if (probe.error instanceof ConnectionError && probe.error.notApplied) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const calls: [string, () => Promise<unknown>][] = [
      ['create', () => repo.create({ key: uniqueName('refused'), n: 0, label: 'a' })],
      ['findOne', () => repo.findOne({ key: 'present' })],
      ['update $inc', () => repo.updateMany({ key: 'present' }, { $inc: { n: 1 } })],
    ];
    for (const [name, call] of calls) {
      const { ms, error } = await settle(call);
      expect(error, name).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).notApplied, name).toBe(true);
      expect((error as ConnectionError).retryable, name).toBe(true);
      expect(ms, name).toBeLessThan(FAST.timeoutMs + MARGIN_MS);
    }
    expect(await direct.count({ key: 'present' })).toBe(1);
    expect((await direct.findOne({ key: 'present' }))?.n).toBe(1);
  });

  it('ends every call to a black-holed server within its deadline with a typed error, and closes promptly', async () => {
    await open();
    const doc = (await direct.findOne({ key: 'present' }))!;
    proxy.setMode({ kind: 'blackhole' });
    const calls: Record<string, () => Promise<unknown>> = {
      findOne: () => repo.findOne({ key: 'present' }),
      paginate: () => repo.paginate({}, { limit: 5 }),
      aggregate: () => repo.aggregate([{ $match: { key: 'present' } }]),
      create: () => repo.create({ key: uniqueName('silent'), n: 0, label: 'a' }),
      'update $set': () => repo.update(doc._id, { $set: { label: 'b' } }),
      'update $inc': () => repo.update(doc._id, { $inc: { n: 1 } }),
    };
    const results = await Promise.all(
      Object.entries(calls).map(async ([name, call]) => ({ name, ...(await settle(call)) })),
    );
    for (const { name, ms, error } of results) {
      expect(error, name).toBeInstanceOf(DbkitError);
      expect(ms, name).toBeLessThan(FAST.timeoutMs + MARGIN_MS);
      const e = error as DbkitError;
      if (name === 'create' || name === 'update $inc') {
        // A write that may have been sent is unknown; one that never left says so.
        if (e instanceof ConnectionError) expect(e.notApplied, name).toBe(true);
        else expect(e, name).toBeInstanceOf(OutcomeUnknownError);
      } else if (!(e instanceof ConnectionError && e.notApplied)) {
        expect(e, name).toBeInstanceOf(TimeoutError);
      }
    }
    const begun = performance.now();
    await mongo.close();
    expect(performance.now() - begun).toBeLessThan(3_000);
  });
});
