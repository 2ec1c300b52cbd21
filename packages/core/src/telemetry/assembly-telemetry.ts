// OpenTelemetry spans and metrics for one assembly. `context/assemble.ts` asks `beginAssembly` for an
// instrumentation; it gets none (and so does nothing more) when the API is not installed, telemetry is
// off, or no tracer and no meter provider is registered. Otherwise:
//   - one `ctxstore.assemble` span (request shape at start, totals at the end, one `ctxstore.source`
//     event per source), with a child span per realtime lookup and per vector search (a GenAI
//     `retrieval`), each made the active span while the lookup runs so the caller's own spans nest;
//   - the metric points of docs/observability.md (instruments.ts).
// Values and query text are recorded only with `recordValues` / `recordQuery`. Telemetry never throws
// into the request path: a failing tracer, span processor or meter is reported once and ignored.
import type { Attributes, Context, Span, Tracer } from "@opentelemetry/api";
import type { AnySource } from "../definitions/source.js";
import { isCtxError } from "../errors.js";
import type { Resolution } from "../resolve/resolution.js";
import type { AssemblyTrace, SourceTrace } from "../trace/types.js";
import { type CoreInstruments, coreInstruments, dropReasonOf } from "./instruments.js";
import type { MeterProviderLike, TelemetryOptions, TracerProviderLike } from "./options.js";
import { isNoopProvider, loadedOpenTelemetry, type OpenTelemetryApi } from "./otel-api.js";
import { reportTelemetryFailure } from "./report.js";

/**
 * The OpenTelemetry context key (`createContextKey`, a `Symbol.for` name, so it is the same across
 * copies of the API) by which an adapter says "no span for this assembly" (e.g. the AI SDK
 * middleware when the SDK's own telemetry is off for the call): set (to any value) around
 * `assemble`, core records metrics but opens no spans for it.
 */
export const ADAPTER_SPAN_KEY = "ctxstore.adapter.assembly-span";

/**
 * The OpenTelemetry context key by which an adapter adds what only it knows (the framework call's
 * operation, where the context goes in the prompt) to core's `ctxstore.assemble` span: set it to a
 * record of string, number or boolean attributes around `assemble`. Core's own attributes win on a
 * clash; other values are ignored.
 */
export const ASSEMBLY_ATTRIBUTES_KEY = "ctxstore.adapter.assembly-attributes";

/** Name of the span each `assemble` records (one per assembly). */
export const ASSEMBLE_SPAN = "ctxstore.assemble";
/** Name of the child span of `ctxstore.assemble` recorded for each realtime lookup. */
export const REALTIME_SPAN = "ctxstore.realtime";
const SCOPE = "@ctxstore/core";
const MAX_VALUE_CHARS = 2_048;

/** What assemble.ts calls while an assembly runs; every method is safe (never throws). */
export interface AssemblyInstrumentation {
  /** Runs the lookup phases with the assemble span active. */
  within<T>(run: () => Promise<T>): Promise<T>;
  /** Wraps one realtime lookup or vector search in its child span. */
  readonly lookup: LookupInstrument | undefined;
  /** The online store's one round trip for this assembly. */
  onlineRead(store: string, outcome: "ok" | "error" | "timeout"): void;
  succeeded(trace: AssemblyTrace, values: Readonly<Record<string, { readonly value?: unknown }>>): void;
  failed(error: unknown, durationMs: number): void;
}

export type LookupInstrument = (source: AnySource, run: () => Promise<Resolution>) => Promise<Resolution>;

interface Resolved {
  readonly api: OpenTelemetryApi;
  readonly tracer: Tracer | undefined;
  readonly instruments: CoreInstruments | undefined;
}

