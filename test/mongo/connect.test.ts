// connectMongo: production defaults, one client per URI for concurrent callers, clear connection errors, health, pool logs.
import { describe, expect, it, vi } from 'vitest';
import { ConnectionError, ForbiddenError } from '../../src/core/index.js';
import type { Logger } from '../../src/core/index.js';
import { connectMongo, DEFAULT_MONGO_TIMEOUT_MS, mongoDefaults, redactUri } from '../../src/mongo/index.js';
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

  it('forgets a failed connect so the next call tries again', async () => {
    const options = {
      uri: 'mongodb://127.0.0.1:1/',
      client: { serverSelectionTimeoutMS: 200, connectTimeoutMS: 200 },
    };
    const first = connectMongo(options);
    expect(connectMongo(options)).toBe(first);
    await first.catch(() => undefined);
    const second = connectMongo(options);
    expect(second).not.toBe(first);
    await second.catch(() => undefined);
  });
});

mongoSuite('connectMongo', (env) => {
  it('shares one client and one connect in flight among concurrent callers', async () => {
    const { url } = env();
    const options = { uri: url, dbName: uniqueName('shared'), cursorSecret: TEST_CURSOR_SECRET };
    const [a, b, c] = await Promise.all([
      connectMongo(options),
      connectMongo(options),
      connectMongo(options),
    ]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(await connectMongo(options)).toBe(a);
    await a.close();
    const fresh = await connectMongo(options);
    expect(fresh).not.toBe(a);
    expect(fresh.client).not.toBe(a.client);
    await fresh.close();
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
