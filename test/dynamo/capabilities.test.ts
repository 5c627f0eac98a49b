// DynamoDB declares its capabilities statically, and the client hands out the same declaration.
import { describe, expect, it } from 'vitest';
import { dynamoCapabilities } from '../../src/dynamo/capabilities.js';
import { createDynamoClient } from '../../src/dynamo/index.js';

describe('DynamoDB capabilities', () => {
  it('declares transactions, atomic updates, TTL and sparse indexes, and neither text indexes nor joins', () => {
    expect(dynamoCapabilities).toEqual({
      transactions: true,
      atomicUpdates: true,
      ttl: true,
      textIndexes: false,
      partialIndexes: true,
      joins: false,
    });
    expect(Object.isFrozen(dynamoCapabilities)).toBe(true);
  });

  it('is what the client reports', () => {
    const db = createDynamoClient({ local: 'http://127.0.0.1:1', shareClient: false });
    try {
      expect(db.capabilities).toBe(dynamoCapabilities);
    } finally {
      db.destroy();
    }
  });
});
