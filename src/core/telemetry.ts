// OpenTelemetry for every operation: client spans and the db.client.operation.duration histogram, by the database semantic conventions.
import { createRequire } from 'node:module';
import type { DbkitError, EngineName } from './errors.js';
import type { OperationSpec } from './events.js';

/** A span or metric attribute value, as OpenTelemetry accepts it. */
export type TelemetryAttributeValue = string | number | boolean;

/** Span or metric attributes. */
export type TelemetryAttributes = Record<string, TelemetryAttributeValue>;

/** The subset of an OpenTelemetry span dbkit uses; an `@opentelemetry/api` Span satisfies it. */
export interface SpanLike {
  setAttribute(key: string, value: TelemetryAttributeValue): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error): unknown;
  /** Records a retried attempt; optional so that a hand-written tracer need not implement it. */
  addEvent?(name: string, attributes?: TelemetryAttributes): unknown;
  end(): void;
}

/** The subset of an OpenTelemetry tracer dbkit uses; `trace.getTracer('dbkit')` satisfies it. */
export interface TracerLike {
  startSpan(name: string, options?: { kind?: number; attributes?: TelemetryAttributes }): SpanLike;
}

/** The subset of an OpenTelemetry tracer provider dbkit uses; a `TracerProvider` satisfies it. */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): TracerLike;
}

/** The subset of an OpenTelemetry histogram dbkit uses. */
export interface HistogramLike {
  record(value: number, attributes?: TelemetryAttributes): void;
}

/** The subset of an OpenTelemetry meter dbkit uses; `metrics.getMeter('dbkit')` satisfies it. */
export interface MeterLike {
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): HistogramLike;
}

/** The subset of an OpenTelemetry meter provider dbkit uses; a `MeterProvider` satisfies it. */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}

/** Providers to use instead of the global ones registered with `@opentelemetry/api`. */
export interface TelemetryProviders {
  /** Default: the global tracer provider, when `@opentelemetry/api` is installed. */
  tracerProvider?: TracerProviderLike;
  /** Default: the global meter provider, when `@opentelemetry/api` is installed. */
  meterProvider?: MeterProviderLike;
}

/**
 * The `telemetry` option of the engine clients: `true` for the global providers of
 * `@opentelemetry/api`, an object to pass providers, `false` or absent for none (the default).
 */
export type TelemetryOption = boolean | TelemetryProviders;

/** What an engine knows about where its operations go, for the attributes it cannot put in a spec. */
export interface TelemetryTarget {
  /** `db.namespace`: the database name. */
  namespace?: string;
  /** `server.address`: the host name or IP address of the database. */
  serverAddress?: string;
  /** `server.port`. */
  serverPort?: number;
  /** `db.collection.name` of an operation; default its target. `undefined` leaves the attribute out (a raw query). */
  collectionOf?: (spec: OperationSpec) => string | undefined;
  /** `db.response.status_code` of a failure: the engine's own code (SQLSTATE, MongoDB error code). */
  statusCodeOf?: (error: DbkitError) => string | undefined;
}

/** The records of one operation: one span, one histogram measurement. */
export interface OperationTelemetry {
  /** An attempt failed and another follows: a `dbkit.retry` event on the span. */
  retry(attempt: number, delayMs: number, error: unknown): void;
  succeeded(attempts: number, durationMs: number): void;
  failed(error: DbkitError, attempts: number, durationMs: number): void;
}

/** Telemetry resolved once per engine client; the executor starts one record per operation. */
export interface Telemetry {
  start(spec: OperationSpec): OperationTelemetry;
}

/** The instrumentation scope name of dbkit's tracer and meter. */
export const TELEMETRY_SCOPE = 'dbkit';

/** `db.client.operation.duration`'s bucket boundaries in seconds, as the semantic conventions advise. */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

const SPAN_KIND_CLIENT = 2;
const SPAN_STATUS_ERROR = 2;

const SYSTEM_NAMES: Readonly<Record<EngineName, string>> = {
  dynamodb: 'aws.dynamodb',
  mongodb: 'mongodb',
  postgres: 'postgresql',
  pglite: 'postgresql',
  core: 'other_sql',
};

interface OtelApi {
  trace: { getTracerProvider(): TracerProviderLike };
  metrics: { getMeterProvider(): MeterProviderLike };
}

let api: OtelApi | null | undefined;

// Loaded on first opt-in, never at import: `@opentelemetry/api` is an optional peer dependency.
// Its global providers live on `globalThis`, so this copy sees what the application registered.
function loadApi(): OtelApi | undefined {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw err;
      api = null;
    }
  }
  return api ?? undefined;
}

function createHistogram(meter: MeterLike): HistogramLike {
  return meter.createHistogram('db.client.operation.duration', {
    description: 'Duration of database client operations.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
  });
}

/** The error.type of a failure: dbkit's dotted code, or the class name of anything else. */
function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && (error as { kind?: unknown }).kind !== undefined) return code;
    if (error instanceof Error) return error.name;
  }
  return '_OTHER';
}

function baseAttributes(spec: OperationSpec, target: TelemetryTarget): TelemetryAttributes {
  const attributes: TelemetryAttributes = {
    'db.system.name': SYSTEM_NAMES[spec.engine],
    'db.operation.name': spec.operation,
  };
  const collection = target.collectionOf === undefined ? spec.target : target.collectionOf(spec);
  if (collection !== undefined) attributes['db.collection.name'] = collection;
  if (target.namespace !== undefined) attributes['db.namespace'] = target.namespace;
  if (target.serverAddress !== undefined) attributes['server.address'] = target.serverAddress;
  if (target.serverPort !== undefined) attributes['server.port'] = target.serverPort;
  return attributes;
}

