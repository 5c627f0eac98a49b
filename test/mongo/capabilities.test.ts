// What each Mongo engine reports it can do: core's Capabilities fields, under the names every engine uses, plus Mongo's own.
import { expect, it } from 'vitest';
import type { Capabilities } from '../../src/core/internal.js';
import { mongoSuite } from './support.js';

// Core's fields, as DynamoDB and Prisma declare them statically.
const CORE_FIELDS = [
  'transactions',
  'ttl',
  'textIndexes',
  'partialIndexes',
  'joins',
] as const satisfies readonly (keyof Capabilities)[];

mongoSuite('capabilities', (env) => {
  it("reports core's capability fields as booleans, plus Mongo's own", () => {
    const { caps } = env();
    for (const field of CORE_FIELDS) expect(typeof caps[field], field).toBe('boolean');
    expect(typeof caps.atomicUpdates).toBe('boolean');
    expect(['mongodb', 'ferretdb', 'mongo-java-server', 'unknown']).toContain(caps.flavor);
    expect(['standalone', 'replicaSet', 'sharded']).toContain(caps.topology);
    expect(['full', 'plan', 'none']).toContain(caps.explain);
  });

  it('tells the engines under test apart and reports what they lack', () => {
    const { caps, engine } = env();
    if (engine === 'ferretdb') {
      expect(caps).toMatchObject({
        flavor: 'ferretdb',
        transactions: false,
        ttl: false,
        partialIndexes: false,
      });
    } else if (engine === 'mongo-java-server') {
      expect(caps.flavor).toBe('mongo-java-server');
      expect(caps.transactions).toBe(false);
    }
    // Transactions need sessions on a replica set or sharded cluster.
    if (caps.topology === 'standalone') expect(caps.transactions).toBe(false);
  });

  it('is detected once per connection', async () => {
    const { mongo, caps } = env();
    expect(await mongo.capabilities()).toBe(caps);
  });
});
