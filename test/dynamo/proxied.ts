// A DynamoDB Local table reached both directly and through the fault kit's proxy, with the hooks that set it up and tear it down.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createDynamoClient } from '../../src/dynamo/index.js';
import type { DynamoClient, DynamoClientOptions } from '../../src/dynamo/index.js';
import { startFaultProxy } from '../../src/testing/faults/index.js';
import type { FaultProxy } from '../../src/testing/faults/index.js';
import { CURSOR_SECRET, testClient } from './model.js';
import type { defineModel } from './model.js';

/** What a fault test works with: a direct client, the proxy, and clients that go through it. */
export interface Proxied {
  readonly direct: DynamoClient;
  /** The proxy, started before the first test; its rule is reset to forward before each. */
  readonly proxy: FaultProxy;
  /** A client through the proxy, destroyed after the file: `defaults`, then `options`. */
  viaProxy(options?: DynamoClientOptions): DynamoClient;
}

/**
 * Registers the hooks of a fault test file on `model`'s table: created before, deleted after.
 *
 * @example
 * ```ts
 * const t = proxiedDynamo(endpoint, model, { retry: { baseDelayMs: 5 } })
 * it('...', async () => { t.proxy.setRule(throttleShare(0.3)); await t.viaProxy().entity(User).get({ id }) })
 * ```
 */
export function proxiedDynamo(
  endpoint: string,
  model: ReturnType<typeof defineModel>,
  defaults: DynamoClientOptions = {},
): Proxied {
  const direct = testClient(endpoint);
  const clients: DynamoClient[] = [];
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    await direct.ensureTable(model.table);
    proxy = await startFaultProxy(endpoint);
  });
  beforeEach(() => {
    proxy?.setRule(() => ({ kind: 'forward' }));
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await proxy?.close();
    await direct.deleteTable(model.table);
    direct.destroy();
  });
  return {
    direct,
    get proxy() {
      if (proxy === undefined) throw new Error('the fault proxy starts in beforeAll');
      return proxy;
    },
    viaProxy(options = {}) {
      const db = createDynamoClient({
        local: this.proxy.endpoint,
        cursorSecret: CURSOR_SECRET,
        ...defaults,
        ...options,
      });
      clients.push(db);
      return db;
    },
  };
}
