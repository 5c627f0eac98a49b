// What each engine declares it supports; drives runtime checks and which conformance tests run.

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
