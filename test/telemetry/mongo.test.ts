// OpenTelemetry through the Mongo repositories on real wire-protocol servers: semantic-convention spans and durations of real commands.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError } from '../../src/core/internal.js';
import { connectMongo, defineCollection, mongoRepository } from '../../src/mongo/index.js';
import type { MongoConnection } from '../../src/mongo/index.js';
import { mongoSuite } from '../mongo/support.js';
import { otelHarness } from './support.js';
import type { OtelHarness } from './support.js';

const Accounts = defineCollection({
  name: 'accounts',
  schema: z.object({ handle: z.string(), plan: z.string() }),
  indexes: [{ key: { handle: 1 }, unique: true }],
  mapId: true,
});

mongoSuite('telemetry through Mongo repositories', (env) => {
  let otel: OtelHarness;
  beforeAll(() => {
    otel = otelHarness();
  });
  afterAll(async () => {
    await otel.shutdown();
  });

  // A second holder of the suite's pool, opted in to telemetry as a user would.
  const holders: MongoConnection[] = [];
  afterAll(async () => {
    for (const h of holders) await h.close();
  });
  async function traced(): Promise<MongoConnection> {
    const mongo = await connectMongo({
      client: env().mongo.client,
      dbName: env().mongo.db.databaseName,
      telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
    });
    holders.push(mongo);
    return mongo;
  }

  it('records client spans and durations with the database, server and collection of real commands', async () => {
    const accounts = mongoRepository(await traced(), Accounts);
    await accounts.syncIndexes();
    const created = await accounts.create({ handle: 'ada', plan: 'pro' });
    await accounts.findById(created.id);
    const err = await accounts.create({ handle: 'ada', plan: 'free' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);

    const url = new URL(env().url);
    const where = {
      'db.system.name': 'mongodb',
      'db.collection.name': 'accounts',
      'db.namespace': env().mongo.db.databaseName,
      'server.address': url.hostname,
      'server.port': Number(url.port),
    };
    const creates = otel.spans().filter((s) => s.name === 'create accounts');
    expect(creates).toHaveLength(2);
    expect(creates[0]?.kind).toBe(SpanKind.CLIENT);
    expect(creates[0]?.attributes).toEqual({ ...where, 'db.operation.name': 'create', 'dbkit.attempts': 1 });
    expect(creates[1]?.attributes).toMatchObject({
      ...where,
      'error.type': (err as ConflictError).code,
      'db.response.status_code': '11000',
    });
    expect(creates[1]?.status.code).toBe(SpanStatusCode.ERROR);
    const read = otel.spans().find((s) => s.attributes['db.operation.name'] === 'findById');
    expect(read?.name).toBe('findById accounts');
    expect(read?.attributes).toMatchObject(where);

    const durations = await otel.durations();
    expect(
      durations.find(
        (s) => s.attributes['db.operation.name'] === 'create' && s.attributes['error.type'] === undefined,
      )?.attributes,
    ).toEqual({
      ...where,
      'db.operation.name': 'create',
    });
    expect(durations.every((s) => s.unit === 's')).toBe(true);
  });

  it('records nothing on a connection that did not opt in', async () => {
    const before = otel.spans().length;
    otel.registerGlobal();
    const accounts = mongoRepository(env().mongo, Accounts);
    await accounts.findMany({});
    expect(otel.spans()).toHaveLength(before);
  });
});