// `{db.operation.name} {target}`, the target being the collection, else the namespace, else the server.
function spanName(attributes: TelemetryAttributes): string {
  const operation = String(attributes['db.operation.name']);
  const collection = attributes['db.collection.name'] ?? attributes['db.namespace'];
  if (collection !== undefined) return `${operation} ${String(collection)}`;
  const address = attributes['server.address'];
  if (address === undefined) return operation;
  const port = attributes['server.port'];
  return port === undefined
    ? `${operation} ${String(address)}`
    : `${operation} ${String(address)}:${String(port)}`;
}

function telemetryOver(
  tracer: TracerLike | undefined,
  histogram: () => HistogramLike | undefined,
  target: TelemetryTarget,
): Telemetry {
  return {
    start(spec) {
      const attributes = baseAttributes(spec, target);
      const span = tracer?.startSpan(spanName(attributes), { kind: SPAN_KIND_CLIENT, attributes });
      return {
        retry(attempt, delayMs, error) {
          span?.addEvent?.('dbkit.retry', {
            'dbkit.attempt': attempt,
            'dbkit.retry.delay_ms': delayMs,
            'error.type': errorType(error),
          });
        },
        succeeded(attempts, durationMs) {
          histogram()?.record(durationMs / 1000, attributes);
          if (span === undefined) return;
          span.setAttribute('dbkit.attempts', attempts);
          span.end();
        },
        failed(error, attempts, durationMs) {
          const failure: TelemetryAttributes = { ...attributes, 'error.type': error.code };
          const status = target.statusCodeOf?.(error);
          if (status !== undefined) failure['db.response.status_code'] = status;
          histogram()?.record(durationMs / 1000, failure);
          if (span === undefined) return;
          span.setAttribute('dbkit.attempts', attempts);
          span.setAttribute('error.type', error.code);
          if (status !== undefined) span.setAttribute('db.response.status_code', status);
          span.recordException(error);
          span.setStatus({ code: SPAN_STATUS_ERROR, message: error.code });
          span.end();
        },
      };
    },
  };
}

/**
 * Resolves an engine client's `telemetry` option once, at construction. `true` takes the global
 * providers of `@opentelemetry/api` (loaded lazily; without it installed, telemetry stays off); an
 * object takes the providers it names and the global ones for the rest. Returns `undefined` when
 * off, so the executor does no telemetry work at all.
 *
 * The meter is taken on the first operation, so register the OpenTelemetry SDK before the first
 * operation (the tracer follows a provider registered later).
 *
 * @example
 * ```ts
 * const telemetry = createTelemetry(true, { namespace: 'app', serverAddress: 'db.internal', serverPort: 5432 })
 * const config: ExecutorConfig = { instrumentation, retry: false, mapError, ...(telemetry ? { telemetry } : {}) }
 * ```
 */
export function createTelemetry(
  option: TelemetryOption | undefined,
  target: TelemetryTarget = {},
): Telemetry | undefined {
  if (option === undefined || option === false) return undefined;
  const given = option === true ? {} : option;
  const otel =
    given.tracerProvider !== undefined && given.meterProvider !== undefined ? undefined : loadApi();
  const tracerProvider = given.tracerProvider ?? otel?.trace.getTracerProvider();
  const meterProvider = given.meterProvider ?? otel?.metrics;
  if (tracerProvider === undefined && meterProvider === undefined) return undefined;
  let histogram: HistogramLike | undefined;
  const histogramOnce = (): HistogramLike | undefined => {
    if (histogram === undefined && meterProvider !== undefined) {
      const provider = 'getMeterProvider' in meterProvider ? meterProvider.getMeterProvider() : meterProvider;
      histogram = createHistogram(provider.getMeter(TELEMETRY_SCOPE));
    }
    return histogram;
  };
  return telemetryOver(tracerProvider?.getTracer(TELEMETRY_SCOPE), histogramOnce, target);
}

const byTracer = new WeakMap<TracerLike, Telemetry>();

/**
 * Spans only, from a tracer an engine client was given directly (its `tracer` option).
 *
 * @example
 * ```ts
 * const telemetry = tracerTelemetry(trace.getTracer('dbkit'))
 * ```
 */
export function tracerTelemetry(tracer: TracerLike): Telemetry {
  let telemetry = byTracer.get(tracer);
  if (telemetry === undefined) {
    telemetry = telemetryOver(tracer, () => undefined, {});
    byTracer.set(tracer, telemetry);
  }
  return telemetry;
}

/**
 * `server.address`, `server.port` and `db.namespace` from a connection URL
 * (`postgres://user:secret@db.internal:5432/app`); never the credentials.
 *
 * @example
 * ```ts
 * targetFromUrl('postgres://u:p@db.internal/app', 5432); // { serverAddress: 'db.internal', serverPort: 5432, namespace: 'app' }
 * ```
 */
export function targetFromUrl(url: string, defaultPort?: number): TelemetryTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {};
  }
  const target: TelemetryTarget = {};
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host !== '') target.serverAddress = host;
  const port = parsed.port === '' ? defaultPort : Number(parsed.port);
  if (host !== '' && port !== undefined) target.serverPort = port;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database !== '') target.namespace = database;
  return target;
}
