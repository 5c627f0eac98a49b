// connectMongo: production defaults, one pool per URI with per-caller connections, applications' own clients, errors, health.
import { MongoClient, ObjectId } from 'mongodb';
import mongoose from 'mongoose';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ConnectionError, ForbiddenError, ValidationError } from '../../src/core/internal.js';
import type { Logger } from '../../src/core/internal.js';
import {
  connectMongo,
  defineCollection,
  mongoDefaults,
  mongoRepository,
  redactUri,
} from '../../src/mongo/index.js';
import { DEFAULT_MONGO_TIMEOUT_MS } from '../../src/mongo/client.js';
import { startTcpProxy } from '../../src/testing/faults/index.js';
import { uniqueName } from '../helpers/engines.js';
import { mongoSuite, TEST_CURSOR_SECRET } from './support.js';

const silent = (): Logger => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() });

describe('connectMongo without a server', () => {
  it('rejects an unreachable server with a ConnectionError within the selection timeout', async () => {
    const begun = Date.now();
    const err = await connectMongo({
      uri: 'mongodb://127.0.0.1:1/',
      client: { serverSelectionTimeoutMS: 400, connectTimeoutMS: 400 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe('connection.unreachable');
    expect((err as ConnectionError).message).toContain('127.0.0.1:1');
    expect((err as ConnectionError).retryable).toBe(true);
    expect(Date.now() - begun).toBeLessThan(3000);
  });

  it('rejects a malformed connection string with a ConnectionError, not a hang', async () => {
    for (const uri of ['http://localhost', 'mongodb://', 'mongodb://host:notaport/']) {
      const err = await connectMongo({ uri, shared: false }).catch((e: unknown) => e);
      expect(err, uri).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).code).toBe('connection.invalidUri');
      expect((err as ConnectionError).retryable).toBe(false);
    }
  });

  it('never puts credentials in messages', () => {
    expect(redactUri('mongodb://app:s3cret@db1:27017,db2:27017/app?replicaSet=rs0')).toBe(
      'db1:27017,db2:27017',
    );
    expect(redactUri('mongodb+srv://u:p@cluster0.example.net/app')).toBe('cluster0.example.net');
  });

  it('shares a failing connect in flight, then forgets it so the next call tries again', async () => {
    const options = {
      uri: 'mongodb://127.0.0.1:1/',
      client: { serverSelectionTimeoutMS: 200, connectTimeoutMS: 200 },
    };
    const [a, b] = await Promise.all([
      connectMongo(options).catch((e: unknown) => e),
      connectMongo(options).catch((e: unknown) => e),
    ]);
    expect(a).toBeInstanceOf(ConnectionError);
    // One connect for both callers: the same failure reaches each.
    expect(b).toBe(a);
    const again = await connectMongo(options).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConnectionError);
    expect(again).not.toBe(a);
  });
});

