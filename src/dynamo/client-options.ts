// The options of createDynamoClient: where DynamoDB is, which client to build on, time limits, retries, events, cursors.
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  Instrumentation,
  InstrumentationOptions,
  RetryPolicy,
  TelemetryOption,
  TracerLike,
} from '../core/internal.js';

/**
 * Options of {@link createDynamoClient}. Everything has a production default.
 *
 * @example
 * ```ts
 * const options: DynamoClientOptions = { region: 'eu-west-1', cursorSecret: process.env.CURSOR_SECRET, timeoutMs: 5_000 }
 * ```
 */
export interface DynamoClientOptions {
  /** AWS region. Default: `AWS_REGION` / the SDK's resolution; `local` in local mode. */
  region?: string;
  /** Endpoint URL, e.g. DynamoDB Local's. Default: `DYNAMODB_ENDPOINT` when set. */
  endpoint?: string;
  /** Credentials. Default: the SDK's provider chain; dummy credentials in local mode. */
  credentials?: DynamoDBClientConfig['credentials'];
  /** Local mode: talk to DynamoDB Local at this URL (or `http://localhost:8000` for `true`) with dummy credentials. */
  local?: boolean | string;
  /**
   * @deprecated dbkit's operations never let the SDK re-send a request: only dbkit knows whether an
   * operation may be sent twice (an increment may not), so every dbkit operation is one SDK attempt
   * per dbkit attempt, whatever this says. It only configures the SDK client dbkit creates, for what
   * you send through `db.client` yourself. Default 1. Tune `retry` instead.
   */
  maxAttempts?: number;
  /**
   * @deprecated Like `maxAttempts`, this only configures the SDK client dbkit creates, for what you
   * send through `db.client` yourself; dbkit's operations never use the SDK's retries or its adaptive
   * rate limiter (which delays sends past a request's deadline). Default `standard`.
   */
  retryMode?: 'adaptive' | 'standard';
  /**
   * An SDK client you already have. dbkit sends through its own DocumentClient over it (same
   * request handler, credentials and middleware, so your tracing and logging see dbkit's requests)
   * with dbkit's marshalling and a retry step of one attempt per command (dbkit's executor decides
   * what is re-sent). The client itself is never changed: its `maxAttempts` and retry mode still
   * apply to what you send through it yourself, and a DocumentClient you built over it keeps its
   * own marshalling. Its HTTP timeouts stay yours; dbkit's `timeoutMs` still bounds every operation.
   */
  client?: DynamoDBClient;
  /**
   * A DocumentClient you already have (not together with `client`). dbkit sends over its client
   * configuration and middleware like `client`, but with dbkit's marshalling, not the one you gave
   * it: dbkit's exact numbers (a stored number a double cannot hold is never rounded silently) and
   * its item shapes depend on it. Your DocumentClient is not changed. `db.client` is then a client
   * over that same configuration: any `@aws-sdk/client-dynamodb` command can be sent through it.
   */
  document?: DynamoDBDocumentClient;
  /**
   * Share the SDK client dbkit creates with every other DynamoClient created with the same region,
   * endpoint, credentials and timeouts in this process (one connection pool across serverless
   * invocations). `destroy()` releases this DynamoClient's share; the sockets close with the last
   * one. Default true; ignored with `client` or `document`.
   */
  shareClient?: boolean;
  /**
   * dbkit's retry policy: the only layer that re-sends (throttling, lost answers of reads and
   * idempotent writes, unprocessed batch items, transaction conflicts). Default: core defaults
   * (5 attempts, 50 ms base, 2 s cap). Its deadline never outlasts the operation's `timeoutMs`.
   */
  retry?: RetryPolicy | false;
  /**
   * Time limit of one operation including its retries, in ms. Default 10 000. A call that runs out
   * of time while throttled gets the ThrottledError; one cut while a request was in flight gets a
   * TimeoutError (a read) or an OutcomeUnknownError (a write that may not be repeated). The SDK
   * client dbkit creates also gets HTTP timeouts from it (connection: 3 s at most).
   */
  timeoutMs?: number;
  /** An event bus, or options to create one. */
  instrumentation?: Instrumentation | InstrumentationOptions;
  /** An OpenTelemetry tracer (`trace.getTracer('dbkit')`). */
  tracer?: TracerLike;
  /**
   * OpenTelemetry spans and the `db.client.operation.duration` histogram by the database semantic
   * conventions: `true` for the global providers, or `{ tracerProvider, meterProvider }`. Default off.
   */
  telemetry?: TelemetryOption;
  /** Secret(s) for pagination cursors. Default `DBKIT_CURSOR_SECRET`. */
  cursorSecret?: string | readonly string[];
  /** Cursors older than this are refused. Default: no expiry. */
  cursorTtlMs?: number;
  /** Ask DynamoDB for consumed capacity and report it in `succeeded` events. Default false. */
  consumedCapacity?: boolean;
  /** Parallel requests for batch operations. Default 4. */
  batchConcurrency?: number;
}
