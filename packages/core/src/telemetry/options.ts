// What an application configures about telemetry (`createContextStore({ telemetry })`). Typed
// structurally so core's types do not need `@opentelemetry/api` installed.

/**
 * An OpenTelemetry `TracerProvider` / `MeterProvider`.
 */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): unknown;
}
export interface MeterProviderLike {
  getMeter(name: string, version?: string): unknown;
}

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
