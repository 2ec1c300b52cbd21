// What an application configures about telemetry (`createContextStore({ telemetry })`). Typed
// structurally so core's types do not need `@opentelemetry/api` installed.

/** An OpenTelemetry `TracerProvider` (the SDK's, or `trace.getTracerProvider()`), typed structurally. */
export interface TracerProviderLike {
  /** The tracer core records its spans with (scope `@ctxstore/core`). */
  getTracer(name: string, version?: string): unknown;
}
/** An OpenTelemetry `MeterProvider` (the SDK's, or `metrics.getMeterProvider()`), typed structurally. */
export interface MeterProviderLike {
  /** The meter core registers its counters, histograms and gauges with. */
  getMeter(name: string, version?: string): unknown;
}

/**
 * The `telemetry` option of `createContextStore`: whether to record, which providers, and whether
 * value and query text may go on spans (off by default: values are often personal data).
 */
export interface TelemetryOptions {
  /** Default true: spans and metrics whenever `@opentelemetry/api` is installed and a provider registered. */
  enabled?: boolean;
  /** Default: the global tracer provider (`trace.setGlobalTracerProvider`, the Node SDK's `start()`). */
  tracerProvider?: TracerProviderLike;
  /** Default: the global meter provider. */
  meterProvider?: MeterProviderLike;
  /** Record each source's value (JSON, at most 2,048 characters) on its span/event. Default false. */
  recordValues?: boolean;
  /** Record the request's query text (`ctxstore.query`, `gen_ai.retrieval.query.text`). Default false. */
  recordQuery?: boolean;
}
