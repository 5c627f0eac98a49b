// What the DynamoDB fault proxy can do with a request, and rules that decide it per call.
import { assertShare } from './random.js';

/**
 * What the DynamoDB fault proxy does with one request. Each kind stands for a production failure:
 *
 * - `forward`: pass it through untouched.
 * - `error`: answer with an AWS JSON error without reaching DynamoDB (the request is NOT applied).
 *   HTTP 400 by default; 500 for `InternalServerError` and 503 for `ServiceUnavailable` unless
 *   `status` says otherwise.
 * - `withhold`: forward a BatchWriteItem / BatchGetItem without the items `pick` returns (indexes
 *   into the flattened request) and report them as UnprocessedItems / UnprocessedKeys, as a
 *   partially throttled batch does. Other operations are forwarded.
 * - `applyThenLose`: forward (DynamoDB APPLIES the write), then lose the answer: reply HTTP 500
 *   InternalServerError (`as: 'error500'`, the default) or drop the connection without replying
 *   (`as: 'reset'`). The client cannot tell this from a write that never happened, which is why
 *   non-idempotent writes must not be retried blindly.
 * - `reset`: drop the connection without forwarding (NOT applied): a load balancer or network reset.
 * - `hang`: accept the request and never answer until the proxy is closed (NOT forwarded): a
 *   black-holed endpoint; only the client's own timeout gets it out.
 * - `delay`: forward after `ms` milliseconds: a slow network or a slow partition.
 * - `cancelTransaction`: answer TransactWriteItems with TransactionCanceledException whose
 *   CancellationReasons mark the `conflicts` indexes with `code` (default `TransactionConflict`)
 *   and the others `None`, without forwarding: a concurrent transaction touched the same items.
 *
 * @example
 * ```ts
 * const lose: FaultAction = { kind: 'applyThenLose', as: 'reset' };
 * const unavailable: FaultAction = { kind: 'error', type: 'ServiceUnavailable' };
 * ```
 */
export type FaultAction =
  | { readonly kind: 'forward' }
  | {
      readonly kind: 'error';
      /** The AWS error code, e.g. `ThrottlingException`, `ConditionalCheckFailedException`. */
      readonly type: string;
      readonly message?: string;
      readonly status?: 400 | 500 | 503;
      /** More fields of the JSON error body, e.g. `CancellationReasons`. */
      readonly extra?: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'withhold'; readonly pick: (count: number) => readonly number[] }
  | { readonly kind: 'applyThenLose'; readonly as?: 'error500' | 'reset' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'cancelTransaction'; readonly conflicts: readonly number[]; readonly code?: string };

/**
 * Decides what happens to each request: `operation` is the DynamoDB action from the
 * `X-Amz-Target` header (e.g. `PutItem`, `BatchWriteItem`), `body` the parsed JSON request and `n`
 * counts calls of that operation from 1 since the rule was set. A plain function, so rules compose.
 *
 * @example
 * ```ts
 * const firstTwoPutsThrottled: FaultRule = (op, _body, n) =>
 *   op === 'PutItem' && n <= 2 ? { kind: 'error', type: 'ThrottlingException' } : { kind: 'forward' };
 * ```
 */
export type FaultRule = (
  operation: string,
  body: Readonly<Record<string, unknown>>,
  n: number,
) => FaultAction;

/**
 * Options of {@link throttleShare}.
 *
 * @example
 * ```ts
 * const options: ThrottleShareOptions = { operations: ['PutItem'], random: seededRandom(1) };
 * ```
 */
export interface ThrottleShareOptions {
  /** Only these operations are throttled (all when omitted). */
  readonly operations?: readonly string[];
  /** The random source in [0, 1); pass {@link seededRandom} for a repeatable sequence. */
  readonly random?: () => number;
  /** The error DynamoDB answers with (default `ProvisionedThroughputExceededException`). */
  readonly error?: 'ProvisionedThroughputExceededException' | 'ThrottlingException';
}

/**
 * A rule throttling a `share` (0..1) of the calls, the way DynamoDB answers when a table or a hot
 * partition runs out of capacity; every other call is forwarded.
 *
 * @example
 * ```ts
 * proxy.setRule(throttleShare(0.5, { operations: ['PutItem', 'GetItem'], random: seededRandom(7) }));
 * ```
 */
export function throttleShare(share: number, options: ThrottleShareOptions = {}): FaultRule {
  assertShare(share, 'throttleShare');
  const random = options.random ?? Math.random;
  const only = options.operations === undefined ? undefined : new Set(options.operations);
  const type = options.error ?? 'ProvisionedThroughputExceededException';
  const message =
    type === 'ThrottlingException'
      ? 'Rate of requests exceeds the allowed throughput.'
      : 'The level of configured provisioned throughput for the table was exceeded.';
  return (operation) => {
    if (only !== undefined && !only.has(operation)) return { kind: 'forward' };
    return random() < share ? { kind: 'error', type, message } : { kind: 'forward' };
  };
}
