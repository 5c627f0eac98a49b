// What each engine declares it supports; drives runtime checks and which conformance tests run.
import { UnsupportedError } from './errors.js';
import type { EngineName } from './errors.js';

/** Features that differ between engines or deployments of one engine. */
export interface Capabilities {
  /** Multi-record ACID transactions. */
  transactions: boolean;
  /**
   * Conditional and arithmetic single-record updates applied atomically by the engine, which
   * optimistic locking and counters rely on (FerretDB v1 applies them as read-then-write).
   */
  atomicUpdates: boolean;
  /** Expiry of records by a time attribute or index. */
  ttl: boolean;
  /** Full-text indexes. */
  textIndexes: boolean;
  /** Partial / sparse indexes. */
  partialIndexes: boolean;
  /** Server-side joins ($lookup, SQL joins). */
  joins: boolean;
}

/**
 * Throws an UnsupportedError naming the feature and what the deployment needs, when the engine lacks it.
 *
 * @example
 * ```ts
 * requireCapability(caps, 'transactions', 'mongodb', 'transactions need a replica set or sharded cluster')
 * ```
 */
export function requireCapability(
  capabilities: Capabilities,
  feature: keyof Capabilities,
  engine: EngineName,
  whatIsNeeded: string,
): void {
  if (!capabilities[feature]) {
    throw new UnsupportedError(`${engine} here does not support ${feature}: ${whatIsNeeded}`, {
      feature,
      engine,
    });
  }
}
