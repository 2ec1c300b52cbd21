// Context assembly as its own OpenTelemetry span, nested under the AI SDK's model-call span. The AI
// SDK makes its span active while the model (and so this middleware) runs when telemetry is on:
// ai@6 with `experimental_telemetry: { isEnabled: true }`, ai@7 with `@ai-sdk/otel` registered and
// the call not opted out. `@opentelemetry/api` is an optional peer: without it there are no spans.
import { ADAPTER_SPAN_KEY, type AssembleResult, type AssemblyTrace, isCtxError } from "@ctxstore/core";
import type { Tracer } from "@opentelemetry/api";

type OpenTelemetryApi = typeof import("@opentelemetry/api");

export interface TelemetryOptions {
  /**
   * `"auto"` (default): a span only when the model call runs inside a recording span: the AI SDK's
   * when its telemetry is on, or the application's own. `true`: whenever a tracer provider is
   * registered. `false`: never.
   */
  enabled?: "auto" | boolean;
  /** Tracer to use; default `trace.getTracer("@ctxstore/ai-sdk")` from the global provider. */
  tracer?: TracerLike;
}

/**
 * An OpenTelemetry `Tracer`, typed structurally so this package's types do not require
 * `@opentelemetry/api` to be installed.
 */
export interface TracerLike {
  startSpan(name: string, options?: unknown, context?: unknown): unknown;
}

export const SPAN_NAME = "ctxstore.assemble";

let api: OpenTelemetryApi | null | undefined;
let loading: Promise<OpenTelemetryApi | null> | undefined;

async function loadApi(): Promise<OpenTelemetryApi | null> {
  if (api !== undefined) return api;
  // An optional peer: bundlers must not try to resolve it at build time (absent is a valid setup).
  loading ??= import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "@opentelemetry/api").then(
    (module) => (api = module),
    () => (api = null),
  );
  return loading;
}

/** Runs `assemble` inside a `ctxstore.assemble` span when telemetry applies, otherwise as is. */
export async function traceAssembly(
  options: TelemetryOptions,
  attributes: Record<string, string | number>,
  assemble: () => Promise<AssembleResult>,
): Promise<AssembleResult> {
  const enabled = options.enabled ?? "auto";
  const otel = api === undefined ? await loadApi() : api;
  if (!otel) return assemble();
  const parent = otel.context.active();
  // This middleware decides whether the assembly gets a span; the key keeps core from adding its own.
  const traced = parent.setValue(otel.createContextKey(ADAPTER_SPAN_KEY), true);
  if (enabled === false || (enabled === "auto" && !otel.trace.getSpan(parent)?.isRecording()))
    return otel.context.with(traced, assemble);
  const tracer = (options.tracer as Tracer | undefined) ?? otel.trace.getTracer("@ctxstore/ai-sdk");
  const span = tracer.startSpan(SPAN_NAME, { kind: otel.SpanKind.INTERNAL, attributes }, parent);
  try {
    // Realtime resolvers and vector searches run inside the span, so their own spans nest under it.
    const inside = otel.trace.setSpan(traced, span);
    const result = await otel.context.with(inside, assemble);
    span.setAttributes(traceAttributes(result.trace));
    return result;
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: otel.SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
    if (isCtxError(error)) span.setAttribute("ctxstore.error.code", error.code);
    throw error;
  } finally {
    span.end();
  }
}

/** Span attributes for one assembly: totals, phases, and status/tokens/latency per source. */
export function traceAttributes(trace: AssemblyTrace): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {
    "ctxstore.trace.id": trace.id,
    "ctxstore.encoding": trace.encoding,
    "ctxstore.budget.max_tokens": trace.budget.maxTokens,
    "ctxstore.tokens": trace.totals.tokens,
    "ctxstore.sources.included": trace.totals.included,
    "ctxstore.sources.truncated": trace.totals.truncated,
    "ctxstore.sources.dropped": trace.totals.dropped,
    "ctxstore.sources.unavailable": trace.totals.unavailable,
    "ctxstore.phase.online_read_ms": trace.phases.onlineReadMs,
    "ctxstore.phase.realtime_ms": trace.phases.realtimeMs,
    "ctxstore.phase.vector_ms": trace.phases.vectorMs,
    "ctxstore.phase.pack_ms": trace.phases.packMs,
    "ctxstore.phase.total_ms": trace.phases.totalMs,
  };
  for (const source of trace.sources) {
    const prefix = `ctxstore.source.${source.source}`;
    attributes[`${prefix}.tier`] = source.tier;
    attributes[`${prefix}.status`] = source.status;
    attributes[`${prefix}.outcome`] = source.outcome;
    attributes[`${prefix}.tokens`] = source.tokens;
    attributes[`${prefix}.latency_ms`] = source.latencyMs;
    if (source.ageMs !== undefined) attributes[`${prefix}.age_ms`] = source.ageMs;
    if (source.reason !== undefined) attributes[`${prefix}.reason`] = source.reason;
  }
  if (trace.warnings.length > 0) attributes["ctxstore.warnings"] = trace.warnings.join("\n");
  return attributes;
}
