// OpenTelemetry SDK harness for the telemetry tests: in-memory spans and an on-demand metric reader.
import { metrics, trace } from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

// Collects only when a test asks, so what it reads is exactly what was recorded before.
class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One recorded `db.client.operation.duration` series, as a test reads it. */
export interface DurationSeries {
  unit: string;
  attributes: Record<string, unknown>;
  count: number;
  sum: number;
  boundaries: number[];
}

/** SDK providers wired to in-memory exporters, and readers for what they recorded. */
export interface OtelHarness {
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  /** Ended spans, in end order. */
  spans(): ReadableSpan[];
  /** Every `db.client.operation.duration` series recorded so far. */
  durations(): Promise<DurationSeries[]>;
  /** Every metric name recorded so far. */
  metricNames(): Promise<string[]>;
  /** Registers the providers as the global ones of `@opentelemetry/api`. */
  registerGlobal(): void;
  /** Unregisters the global providers and shuts the SDK down. */
  shutdown(): Promise<void>;
}

/**
 * Creates SDK providers that keep what they record in memory.
 *
 * @example
 * ```ts
 * const otel = otelHarness();
 * const telemetry = createTelemetry({ tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider });
 * ```
 */
export function otelHarness(): OtelHarness {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const collect = async () => (await reader.collect()).resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
  return {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    async durations() {
      const found = (await collect()).filter((m) => m.descriptor.name === 'db.client.operation.duration');
      return found.flatMap((m) =>
        m.dataPointType === DataPointType.HISTOGRAM
          ? m.dataPoints.map((p: DataPoint<Histogram>) => ({
              unit: m.descriptor.unit,
              attributes: { ...p.attributes },
              count: p.value.count,
              sum: p.value.sum ?? 0,
              boundaries: p.value.buckets.boundaries,
            }))
          : [],
      );
    },
    async metricNames() {
      return (await collect()).map((m) => m.descriptor.name);
    },
    registerGlobal() {
      trace.setGlobalTracerProvider(tracerProvider);
      metrics.setGlobalMeterProvider(meterProvider);
    },
    async shutdown() {
      trace.disable();
      metrics.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
