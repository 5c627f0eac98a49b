// OpenTelemetry from execute(): spans and the duration histogram by the database semantic conventions, and nothing unless opted in.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  ConnectionError,
  DbkitError,
  InternalError,
  ThrottledError,
} from '../../src/core/errors.js';
import { createInstrumentation } from '../../src/core/events.js';
import type { OperationSpec } from '../../src/core/events.js';
import { execute } from '../../src/core/executor.js';
import type { ExecutorConfig } from '../../src/core/executor.js';
import { createTelemetry, DURATION_BUCKETS, targetFromUrl } from '../../src/core/telemetry.js';
import type { Telemetry, TelemetryTarget } from '../../src/core/telemetry.js';
import { otelHarness } from '../telemetry/support.js';
import type { OtelHarness } from '../telemetry/support.js';

const get: OperationSpec = {
  engine: 'postgres',
  operation: 'findMany',
  target: 'users',
  kind: 'read',
  idempotent: true,
};
const insert: OperationSpec = {
  engine: 'mongodb',
  operation: 'create',
  target: 'orders',
  kind: 'write',
  idempotent: false,
};
const server: TelemetryTarget = { namespace: 'app', serverAddress: 'db.internal', serverPort: 5432 };

let otel: OtelHarness | undefined;
afterEach(async () => {
  await otel?.shutdown();
  otel = undefined;
});

/** The low-cardinality attributes of `get` on `server`: on its span (plus attempts) and its durations. */
const findManyUsers = {
  'db.system.name': 'postgresql',
  'db.operation.name': 'findMany',
  'db.collection.name': 'users',
  'db.namespace': 'app',
  'server.address': 'db.internal',
  'server.port': 5432,
};

function harness(): OtelHarness {
  otel = otelHarness();
  return otel;
}

function configWith(telemetry: Telemetry | undefined): ExecutorConfig {
  return {
    instrumentation: createInstrumentation(),
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    mapError: (err) => (err instanceof DbkitError ? err : new InternalError('unmapped')),
    ...(telemetry === undefined ? {} : { telemetry }),
  };
}

function explicit(h: OtelHarness, target: TelemetryTarget = server): Telemetry | undefined {
  return createTelemetry({ tracerProvider: h.tracerProvider, meterProvider: h.meterProvider }, target);
}

