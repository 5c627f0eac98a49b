// The SDK side of the DynamoDB client: one SDK client per configuration, and DocumentClients that send each command once.
import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoClientOptions } from './client-options.js';
import { unmarshallNumber } from './numbers.js';
import { defaultTimeoutMs } from './runtime.js';

interface SdkSettings {
  config: DynamoDBClientConfig;
  /** What makes two clients interchangeable: region, endpoint, credentials identity, retries, timeouts. */
  key: string;
}

// Credential providers are compared by identity; static credentials by a digest, so the cache key
// never holds a secret and an inline `{ accessKeyId, secretAccessKey }` per invocation still matches.
const providerIds = new WeakMap<object, number>();
let nextProviderId = 0;

function credentialIdentity(credentials: DynamoDBClientConfig['credentials']): string {
  if (credentials === undefined) return 'chain';
  if (typeof credentials === 'function') {
    let id = providerIds.get(credentials);
    if (id === undefined) providerIds.set(credentials, (id = ++nextProviderId));
    return `provider:${String(id)}`;
  }
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = credentials;
  const material = JSON.stringify([accessKeyId, secretAccessKey, sessionToken, expiration?.getTime()]);
  return `static:${createHash('sha256').update(material).digest('base64url')}`;
}

function sdkSettings(options: DynamoClientOptions): SdkSettings {
  const localUrl =
    options.local === true
      ? 'http://localhost:8000'
      : typeof options.local === 'string'
        ? options.local
        : undefined;
  const endpoint = options.endpoint ?? localUrl ?? process.env.DYNAMODB_ENDPOINT;
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const connectionTimeout = Math.min(connectTimeoutMs, timeoutMs);
  const config: DynamoDBClientConfig = {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- still honoured for db.client
    retryMode: options.retryMode ?? 'standard',
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- still honoured for db.client
    maxAttempts: options.maxAttempts ?? 1,
    // A silent network must end in an error even for requests sent around dbkit's executor.
    requestHandler: { connectionTimeout, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  };
  const region = options.region ?? (localUrl !== undefined ? 'local' : process.env.AWS_REGION);
  if (region !== undefined) config.region = region;
  if (endpoint !== undefined && endpoint !== '') config.endpoint = endpoint;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  else if (localUrl !== undefined) config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const key = JSON.stringify([
    config.region ?? null,
    config.endpoint ?? null,
    credentialIdentity(config.credentials),
    config.maxAttempts,
    config.retryMode,
    timeoutMs,
    connectionTimeout,
  ]);
  return { config, key };
}

/**
 * A new SDK client configured as dbkit would create it: one SDK attempt in standard retry mode
 * (dbkit owns retries), HTTP connection and request timeouts from `timeoutMs`, region, endpoint and
 * credentials from the options or the environment, or local mode. `createDynamoClient` shares one
 * such client per configuration; this always builds a new one.
 *
 * @example
 * ```ts
 * const sdk = createSdkClient({ local: 'http://localhost:8000' })
 * ```
 */
export function createSdkClient(options: DynamoClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(sdkSettings(options).config);
}

const connectTimeoutMs = 3_000;

// One SDK client per configuration in this process, counted by the DynamoClients holding it: a
// serverless handler that creates its DynamoClient per invocation still reuses one pool.
const sharedClients = new Map<string, { client: DynamoDBClient; holders: number }>();

/** @internal The shared SDK client for these options, counted; `release` when done with it. */
export function acquireSharedClient(options: DynamoClientOptions): {
  client: DynamoDBClient;
  release(): void;
} {
  const { config, key } = sdkSettings(options);
  let entry = sharedClients.get(key);
  if (entry === undefined) {
    entry = { client: new DynamoDBClient(config), holders: 0 };
    sharedClients.set(key, entry);
  }
  entry.holders++;
  const held = entry;
  let released = false;
  return {
    client: held.client,
    release: () => {
      if (released) return;
      released = true;
      held.holders--;
      if (held.holders > 0) return;
      if (sharedClients.get(key) === held) sharedClients.delete(key);
      held.client.destroy();
    },
  };
}

// Replaces the SDK's retry middleware (same name, step and priority) with one that sends once: the
// SDK cannot know that an UpdateItem whose answer was lost must not be sent again; dbkit's executor can.
const singleAttempt =
  <A, R>(next: (args: A) => Promise<R>) =>
  (args: A): Promise<R> =>
    next(args);
const singleAttemptOptions = {
  name: 'retryMiddleware',
  step: 'finalizeRequest',
  priority: 'high',
  tags: ['RETRY'],
  override: true,
};

interface StackedCommand {
  middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
}

type SendFn = (this: unknown, ...args: unknown[]) => unknown;

const dbkitTranslation = {
  marshallOptions: {
    removeUndefinedValues: true,
    convertClassInstanceToMap: true,
    convertEmptyValues: false,
  },
  unmarshallOptions: { wrapNumbers: unmarshallNumber },
};

/**
 * Wraps an SDK client (or a DocumentClient's client configuration) in a DocumentClient with dbkit's
 * marshalling: undefined values removed, class instances converted to maps, empty strings kept,
 * and numbers unmarshalled exactly (any number a double cannot hold is resolved per attribute by
 * the entity, never silently rounded). It shares the client's request handler and middleware but
 * not its configuration object, so DocumentClients you build over the same client keep their own
 * marshalling.
 *
 * Every command sent through it is sent once: the SDK's retry step is replaced, on that command
 * only, by a single attempt, so dbkit's executor alone decides what is re-sent. The client you pass
 * keeps its own retries for what you send through it, and its middleware (tracing, logging) still
 * applies to dbkit's requests. The send is looked up on the class at each call, so
 * `mockClient(DynamoDBDocumentClient)` from aws-sdk-client-mock intercepts dbkit's commands
 * whether it is installed before or after this client is created.
 *
 * @example
 * ```ts
 * const doc = createDocumentClient(new DynamoDBClient({}))
 * ```
 */
export function createDocumentClient(
  client: DynamoDBClient | DynamoDBDocumentClient,
): DynamoDBDocumentClient {
  // The DocumentClient constructor writes its marshalling onto the client's own config object,
  // which every DocumentClient over that client reads: put the caller's back, keep ours on a copy.
  const shared = client.config as unknown as Record<string, unknown>;
  const hadTranslation = Object.hasOwn(shared, 'translateConfig');
  const previous = shared.translateConfig;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- the constructor reads only `config` and `middlewareStack`, which a DocumentClient shares with its client
  const document = DynamoDBDocumentClient.from(client, dbkitTranslation);
  if (hadTranslation) shared.translateConfig = previous;
  else delete shared.translateConfig;
  // Descriptors, not a spread: the resolved config's credentials are a live getter/setter pair.
  const own = Object.defineProperties({}, Object.getOwnPropertyDescriptors(shared)) as Record<
    string,
    unknown
  >;
  own.translateConfig = dbkitTranslation;
  Object.defineProperty(document, 'config', { value: own, configurable: true, writable: true });
  // The DocumentClient shares the client's middleware stack, so the override goes on each command.
  // The class's `send` is read at each call (never captured), so a stub installed on it later
  // (aws-sdk-client-mock, sinon) is honoured.
  const sendOnce = function (this: unknown, command: StackedCommand, ...rest: unknown[]): unknown {
    command.middlewareStack.add(singleAttempt, singleAttemptOptions);
    const send = (Object.getPrototypeOf(document) as { send: SendFn }).send;
    return send.call(document, command, ...rest);
  };
  Object.defineProperty(document, 'send', { value: sendOnce, configurable: true, writable: true });
  return document;
}

// One dbkit DocumentClient per SDK client or DocumentClient handed in, reused across DynamoClients.
const documents = new WeakMap<object, DynamoDBDocumentClient>();

/** @internal The DocumentClient dbkit sends through over a client or DocumentClient, made once per source. */
export function documentFor(source: DynamoDBClient | DynamoDBDocumentClient): DynamoDBDocumentClient {
  let document = documents.get(source);
  if (document === undefined) {
    document = createDocumentClient(source);
    documents.set(source, document);
  }
  return document;
}
