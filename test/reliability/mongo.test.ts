// Reliability of dbkit/mongo under network faults on every Mongo engine: nothing acknowledged is lost, nothing applied twice, every call ends in time with a typed error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConnectionError, DbkitError, OutcomeUnknownError, TimeoutError } from '../../src/core/internal.js';
import { connectMongo, defineCollection, mongoRepository } from '../../src/mongo/index.js';
import type { MongoConnection } from '../../src/mongo/index.js';
import { seededRandom, startTcpProxy } from '../../src/testing/faults/index.js';
import type { TcpProxy } from '../../src/testing/faults/index.js';
import { describeEngine, MONGO_ENGINES, uniqueName } from '../helpers/engines.js';
import { startWireProxy } from '../mongo/wire-proxy.js';
import type { WireProxy } from '../mongo/wire-proxy.js';

// No unique index on `key`: a create applied twice must show up as two documents, not a conflict.
const Orders = defineCollection({
  name: 'orders',
  schema: z.object({ key: z.string(), qty: z.number() }),
});
const Counters = defineCollection({
  name: 'counters',
  schema: z.object({ name: z.string(), n: z.number() }),
});

const DEADLINE_MS = 2_000;
const MARGIN_MS = 1_000;
const FAST_CLIENT = { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000, minPoolSize: 0 } as const;

interface Outcome {
  key: string;
  ok: boolean;
  error?: unknown;
  ms: number;
}

async function timed(key: string, call: () => Promise<unknown>): Promise<Outcome> {
  const begun = performance.now();
  try {
    await call();
    return { key, ok: true, ms: performance.now() - begun };
  } catch (error) {
    return { key, ok: false, error, ms: performance.now() - begun };
  }
}

/** A failed write is either "outcome unknown" or a connection error that says nothing was applied. */
function expectHonestWriteFailure(outcome: Outcome): void {
  const { error, key } = outcome;
  if (error instanceof ConnectionError) expect(error.notApplied, key).toBe(true);
  else expect(error, key).toBeInstanceOf(OutcomeUnknownError);
}