mongoSuite('connectMongo', (env) => {
  it('shares one pool and one connect in flight, but gives each caller its own connection', async () => {
    const { url } = env();
    const options = { uri: url, dbName: uniqueName('shared'), cursorSecret: TEST_CURSOR_SECRET };
    const [a, b, c] = await Promise.all([
      connectMongo(options),
      connectMongo(options),
      connectMongo(options),
    ]);
    expect(a.client).toBe(b.client);
    expect(b.client).toBe(c.client);
    expect(a).not.toBe(b);
    await Promise.all([a.close(), b.close(), c.close()]);
    const fresh = await connectMongo(options);
    expect(fresh.client).not.toBe(a.client);
    await fresh.close();
  });

  it('keeps each caller’s cursor secret, logger, retry policy, time limit and listeners on a shared pool', async () => {
    const { url } = env();
    const dbName = uniqueName('percaller');
    const eventsA: string[] = [];
    const eventsB: string[] = [];
    const loggerB = silent();
    const a = await connectMongo({
      uri: url,
      dbName,
      cursorSecret: 'first-caller-secret-0123456789',
      timeoutMs: 1_000,
      retry: false,
      listeners: [(e) => eventsA.push(e.type)],
    });
    const b = await connectMongo({
      uri: url,
      dbName,
      cursorSecret: 'second-caller-secret-0123456789',
      timeoutMs: 2_000,
      retry: { maxAttempts: 5 },
      logger: loggerB,
      slowOperationMs: 0,
      listeners: [(e) => eventsB.push(e.type)],
    });
    try {
      expect(b.client).toBe(a.client);
      expect(a.timeoutMs).toBe(1_000);
      expect(b.timeoutMs).toBe(2_000);
      expect(a.retry).toBe(false);
      expect(b.retry).not.toBe(false);
      expect(b.logger).toBe(loggerB);
      expect(a.logger).not.toBe(loggerB);
      // A cursor sealed with one caller's secret is refused by the other's codec.
      const binding = { source: 'posts' };
      const token = a.cursors().encode({ p: 1 }, binding);
      expect(a.cursors().decode(token, binding)).toEqual({ p: 1 });
      expect(() => b.cursors().decode(token, binding)).toThrow(ValidationError);
      const Notes = defineCollection({ name: 'notes', schema: z.object({ text: z.string() }) });
      await mongoRepository(b, Notes).create({ text: 'by b' });
      expect(eventsB).toContain('succeeded');
      expect(eventsA).toEqual([]);
      // B's slow-operation log (0 ms) goes to B's logger only.
      expect(loggerB.warn).toHaveBeenCalledWith(expect.anything(), 'dbkit: slow operation');
      await mongoRepository(a, Notes).findMany({});
      expect(eventsA).toContain('succeeded');
    } finally {
      await b.db.dropDatabase().catch(() => undefined);
      await a.close();
      await b.close();
    }
  });

  it('keeps a shared pool open until its last holder closes; a closed holder gets a typed error', async () => {
    const { url } = env();
    const dbName = uniqueName('refcount');
    const a = await connectMongo({ uri: url, dbName });
    const b = await connectMongo({ uri: url, dbName });
    const Notes = defineCollection({ name: 'notes', schema: z.object({ text: z.string() }) });
    const notesA = mongoRepository(a, Notes);
    const notesB = mongoRepository(b, Notes);
    await notesB.create({ text: 'before' });
    await a.close();
    expect(a.closed).toBe(true);
    // B still works on the shared pool.
    await notesB.create({ text: 'after' });
    expect(await notesB.count({})).toBe(2);
    expect((await b.health()).ok).toBe(true);
    // A's repository refuses with a clear, typed error instead of using the pool.
    const err = await notesA.findMany({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe('connection.closed');
    expect((err as ConnectionError).retryable).toBe(false);
    const health = await a.health();
    expect(health.ok).toBe(false);
    expect(health.error?.code).toBe('connection.closed');
    await a.close(); // idempotent: does not release B's hold
    expect((await b.health()).ok).toBe(true);
    await b.db.dropDatabase();
    await b.close();
    // The last holder closed the pool itself.
    const direct = await b.client
      .db('admin')
      .command({ ping: 1 })
      .then(
        () => 'answered',
        () => 'refused',
      );
    expect(direct).toBe('refused');
  });

  it('builds on a MongoClient or Db the application owns, and never closes it', async () => {
    const { url } = env();
    const dbName = uniqueName('owned');
    const own = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
    await own.connect();
    try {
      const viaClient = await connectMongo({ client: own, dbName });
      const viaDb = await connectMongo({ db: own.db(dbName) });
      expect(viaClient.client).toBe(own);
      expect(viaDb.client).toBe(own);
      expect(viaDb.db.databaseName).toBe(dbName);
      const Notes = defineCollection({ name: 'notes', schema: z.object({ text: z.string() }) });
      await mongoRepository(viaClient, Notes).create({ text: 'one pool' });
      expect(await mongoRepository(viaDb, Notes).count({})).toBe(1);
      await viaClient.close();
      await viaDb.close();
      // The application's client is still open.
      expect(await own.db(dbName).collection('notes').countDocuments()).toBe(1);
      await own.db(dbName).dropDatabase();
    } finally {
      await own.close();
    }
  });

  it('shares one pool with a real Mongoose connection', async () => {
    const { url } = env();
    const dbName = uniqueName('mongoose');
    const conn = await mongoose
      .createConnection(url, { dbName, serverSelectionTimeoutMS: 5_000 })
      .asPromise();
    try {
      // Beside Mongoose's bundled driver of another BSON major (the lowest-versions run: mongodb 6
      // with Mongoose 9), sharing is refused at connect, before anything is written.
      const version = Symbol.for('@@mdb.bson.version');
      const major = (id: object) => (id as Record<symbol, unknown>)[version];
      if (major(new ObjectId()) !== major(new mongoose.Types.ObjectId())) {
        await expect(connectMongo({ client: conn.getClient(), dbName })).rejects.toMatchObject({
          name: 'UnsupportedError',
          code: 'unsupported.bsonVersion',
        });
        return;
      }
      const mongo = await connectMongo({ client: conn.getClient(), dbName });
      expect(mongo.client).toBe(conn.getClient());
      const Notes = defineCollection({ name: 'notes', schema: z.object({ text: z.string() }) });
      await mongoRepository(mongo, Notes).create({ text: 'from dbkit' });
      const Note = conn.model('Note', new mongoose.Schema({ text: String }), 'notes');
      expect((await Note.findOne().lean())?.text).toBe('from dbkit');
      await mongo.close();
      // dbkit's close left Mongoose's pool open.
      expect(await Note.countDocuments()).toBe(1);
      await conn.dropDatabase();
    } finally {
      await conn.close();
    }
  });

  it('applies the production defaults and lets each be overridden', async () => {
    const { url } = env();
    const mongo = await connectMongo({ uri: url, shared: false, client: { maxPoolSize: 7 } });
    try {
      const o = mongo.client.options;
      expect(o.maxPoolSize).toBe(7);
      expect(o.minPoolSize).toBe(mongoDefaults.minPoolSize);
      expect(o.maxIdleTimeMS).toBe(30_000);
      expect(o.connectTimeoutMS).toBe(5_000);
      expect(o.serverSelectionTimeoutMS).toBe(5_000);
      expect(o.socketTimeoutMS).toBe(30_000);
      expect(o.waitQueueTimeoutMS).toBe(5_000);
      // Every call has a deadline even when the caller sets none.
      expect(mongo.timeoutMs).toBe(DEFAULT_MONGO_TIMEOUT_MS);
      expect(DEFAULT_MONGO_TIMEOUT_MS).toBe(10_000);
      expect(o.retryWrites).toBe(true);
      expect(o.retryReads).toBe(true);
      expect(o.writeConcern.w).toBe('majority');
      expect(o.readPreference.mode).toBe('primaryPreferred');
    } finally {
      await mongo.close();
    }
  });

  it('reports health with latency, and a ConnectionError once closed', async () => {
    const { url } = env();
    const logger = silent();
    const mongo = await connectMongo({ uri: url, shared: false, logger });
    const healthy = await mongo.health();
    expect(healthy.ok).toBe(true);
    expect(healthy.latencyMs).toBeGreaterThanOrEqual(0);
    expect(logger.info).toHaveBeenCalledWith(
      expect.objectContaining({ hosts: expect.any(String) as string }),
      'mongodb: connected',
    );
    expect(logger.debug).toHaveBeenCalledWith(expect.anything(), 'mongodb: connection pool created');
    await mongo.close();
    await mongo.close();
    const closed = await mongo.health();
    expect(closed.ok).toBe(false);
    expect(closed.error).toBeInstanceOf(ConnectionError);
    expect(logger.info).toHaveBeenCalledWith(expect.anything(), 'mongodb: disconnected');
  });

  it('fails authentication with a ForbiddenError (403, not retryable)', async (t) => {
    const { url } = env();
    const withCredentials = /^mongodb(\+srv)?:\/\/[^:/@]+:[^@/]+@/.test(url);
    t.skip(
      !withCredentials,
      'the engine URI carries no credentials (FerretDB and mongo-java-server here run without auth)',
    );
    const wrong = url.replace(/(:\/\/[^:/@]+:)[^@/]+@/, '$1definitely-wrong@');
    const err = await connectMongo({
      uri: wrong,
      shared: false,
      client: { serverSelectionTimeoutMS: 2000 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).code).toBe('forbidden.authenticationFailed');
    expect((err as ForbiddenError).retryable).toBe(false);
  });

  it('rejects a server that accepts connections but never answers with a ConnectionError, in time', async () => {
    const proxy = await startTcpProxy({ upstream: new URL(env().url).host, mode: { kind: 'blackhole' } });
    try {
      const begun = performance.now();
      const err = await connectMongo({
        uri: proxy.url(env().url),
        shared: false,
        client: { serverSelectionTimeoutMS: 800, connectTimeoutMS: 800 },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).code).toBe('connection.unreachable');
      expect((err as ConnectionError).notApplied).toBe(true);
      // Selection (800 ms) plus a bounded close (2 s at most) plus a margin.
      expect(performance.now() - begun).toBeLessThan(4_000);
    } finally {
      await proxy.close();
    }
  });

  it('detects the deployment’s capabilities', () => {
    const { caps, engine } = env();
    if (engine === 'ferretdb')
      expect(caps).toMatchObject({
        flavor: 'ferretdb',
        transactions: false,
        joins: false,
        ttl: false,
        textIndexes: false,
        explain: 'plan',
      });
    if (engine === 'mongo-java-server')
      expect(caps).toMatchObject({
        flavor: 'mongo-java-server',
        transactions: false,
        joins: true,
        explain: 'none',
      });
    if (engine === 'mongodb') expect(caps.flavor).toBe('mongodb');
    expect(['standalone', 'replicaSet', 'sharded']).toContain(caps.topology);
  });
});