describe('execute with telemetry', () => {
  it('names a client span "{operation} {collection}" with the semantic-convention attributes', async () => {
    const h = harness();
    await execute(configWith(explicit(h)), get, () => Promise.resolve([]));
    const [span] = h.spans();
    expect(h.spans()).toHaveLength(1);
    expect(span?.name).toBe('findMany users');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.instrumentationScope.name).toBe('dbkit');
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes).toEqual({ ...findManyUsers, 'dbkit.attempts': 1 });
  });

  it('marks a failed span with error.type (the dbkit code), the status code, the exception and ERROR status', async () => {
    const h = harness();
    const telemetry = createTelemetry(
      { tracerProvider: h.tracerProvider, meterProvider: h.meterProvider },
      { ...server, statusCodeOf: (e) => (e.cause as { code?: string } | undefined)?.code },
    );
    const driverError = Object.assign(new Error('duplicate key'), { code: '23505' });
    const err = await execute(configWith(telemetry), insert, () =>
      Promise.reject(new ConflictError('an order with this number exists', { cause: driverError })),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    const [span] = h.spans();
    expect(span?.name).toBe('create orders');
    expect(span?.attributes['db.system.name']).toBe('mongodb');
    expect(span?.attributes['error.type']).toBe('conflict');
    expect(span?.attributes['db.response.status_code']).toBe('23505');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'conflict' });
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('reports an unknown outcome as error.type outcome_unknown.<kind>', async () => {
    const h = harness();
    await execute(configWith(explicit(h)), insert, () => Promise.reject(new ConnectionError('reset'))).catch(
      () => undefined,
    );
    expect(h.spans()[0]?.attributes['error.type']).toBe('outcome_unknown.connection');
  });

  it('keeps one span per operation: retries are counted and each one is a dbkit.retry event', async () => {
    const h = harness();
    let calls = 0;
    await execute(configWith(explicit(h)), get, () => {
      calls++;
      return calls < 3 ? Promise.reject(new ThrottledError('slow down')) : Promise.resolve(1);
    });
    expect(h.spans()).toHaveLength(1);
    const [span] = h.spans();
    expect(span?.attributes['dbkit.attempts']).toBe(3);
    expect(
      span?.events.map((e) => [e.name, e.attributes?.['dbkit.attempt'], e.attributes?.['error.type']]),
    ).toEqual([
      ['dbkit.retry', 1, 'throttled'],
      ['dbkit.retry', 2, 'throttled'],
    ]);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    const [series] = await h.durations();
    expect(series?.count).toBe(1);
  });

  it('records db.client.operation.duration in seconds with the advised buckets and the span attributes', async () => {
    const h = harness();
    const config = configWith(explicit(h));
    await execute(config, get, () => new Promise((r) => setTimeout(r, 20)));
    await execute(config, get, () => Promise.resolve(1));
    await execute(config, get, () => Promise.reject(new ConflictError('x'))).catch(() => undefined);
    const series = await h.durations();
    expect(series).toHaveLength(2);
    const ok = series.find((s) => s.attributes['error.type'] === undefined);
    const failed = series.find((s) => s.attributes['error.type'] === 'conflict');
    expect(ok?.unit).toBe('s');
    expect(ok?.boundaries).toEqual(DURATION_BUCKETS);
    expect(ok?.count).toBe(2);
    // Seconds, not milliseconds: the 20 ms call is about 0.02.
    expect(ok?.sum).toBeGreaterThanOrEqual(0.015);
    expect(ok?.sum).toBeLessThan(5);
    expect(ok?.attributes).toEqual(findManyUsers);
    expect(failed?.count).toBe(1);
  });

  it('names a span without a collection after its namespace, and leaves the collection out', async () => {
    const h = harness();
    const telemetry = createTelemetry(
      { tracerProvider: h.tracerProvider, meterProvider: h.meterProvider },
      { namespace: 'app', collectionOf: () => undefined },
    );
    await execute(configWith(telemetry), { ...get, operation: '$queryRaw', target: 'raw' }, () =>
      Promise.resolve(1),
    );
    const [span] = h.spans();
    expect(span?.name).toBe('$queryRaw app');
    expect(span?.attributes['db.collection.name']).toBeUndefined();
  });

  it('takes the global providers of @opentelemetry/api with `telemetry: true`', async () => {
    const h = harness();
    h.registerGlobal();
    await execute(configWith(createTelemetry(true, server)), get, () => Promise.resolve(1));
    expect(h.spans().map((s) => s.name)).toEqual(['findMany users']);
    expect((await h.durations()).map((s) => s.count)).toEqual([1]);
  });

  it('emits nothing when not opted in, even with global providers registered', async () => {
    const h = harness();
    h.registerGlobal();
    expect(createTelemetry(undefined)).toBeUndefined();
    expect(createTelemetry(false)).toBeUndefined();
    await execute(configWith(undefined), get, () => Promise.resolve(1));
    await execute(configWith(createTelemetry(false)), get, () =>
      Promise.reject(new ConflictError('x')),
    ).catch(() => undefined);
    expect(h.spans()).toEqual([]);
    expect(await h.metricNames()).toEqual([]);
  });

  it('gives a tracer passed directly the same span names and attributes, without metrics', async () => {
    const h = harness();
    const tracer = h.tracerProvider.getTracer('app');
    await execute({ ...configWith(undefined), tracer }, get, () => Promise.resolve(1));
    const [span] = h.spans();
    expect(span?.name).toBe('findMany users');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.attributes['db.system.name']).toBe('postgresql');
    expect(await h.metricNames()).toEqual([]);
  });
});

describe('targetFromUrl', () => {
  it('takes host, port and database from a connection URL and never the credentials', () => {
    expect(targetFromUrl('postgres://admin:s3cret@db.internal/app', 5432)).toEqual({
      serverAddress: 'db.internal',
      serverPort: 5432,
      namespace: 'app',
    });
    expect(targetFromUrl('postgresql://u@[::1]:6543/my%20db')).toEqual({
      serverAddress: '::1',
      serverPort: 6543,
      namespace: 'my db',
    });
    expect(targetFromUrl('not a url')).toEqual({});
  });
});