for (const engine of MONGO_ENGINES) {
  describeEngine(engine, (url) => {
    describe('mongo reliability', () => {
      let admin: MongoConnection;
      let wire: WireProxy;
      let tcp: TcpProxy;
      let faulty: MongoConnection;
      const dbName = uniqueName('reliability');

      beforeAll(async () => {
        admin = await connectMongo({ uri: url, dbName, shared: false });
        wire = await startWireProxy(new URL(url).host);
        // client → TCP proxy (drops new connections) → wire proxy (loses answers) → engine
        tcp = await startTcpProxy({ upstream: `127.0.0.1:${wire.port}` });
        faulty = await connectMongo({
          uri: tcp.url(url),
          dbName,
          shared: false,
          timeoutMs: DEADLINE_MS,
          client: FAST_CLIENT,
        });
      });
      afterAll(async () => {
        await faulty.close();
        await tcp.close();
        await wire.close();
        await admin.db.dropDatabase().catch(() => undefined);
        await admin.close();
      });

      it('loses no acknowledged create and applies none twice when connections drop mid-burst', async () => {
        const lose = seededRandom(7);
        // A third of the inserts run on the server and lose their answer; a third of new
        // connections die during their handshake, before anything is sent on them.
        wire.setRule((command) => (command === 'insert' && lose() < 0.33 ? 'loseReply' : 'forward'));
        tcp.setMode({ kind: 'cutShare', share: 0.33, at: 'firstBytes', random: seededRandom(11) });
        const orders = mongoRepository(faulty, Orders);
        const keys = Array.from({ length: 50 }, (_, i) => `order-${i}`);
        let outcomes: Outcome[];
        try {
          outcomes = await Promise.all(
            keys.map((key, i) => timed(key, () => orders.create({ key, qty: i }))),
          );
        } finally {
          wire.setRule(() => 'forward');
          tcp.setMode({ kind: 'forward' });
        }
        const stored = await mongoRepository(admin, Orders).findMany({}, { limit: 1_000 });
        const copies = new Map<string, number>();
        for (const doc of stored) copies.set(doc.key, (copies.get(doc.key) ?? 0) + 1);
        expect(wire.lost.get('insert') ?? 0).toBeGreaterThan(0);
        for (const outcome of outcomes) {
          expect(outcome.ms, outcome.key).toBeLessThan(DEADLINE_MS + MARGIN_MS);
          // Never applied twice, whatever the caller was told.
          expect(copies.get(outcome.key) ?? 0, outcome.key).toBeLessThanOrEqual(1);
          if (outcome.ok) {
            expect(copies.get(outcome.key), `${outcome.key} acknowledged but lost`).toBe(1);
            continue;
          }
          expectHonestWriteFailure(outcome);
          if (outcome.error instanceof ConnectionError)
            expect(copies.get(outcome.key), `${outcome.key} said not applied but landed`).toBeUndefined();
        }
      });

      it('counts an $inc whose answer was lost as unknown, never as applied twice', async () => {
        const counters = mongoRepository(faulty, Counters);
        const counter = await mongoRepository(admin, Counters).create({ name: uniqueName('c'), n: 0 });
        const lose = seededRandom(3);
        wire.setRule((command) => (command === 'findAndModify' && lose() < 0.4 ? 'loseReply' : 'forward'));
        const outcomes: Outcome[] = [];
        try {
          // One after another: each answer lost is one increment whose fate the caller does not know.
          for (let i = 0; i < 12; i++)
            outcomes.push(await timed(`inc-${i}`, () => counters.update(counter._id, { $inc: { n: 1 } })));
        } finally {
          wire.setRule(() => 'forward');
        }
        const acknowledged = outcomes.filter((o) => o.ok).length;
        const unknown = outcomes.filter((o) => o.error instanceof OutcomeUnknownError).length;
        expect(unknown).toBeGreaterThan(0);
        for (const outcome of outcomes.filter((o) => !o.ok)) expectHonestWriteFailure(outcome);
        const n = (await mongoRepository(admin, Counters).findById(counter._id))?.n ?? -1;
        expect(n).toBeGreaterThanOrEqual(acknowledged);
        expect(n).toBeLessThanOrEqual(acknowledged + unknown);
      });

      it('ends every call to a black-holed server within its deadline with a typed error', async () => {
        const target = await mongoRepository(admin, Counters).create({ name: uniqueName('bh'), n: 0 });
        const orders = mongoRepository(faulty, Orders);
        const counters = mongoRepository(faulty, Counters);
        tcp.setMode({ kind: 'blackhole' });
        let outcomes: Outcome[];
        try {
          outcomes = await Promise.all([
            timed('findOne', () => orders.findOne({ key: 'order-1' })),
            timed('paginate', () => orders.paginate({}, { limit: 10 })),
            timed('aggregate', () => orders.aggregate([{ $match: { key: 'order-1' } }])),
            timed('create', () => orders.create({ key: 'silent', qty: 1 })),
            timed('update $set', () => counters.update(target._id, { $set: { n: 5 } })),
            timed('update $inc', () => counters.update(target._id, { $inc: { n: 1 } })),
          ]);
        } finally {
          tcp.setMode({ kind: 'forward' });
        }
        for (const outcome of outcomes) {
          expect(outcome.ok, outcome.key).toBe(false);
          expect(outcome.ms, outcome.key).toBeLessThan(DEADLINE_MS + MARGIN_MS);
          expect(outcome.error, outcome.key).toBeInstanceOf(DbkitError);
          if (outcome.key === 'create' || outcome.key === 'update $inc') expectHonestWriteFailure(outcome);
          else if (!(outcome.error instanceof ConnectionError && outcome.error.notApplied))
            expect(outcome.error, outcome.key).toBeInstanceOf(TimeoutError);
        }
      });

      it('answers every call to a refused server quickly with a ConnectionError, nothing applied', async () => {
        const orders = mongoRepository(faulty, Orders);
        tcp.setMode({ kind: 'refuse' });
        tcp.resetAll();
        // Let the client see its connections reset first: a write sent on a socket whose reset has not
        // arrived yet is, to the client, a write whose outcome is unknown (covered by other tests).
        await new Promise((resolve) => setTimeout(resolve, 200));
        let outcomes: Outcome[];
        try {
          outcomes = await Promise.all([
            timed('create', () => orders.create({ key: 'refused', qty: 1 })),
            timed('findOne', () => orders.findOne({ key: 'order-1' })),
            timed('deleteMany', () => orders.deleteMany({ key: 'order-1' })),
          ]);
        } finally {
          tcp.setMode({ kind: 'forward' });
        }
        for (const outcome of outcomes) {
          expect(outcome.error, outcome.key).toBeInstanceOf(ConnectionError);
          expect((outcome.error as ConnectionError).notApplied, outcome.key).toBe(true);
          expect((outcome.error as ConnectionError).retryable, outcome.key).toBe(true);
          expect(outcome.ms, outcome.key).toBeLessThan(DEADLINE_MS + MARGIN_MS);
        }
        expect(await mongoRepository(admin, Orders).count({ key: 'refused' })).toBe(0);
      });
    });
  });
}
