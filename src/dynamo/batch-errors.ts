// The error a batch that did not complete throws: every item sorted into written / read, unprocessed or unknown.
import { DbkitError } from '../core/internal.js';
import type { DbkitErrorOptions } from '../core/internal.js';

/**
 * One item of a batch, pointing at its table, entity and key.
 *
 * @example
 * ```ts
 * for (const { entity, key, action }: UnprocessedEntry of err.unprocessed) log.warn({ entity, key, action }, 'not written')
 * ```
 */
export interface UnprocessedEntry {
  table: string;
  entity?: string;
  key: Record<string, unknown>;
  /** For writes: `put` or `delete`; `get` for reads. */
  action?: 'put' | 'delete' | 'get';
}

/**
 * The groups a batch that did not complete sorts its items into; each item is in exactly one.
 *
 * @example
 * ```ts
 * const report: BatchReport = err as UnprocessedItemsError
 * await resend(report.unprocessed)
 * ```
 */
export interface BatchReport {
  /** Confirmed written (batchWrite). */
  readonly written: readonly UnprocessedEntry[];
  /** Confirmed read, found or absent (batchGet). */
  readonly read: readonly UnprocessedEntry[];
  /** Never sent, or returned by DynamoDB as unprocessed: not applied, safe to send again. */
  readonly unprocessed: readonly UnprocessedEntry[];
  /** Sent, but the answer was lost (timeout, reset connection, 5xx): may or may not be written. */
  readonly unknown: readonly UnprocessedEntry[];
}

/**
 * A batch did not complete. Every item of the call is in exactly one group: `written` / `read`
 * (confirmed), `unprocessed` (not applied: safe to resend) or `unknown` (sent, outcome unknown;
 * always empty for reads, whose failed keys are simply unprocessed). The `cause` is the first
 * failure, if one ended the batch.
 *
 * Its kind says what the caller can do: `throttled` (retryable) when only throttling or
 * DynamoDB's UnprocessedItems are left, `outcome_unknown` when any write is `unknown`, otherwise
 * the kind of the failure that stopped the batch (e.g. `connection` for a refused connection).
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (err instanceof UnprocessedItemsError) {
 *     await retryLater(err.unprocessed)
 *     await reconcile(err.unknown)
 *   }
 * }
 * ```
 */
export class UnprocessedItemsError extends DbkitError {
  override readonly name = 'UnprocessedItemsError';
  readonly written: readonly UnprocessedEntry[];
  readonly read: readonly UnprocessedEntry[];
  readonly unprocessed: readonly UnprocessedEntry[];
  readonly unknown: readonly UnprocessedEntry[];
  constructor(
    message: string,
    options: DbkitErrorOptions & Partial<BatchReport> & { unprocessed: readonly UnprocessedEntry[] },
  ) {
    const unknown = options.unknown ?? [];
    const cause = options.cause instanceof DbkitError ? options.cause : undefined;
    const kind =
      unknown.length > 0
        ? 'outcome_unknown'
        : cause === undefined || cause.kind === 'throttled'
          ? 'throttled'
          : cause.kind;
    const code =
      kind === 'throttled'
        ? 'batch.unprocessed'
        : kind === 'outcome_unknown'
          ? 'batch.outcomeUnknown'
          : 'batch.failed';
    super(kind, message, {
      code,
      ...options,
      // Resending is the caller's call, item by item; the unknown ones need reconciling first.
      retryable: kind === 'outcome_unknown' ? false : (options.retryable ?? cause?.retryable ?? true),
      notApplied: unknown.length === 0 && (options.written ?? []).length === 0,
    });
    this.written = options.written ?? [];
    this.read = options.read ?? [];
    this.unprocessed = options.unprocessed;
    this.unknown = unknown;
  }
}
