// What Prisma on PostgreSQL (adapter-pg or PGlite) can do, declared statically in core's Capabilities shape.
import type { Capabilities } from '../core/capabilities.js';

/**
 * What dbkit offers through Prisma on PostgreSQL and PGlite: interactive ACID transactions, partial
 * indexes (`CREATE INDEX ... WHERE`, in migrations) and SQL joins (relations, `include`). No expiry
 * of rows by time, and no full-text index Prisma manages on PostgreSQL. The same on both adapters;
 * also on every managed client as `db.capabilities`.
 *
 * @example
 * ```ts
 * import { prismaCapabilities } from 'dbkit/prisma'
 * if (prismaCapabilities.transactions) await prisma.$transactionWithRetry(async (tx) => { ... })
 * ```
 */
export const prismaCapabilities: Readonly<Capabilities> = Object.freeze({
  transactions: true,
  atomicUpdates: true,
  ttl: false,
  textIndexes: false,
  partialIndexes: true,
  joins: true,
});