/** The telemetry of one context store: caches tracer and instruments per provider. */
export function assemblyTelemetry(options: TelemetryOptions | undefined) {
  let tracerFor: object | undefined;
  let tracer: Tracer | undefined;
  let meterFor: object | undefined;
  let instruments: CoreInstruments | undefined;

  function resolve(): Resolved | undefined {
    if (options?.enabled === false) return undefined;
    const api = loadedOpenTelemetry();
    if (!api) return undefined;
    const tracerProvider = (options?.tracerProvider ?? api.trace.getTracerProvider()) as object;
    // The global provider is a proxy whose delegate changes when an SDK registers: key on the delegate,
    // so a store that assembled before `sdk.start()` is traced after it.
    const delegate = (tracerProvider as { getDelegate?: () => object }).getDelegate?.() ?? tracerProvider;
    if (delegate !== tracerFor) {
      tracerFor = delegate;
      tracer = isNoopProvider(delegate)
        ? undefined
        : ((tracerProvider as TracerProviderLike).getTracer(SCOPE) as Tracer);
    }
    const meterProvider = (options?.meterProvider ?? api.metrics.getMeterProvider()) as object;
    if (meterProvider !== meterFor) {
      meterFor = meterProvider;
      instruments = isNoopProvider(meterProvider)
        ? undefined
        : coreInstruments(
            (meterProvider as MeterProviderLike).getMeter(SCOPE) as never,
            reportTelemetryFailure,
          );
    }
    if (!tracer && !instruments) return undefined;
    return { api, tracer, instruments };
  }

  return {
    /** An instrumentation for one assembly, or undefined when there is nothing to record. */
    begin(request: {
      readonly sources: readonly AnySource[];
      readonly entities: readonly string[];
      readonly maxTokens: number;
      readonly deadlineMs: number;
      readonly query: string | undefined;
      readonly encoding: string;
    }): AssemblyInstrumentation | undefined {
      let resolved: Resolved | undefined;
      try {
        resolved = resolve();
      } catch (error) {
        reportTelemetryFailure(error);
        return undefined;
      }
      if (!resolved) return undefined;
      return instrumentation(resolved, request, options ?? {});
    },
  };
}

