// What DynamoDB can do, declared statically in core's Capabilities shape.
import type { Capabilities } from '../core/internal.js';

/**
 * DynamoDB's capabilities: transactions (TransactWriteItems / TransactGetItems), TTL, sparse GSIs as
 * partial indexes; no full-text indexes and no server-side joins. The same on every deployment,
 * DynamoDB Local included; `db.capabilities` is this object.
 *
 * @example
 * ```ts
 * if (dynamoCapabilities.transactions) await db.transactWrite([tx.create(Transfer, transfer)])
 * ```
 */
export const dynamoCapabilities: Readonly<Capabilities> = Object.freeze({
  transactions: true,
  atomicUpdates: true,
  ttl: true,
  textIndexes: false,
  partialIndexes: true,
  joins: false,
});
