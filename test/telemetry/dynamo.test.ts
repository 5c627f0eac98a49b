// OpenTelemetry through a DynamoDB client on DynamoDB Local: semantic-convention spans and durations of real requests.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/internal.js';
import { createDynamoClient } from '../../src/dynamo/index.js';
import type { DynamoClient } from '../../src/dynamo/index.js';
import { CURSOR_SECRET, defineModel, testClient } from '../dynamo/model.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';
import { otelHarness } from './support.js';
import type { OtelHarness } from './support.js';

describeEngine('dynamodb', (endpoint) => {
  const model = defineModel(uniqueName('dbkit_otel'));
  const direct = testClient(endpoint);
  let otel: OtelHarness;
  let db: DynamoClient;
  beforeAll(async () => {
    await direct.ensureTable(model.table);
    otel = otelHarness();
    db = createDynamoClient({
      local: endpoint,
      cursorSecret: CURSOR_SECRET,
      telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
    });
  });
  afterAll(async () => {
    db.destroy();
    await otel.shutdown();
    await direct.deleteTable(model.table);
    direct.destroy();
  });

  it('records a client span and a duration per request, with the table, the endpoint and the failure', async () => {
    const users = db.entity(model.User);
    await users.create({ id: 'otel-1', email: 'ada@example.com', name: 'Ada' });
    const err = await users
      .create({ id: 'otel-1', email: 'ada@example.com', name: 'Ada' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);

    const url = new URL(endpoint);
    const creates = otel.spans().filter((s) => s.attributes['db.operation.name'] === 'create');
    expect(creates).toHaveLength(2);
    expect(creates[0]?.kind).toBe(SpanKind.CLIENT);
    expect(creates[0]?.attributes).toMatchObject({
      'db.system.name': 'aws.dynamodb',
      'db.collection.name': model.table.name,
      'server.address': url.hostname,
      'server.port': Number(url.port),
    });
    expect(creates[1]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(creates[1]?.attributes).toMatchObject({
      'error.type': (err as ConflictError).code,
      'db.response.status_code': '400',
    });
    // Nothing of the data: no key values, no item contents.
    expect(JSON.stringify(creates.map((s) => s.attributes))).not.toContain('ada@example.com');
    const durations = (await otel.durations()).filter((d) => d.attributes['db.operation.name'] === 'create');
    expect(durations.reduce((n, d) => n + d.count, 0)).toBe(2);
  });
});
