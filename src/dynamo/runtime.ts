// What every operation needs from the client: the DocumentClient, the executor config, cursors and defaults.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CursorCodec, ExecutorConfig, RetryPolicy } from '../core/internal.js';

/** The client internals operations run on. */
export interface Runtime {
  readonly document: DynamoDBDocumentClient;
  readonly client: DynamoDBClient;
  readonly executor: ExecutorConfig;
  readonly cursors: CursorCodec;
  /** Time limit of one operation including retries, in ms (default {@link defaultTimeoutMs}). */
  readonly timeoutMs: number;
  /** Ask DynamoDB for consumed capacity and report it in events. */
  readonly consumedCapacity: boolean;
  /** Parallel requests for batch operations. */
  readonly batchConcurrency: number;
  /** Retry policy for unprocessed batch items and retryable transaction cancellations. */
  readonly retry: RetryPolicy | false;
}

/** Adds `ReturnConsumedCapacity: 'TOTAL'` when the client asks for capacity. */
export function withCapacity<P extends object>(runtime: Runtime, params: P): P {
  return runtime.consumedCapacity ? Object.assign({}, params, { ReturnConsumedCapacity: 'TOTAL' }) : params;
}

/** Default time limit of one operation including its retries, when neither the client nor the call sets one. */
export const defaultTimeoutMs = 10_000;
