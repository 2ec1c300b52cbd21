// Whether an assembly is traced, and what the middleware adds to its span. The span itself is core's
// `ctxstore.assemble` (with its realtime and vector child spans and its per-source statuses): core
// opens it under the active span, which is the AI SDK's model-call span when the SDK's telemetry is
// on (ai@6 `experimental_telemetry: { isEnabled: true }`; ai@7 `@ai-sdk/otel` registered and the
// call not opted out). This module only adds what core cannot know (the call's operation and the
// context's placement), and tells core not to trace when the SDK does not. `@opentelemetry/api` is an
// optional peer: without it there are no spans.
import { ADAPTER_SPAN_KEY, ASSEMBLE_SPAN, ASSEMBLY_ATTRIBUTES_KEY } from "@ctxstore/core";

type OpenTelemetryApi = typeof import("@opentelemetry/api");

/**
 * The middleware's `telemetry` option: when core's `ctxstore.assemble` span is recorded for a model call.
 */
export interface TelemetryOptions {
  /**
   * `"auto"` (default): core's assembly span only when the model call runs inside a recording span:
   * the AI SDK's when its telemetry is on, or the application's own. `true`: whenever the store has
   * a tracer provider (core's `createContextStore({ telemetry })`, by default the global one).
   * `false`: never. Core's metrics are recorded in every case.
   */
  enabled?: "auto" | boolean;
}

/** The assembly span's name: core's `ASSEMBLE_SPAN`. */
export const SPAN_NAME = ASSEMBLE_SPAN;

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

/** Checks the middleware's `telemetry` option once, at construction. */
export function checkTelemetryOptions(
  telemetry: unknown,
  fail: (message: string) => never,
): TelemetryOptions {
  if (telemetry === undefined) return {};
  if (telemetry === null || typeof telemetry !== "object") fail("`telemetry` must be an object.");
  const { enabled, ...rest } = telemetry as TelemetryOptions & Record<string, unknown>;
  if (enabled !== undefined && enabled !== "auto" && typeof enabled !== "boolean") {
    fail(`\`telemetry.enabled\` must be "auto", true or false; got ${JSON.stringify(enabled)}.`);
  }
  if ("tracer" in rest) {
    fail(
      "`telemetry.tracer` is no longer read: the assembly span is core's. Give the store its tracer provider instead: createContextStore({ telemetry: { tracerProvider } }).",
    );
  }
  return enabled === undefined ? {} : { enabled };
}

/**
 * Runs `assemble` in a context that tells core what to trace: the middleware's `attributes` for
 * core's span when telemetry applies, or ADAPTER_SPAN_KEY (no span from core) when it does not.
 */
export async function traceAssembly<T>(
  options: TelemetryOptions,
  attributes: Record<string, string | number | boolean>,
  assemble: () => Promise<T>,
): Promise<T> {
  const enabled = options.enabled ?? "auto";
  const otel = api === undefined ? await loadApi() : api;
  if (!otel) return assemble();
  const parent = otel.context.active();
  const traced =
    enabled === true || (enabled === "auto" && otel.trace.getSpan(parent)?.isRecording() === true);
  const marked = traced
    ? parent.setValue(otel.createContextKey(ASSEMBLY_ATTRIBUTES_KEY), attributes)
    : parent.setValue(otel.createContextKey(ADAPTER_SPAN_KEY), true);
  return otel.context.with(marked, assemble);
}
