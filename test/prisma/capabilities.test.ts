// Prisma's static capabilities, in core's shape and on every managed client.
import { describe, expect, it } from 'vitest';
import { createPrisma, prismaCapabilities } from '../../src/prisma/index.js';

describe('prisma capabilities', () => {
  it('declares transactions, atomic updates, partial indexes and joins, and neither TTL nor text indexes', () => {
    expect(prismaCapabilities).toEqual({
      transactions: true,
      atomicUpdates: true,
      ttl: false,
      textIndexes: false,
      partialIndexes: true,
      joins: true,
    });
    expect(Object.isFrozen(prismaCapabilities)).toBe(true);
  });

  it('are on the managed client', async () => {
    const adapter = { adapterName: '@prisma/adapter-pg', provider: 'postgres' };
    const db = createPrisma({
      name: 'capabilities-test',
      adapter,
      create: () => ({
        $connect: () => Promise.resolve(),
        $disconnect: () => Promise.resolve(),
        $on: () => undefined,
      }),
      shutdownSignals: false,
      poolTimeouts: false,
      slowQueryMs: false,
    });
    expect(db.capabilities).toBe(prismaCapabilities);
    await db.close();
  });
});