function instrumentation(
  { api, tracer, instruments }: Resolved,
  request: Parameters<ReturnType<typeof assemblyTelemetry>["begin"]>[0],
  options: TelemetryOptions,
): AssemblyInstrumentation {
  const parent = api.context.active();
  // An adapter that decides this assembly is not traced (@ctxstore/ai-sdk when the SDK's telemetry is
  // off for the call) marks the context with ADAPTER_SPAN_KEY: core then opens no spans for it;
  // metrics are still recorded.
  const adapterTraces = parent.getValue(api.createContextKey(ADAPTER_SPAN_KEY)) !== undefined;
  const span = safely(() => {
    if (!tracer || adapterTraces) return undefined;
    const attributes: Attributes = {
      ...adapterAttributes(parent.getValue(api.createContextKey(ASSEMBLY_ATTRIBUTES_KEY))),
      "ctxstore.sources.requested": request.sources.length,
      "ctxstore.entities": [...request.entities],
      "ctxstore.budget.max_tokens": request.maxTokens,
      "ctxstore.deadline_ms": request.deadlineMs,
      "ctxstore.encoding": request.encoding,
      "ctxstore.query.present": request.query !== undefined,
    };
    if (options.recordQuery && request.query !== undefined) attributes["ctxstore.query"] = request.query;
    return tracer.startSpan(ASSEMBLE_SPAN, { kind: api.SpanKind.INTERNAL, attributes }, parent);
  });
  const recording = span?.isRecording() === true ? span : undefined;
  const active: Context = recording ? api.trace.setSpan(parent, recording) : parent;

  const lookup: LookupInstrument | undefined =
    tracer && recording
      ? async (source, run) => {
          const child = safely(() => startLookupSpan(api, tracer, active, source, request.query, options));
          if (!child) return run();
          let resolution: Resolution;
          try {
            resolution = await api.context.with(api.trace.setSpan(active, child), run);
          } catch (error) {
            safely(() => child.end());
            throw error;
          }
          safely(() => {
            child.setAttributes(resolutionAttributes(resolution, options));
            if (resolution.status === "error" || resolution.status === "timeout") {
              child.setAttribute("error.type", resolution.status);
              child.setStatus({
                code: api.SpanStatusCode.ERROR,
                message: resolution.reason ?? resolution.status,
              });
            }
            child.end();
          });
          return resolution;
        }
      : undefined;

  return {
    within: (run) => (recording ? api.context.with(active, run) : run()),
    lookup,
    onlineRead(store, outcome) {
      safely(() => {
        if (!instruments) return;
        instruments.roundTrips.add(store, 1, () => ({
          "ctxstore.store": store,
          "ctxstore.operation": "read",
        }));
        if (outcome !== "ok")
          instruments.storeErrors.add(`${store}\u0000${outcome}`, 1, () => ({
            "ctxstore.store": store,
            "ctxstore.operation": "read",
            "error.type": outcome,
          }));
      });
    },
    succeeded(trace, values) {
      safely(() => instruments && recordMetrics(instruments, trace));
      safely(() => {
        if (!recording) return;
        // Every source in parallel arrays (cheap: one attribute each); an event, with the reason,
        // only for a source that is not a fact or did not make it whole into the prompt (or for all
        // of them when values are recorded).
        const names: string[] = [];
        const statuses: string[] = [];
        const outcomes: string[] = [];
        const tokens: number[] = [];
        for (const source of trace.sources) {
          names.push(source.source);
          statuses.push(source.status);
          outcomes.push(source.outcome);
          tokens.push(source.tokens);
          const notable =
            (source.status !== "ok" && source.status !== "empty") || source.outcome !== "included";
          if (notable || options.recordValues)
            recording.addEvent("ctxstore.source", sourceEventAttributes(source, values, options));
        }
        recording.setAttributes({
          "ctxstore.sources.names": names,
          "ctxstore.sources.statuses": statuses,
          "ctxstore.sources.outcomes": outcomes,
          "ctxstore.sources.tokens": tokens,
          "ctxstore.trace.id": trace.id,
          "ctxstore.tokens": trace.totals.tokens,
          "ctxstore.sources.included": trace.totals.included,
          "ctxstore.sources.truncated": trace.totals.truncated,
          "ctxstore.sources.dropped": trace.totals.dropped,
          "ctxstore.sources.unavailable": trace.totals.unavailable,
          // Realtime and vector phases have their own child spans; the rest is in the trace.
          "ctxstore.phase.online_read_ms": trace.phases.onlineReadMs,
          "ctxstore.phase.pack_ms": trace.phases.packMs,
        });
        if (trace.totals.tokenizerCalls > 0)
          recording.setAttribute("ctxstore.tokenizer_calls", trace.totals.tokenizerCalls);
        if (trace.warnings.length > 0) recording.setAttribute("ctxstore.warnings", trace.warnings.length);
        recording.end();
      });
    },
    failed(error, durationMs) {
      const code = isCtxError(error) ? error.code : error instanceof Error ? error.name : "unknown";
      safely(() =>
        instruments?.deferred.record(instruments.duration, durationMs / 1000, {
          "ctxstore.outcome": "error",
          "error.type": code,
        }),
      );
      safely(() => {
        if (!span) return;
        // The message of a CtxError names sources and statuses, never values.
        span.recordException(error instanceof Error ? error : String(error));
        span.setAttribute("error.type", code);
        span.setStatus({
          code: api.SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
        span.end();
      });
    },
  };
}

/** The primitive attributes of an adapter's record (see ASSEMBLY_ATTRIBUTES_KEY); anything else is dropped. */
function adapterAttributes(value: unknown): Attributes {
  const attributes: Attributes = {};
  if (value === null || typeof value !== "object") return attributes;
  for (const [name, attribute] of Object.entries(value)) {
    if (typeof attribute === "string" || typeof attribute === "boolean") attributes[name] = attribute;
    else if (typeof attribute === "number" && Number.isFinite(attribute)) attributes[name] = attribute;
  }
  return attributes;
}

function startLookupSpan(
  api: OpenTelemetryApi,
  tracer: Tracer,
  parent: Context,
  source: AnySource,
  query: string | undefined,
  options: TelemetryOptions,
): Span {
  if (source.tier === "vector") {
    const attributes: Attributes = {
      "gen_ai.operation.name": "retrieval",
      "gen_ai.data_source.id": source.name,
      "gen_ai.retrieval.top_k": source.topK,
      "ctxstore.source.name": source.name,
      "ctxstore.source.tier": source.tier,
      "ctxstore.vector_store": source.store.name,
    };
    if (options.recordQuery && query !== undefined) attributes["gen_ai.retrieval.query.text"] = query;
    return tracer.startSpan(`retrieval ${source.name}`, { kind: api.SpanKind.CLIENT, attributes }, parent);
  }
  return tracer.startSpan(
    REALTIME_SPAN,
    {
      kind: api.SpanKind.INTERNAL,
      attributes: { "ctxstore.source.name": source.name, "ctxstore.source.tier": source.tier },
    },
    parent,
  );
}

function resolutionAttributes(resolution: Resolution, options: TelemetryOptions): Attributes {
  const attributes: Attributes = {
    "ctxstore.source.status": resolution.status,
    "ctxstore.source.latency_ms": resolution.latencyMs,
  };
  if (resolution.reason !== undefined) attributes["ctxstore.source.reason"] = resolution.reason;
  if (resolution.scores !== undefined) {
    attributes["ctxstore.retrieval.hits"] = resolution.scores.length;
    attributes["ctxstore.retrieval.scores"] = [...resolution.scores];
  }
  if (resolution.shared) attributes["ctxstore.source.shared"] = true;
  if (options.recordValues && resolution.value !== undefined)
    attributes["ctxstore.source.value"] = valueText(resolution.value);
  return attributes;
}

function sourceEventAttributes(
  source: SourceTrace,
  values: Readonly<Record<string, { readonly value?: unknown }>>,
  options: TelemetryOptions,
): Attributes {
  const attributes: Attributes = {
    "ctxstore.source.name": source.source,
    "ctxstore.source.tier": source.tier,
    "ctxstore.source.status": source.status,
    "ctxstore.source.outcome": source.outcome,
    "ctxstore.source.tokens": source.tokens,
    "ctxstore.source.latency_ms": source.latencyMs,
  };
  if (source.ageMs !== undefined) attributes["ctxstore.source.age_ms"] = source.ageMs;
  if (source.reason !== undefined) attributes["ctxstore.source.reason"] = source.reason;
  if (source.outcomeReason !== undefined) attributes["ctxstore.source.outcome_reason"] = source.outcomeReason;
  const value = values[source.source]?.value;
  if (options.recordValues && value !== undefined) attributes["ctxstore.source.value"] = valueText(value);
  return attributes;
}

function recordMetrics(instruments: CoreInstruments, trace: AssemblyTrace): void {
  const { deferred } = instruments;
  deferred.record(instruments.duration, trace.phases.totalMs / 1000, OK_OUTCOME);
  let batchTokens = 0;
  let streamTokens = 0;
  let realtimeTokens = 0;
  let vectorTokens = 0;
  for (const source of trace.sources) {
    const name = source.source;
    const tier = source.tier;
    instruments.resolutions.add(`${name}\u0000${tier}\u0000${source.status}`, 1, () => ({
      "ctxstore.source": name,
      "ctxstore.tier": tier,
      "ctxstore.status": source.status,
    }));
    if (source.ageMs !== undefined)
      deferred.record(instruments.valueAge, source.ageMs / 1000, {
        "ctxstore.source": name,
        "ctxstore.tier": tier,
      });
    if (source.outcome === "included" || source.outcome === "truncated") {
      if (tier === "batch") batchTokens += source.tokens;
      else if (tier === "stream") streamTokens += source.tokens;
      else if (tier === "realtime") realtimeTokens += source.tokens;
      else vectorTokens += source.tokens;
    }
    if (source.outcome === "dropped" || source.outcome === "truncated") {
      const reason = dropReasonOf(source.outcomeReason);
      instruments.packedItems.add(`${name}\u0000${source.outcome}\u0000${reason}`, 1, () => ({
        "ctxstore.source": name,
        "ctxstore.tier": tier,
        "ctxstore.outcome": source.outcome,
        "ctxstore.reason": reason,
      }));
    }
  }
  const tokens = instruments.packedTokens;
  if (batchTokens > 0) tokens.add("batch", batchTokens, () => ({ "ctxstore.tier": "batch" }));
  if (streamTokens > 0) tokens.add("stream", streamTokens, () => ({ "ctxstore.tier": "stream" }));
  if (realtimeTokens > 0) tokens.add("realtime", realtimeTokens, () => ({ "ctxstore.tier": "realtime" }));
  if (vectorTokens > 0) tokens.add("vector", vectorTokens, () => ({ "ctxstore.tier": "vector" }));
}

const OK_OUTCOME = { "ctxstore.outcome": "ok" } as const;

function valueText(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

function safely<T>(work: () => T): T | undefined {
  try {
    return work();
  } catch (error) {
    reportTelemetryFailure(error);
    return undefined;
  }
}
