// OpenTelemetry through the Prisma extension on real PGlite and PostgreSQL: semantic-convention spans and durations of real statements.
import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/internal.js';
import { dbkitExtension } from '../../src/prisma/index.js';
import { describeEngine } from '../helpers/engines.js';
import { errorOf, openPglite, openPostgres } from '../prisma/support.js';
import type { TestDb } from '../prisma/support.js';
import { otelHarness } from './support.js';
import type { OtelHarness } from './support.js';

function suite(open: () => Promise<TestDb>): void {
  let db: TestDb;
  let otel: OtelHarness;
  beforeAll(async () => {
    db = await open();
    otel = otelHarness();
  });
  afterAll(async () => {
    await otel.shutdown();
    await db.close();
  });

  function client() {
    return db.prisma.$extends(
      dbkitExtension({
        nPlusOne: false,
        telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
      }),
    );
  }

  // Where the statements went, as the semantic conventions name it; PGlite has no server.
  function connectionAttributes(): Record<string, unknown> {
    if (db.url === undefined) return {};
    const url = new URL(db.url);
    return {
      'db.namespace': url.pathname.slice(1),
      'server.address': url.hostname,
      'server.port': Number(url.port === '' ? 5432 : url.port),
    };
  }

  it('records a client span and a duration named by the model’s table for a real create and a conflict', async () => {
    const prisma = client();
    const email = `ada-${randomUUID()}@x.io`;
    await prisma.user.create({ data: { name: 'Ada', email } });
    const err = await errorOf(prisma.user.create({ data: { name: 'Bea', email } }));
    expect(err).toBeInstanceOf(ConflictError);

    const spans = otel.spans().filter((s) => s.name === 'create User');
    expect(spans).toHaveLength(2);
    const expected = {
      'db.system.name': 'postgresql',
      'db.operation.name': 'create',
      'db.collection.name': 'User',
      ...connectionAttributes(),
    };
    expect(spans[0]?.kind).toBe(SpanKind.CLIENT);
    expect(spans[0]?.attributes).toEqual({ ...expected, 'dbkit.attempts': 1 });
    expect(spans[0]?.status.code).toBe(SpanStatusCode.UNSET);
    expect(spans[1]?.attributes).toMatchObject({
      ...expected,
      'error.type': 'conflict.unique',
      'db.response.status_code': '23505',
    });
    expect(spans[1]?.status.code).toBe(SpanStatusCode.ERROR);
    // Nothing of the data: no statement text, no values.
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(email);

    const creates = (await otel.durations()).filter((s) => s.attributes['db.operation.name'] === 'create');
    expect(creates.map((s) => [s.attributes['error.type'], s.count])).toEqual(
      expect.arrayContaining([
        [undefined, 1],
        ['conflict.unique', 1],
      ]),
    );
  });

  it('leaves the collection out of a raw query and names it after the operation', async () => {
    const prisma = client();
    await prisma.$queryRaw`SELECT 1 AS one`;
    const span = otel.spans().find((s) => s.attributes['db.operation.name'] === '$queryRaw');
    expect(span?.attributes['db.collection.name']).toBeUndefined();
    expect(span?.name).toBe(
      db.url === undefined ? '$queryRaw' : `$queryRaw ${new URL(db.url).pathname.slice(1)}`,
    );
  });

  it('records nothing for a client that did not opt in', async () => {
    const before = otel.spans().length;
    otel.registerGlobal();
    const plain = db.prisma.$extends(dbkitExtension({ nPlusOne: false }));
    await plain.user.findMany({ take: 1 });
    expect(otel.spans()).toHaveLength(before);
    expect((await otel.durations()).some((s) => s.attributes['db.operation.name'] === 'findMany')).toBe(
      false,
    );
  });

  it('records one span for a whole $transactionWithRetry, beside its statements', async () => {
    const prisma = client();
    await prisma.$transactionWithRetry(async (tx) => {
      await tx.user.create({ data: { name: 'Tx', email: `tx-${randomUUID()}@x.io` } });
    });
    const spans = otel.spans().filter((s) => s.attributes['db.operation.name'] === '$transaction');
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'dbkit.attempts': 1 });
  });
}

describe('[pglite] telemetry through the Prisma extension', () => {
  suite(() => openPglite());
});

describeEngine('postgres', (url) => {
  describe('telemetry through the Prisma extension', () => {
    suite(() => openPostgres(url));
  });
});
