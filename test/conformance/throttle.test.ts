// The example service under DynamoDB throttling it cannot retry away: a 429 with Retry-After, not a 500.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../examples/service/app.js';
import { openDynamoStore } from '../../examples/service/stores/dynamo-store.js';
import { startFaultProxy } from '../../src/testing/faults/index.js';
import type { FaultProxy } from '../../src/testing/faults/index.js';
import { describeEngine, uniqueName } from '../helpers/engines.js';

describeEngine('dynamodb', (endpoint) => {
  describe('example service when DynamoDB keeps throttling', () => {
    let proxy: FaultProxy;
    let app: FastifyInstance;

    beforeAll(async () => {
      proxy = await startFaultProxy(endpoint);
      app = await buildApp({
        store: await openDynamoStore({
          endpoint: proxy.endpoint,
          table: uniqueName('throttle'),
          dropOnClose: true,
        }),
      });
    });
    afterAll(async () => {
      proxy.setRule(() => ({ kind: 'forward' }));
      await app.close();
      await proxy.close();
    });

    it('answers 429 problem details with Retry-After once the retries are spent, and 200 when the throttling stops', async () => {
      const created = await app.inject({
        method: 'POST',
        url: '/users',
        payload: { name: 'Ada', email: `${randomUUID()}@example.com` },
      });
      expect(created.statusCode).toBe(201);
      const { id } = created.json<{ id: string }>();
      proxy.setRule((op) =>
        op === 'GetItem'
          ? { kind: 'error', type: 'ProvisionedThroughputExceededException' }
          : { kind: 'forward' },
      );
      const throttled = await app.inject({ method: 'GET', url: `/users/${id}` });
      expect(throttled.statusCode).toBe(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const problem = throttled.json<{ type: string; retryable: boolean; detail: string }>();
      expect(problem.type).toBe('https://dbkit.dev/problems/throttled');
      expect(problem.retryable).toBe(true);
      expect(proxy.calls.get('GetItem')).toBeGreaterThan(1);
      proxy.setRule(() => ({ kind: 'forward' }));
      expect((await app.inject({ method: 'GET', url: `/users/${id}` })).statusCode).toBe(200);
    });
  });
});
