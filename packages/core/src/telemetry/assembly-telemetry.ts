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
import type { AnySource, Tier } from "../definitions/source.js";
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

/** The adapters' context keys, made once (`createContextKey` is a `Symbol.for` lookup per call). */
interface ContextKeys {
  readonly adapterSpan: symbol;
  readonly assemblyAttributes: symbol;
}

/** What assemble.ts says about the request when it begins an assembly. */
interface AssemblyRequest {
  readonly sources: readonly AnySource[];
  readonly entities: readonly string[];
  readonly maxTokens: number;
  readonly deadlineMs: number;
  readonly query: string | undefined;
  readonly encoding: string;
}

interface Resolved {
  readonly api: OpenTelemetryApi;
  readonly keys: ContextKeys;
  readonly tracer: Tracer | undefined;
  readonly instruments: CoreInstruments | undefined;
}

/** The telemetry of one context store: caches tracer and instruments per provider. */
export function assemblyTelemetry(options: TelemetryOptions | undefined) {
  let tracerFor: object | undefined;
  let tracer: Tracer | undefined;
  let meterFor: object | undefined;
  let instruments: CoreInstruments | undefined;
  let keys: ContextKeys | undefined;

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
    keys ??= {
      adapterSpan: api.createContextKey(ADAPTER_SPAN_KEY),
      assemblyAttributes: api.createContextKey(ASSEMBLY_ATTRIBUTES_KEY),
    };
    return { api, keys, tracer, instruments };
  }

  return {
    /** An instrumentation for one assembly, or undefined when there is nothing to record. */
    begin(request: AssemblyRequest): AssemblyInstrumentation | undefined {
      let resolved: Resolved | undefined;
      try {
        resolved = resolve();
      } catch (error) {
        reportTelemetryFailure(error);
        return undefined;
      }
      if (!resolved) return undefined;
      return new AssemblyRun(resolved, request, options ?? {});
    },
  };
}

/**
 * One assembly's spans and points. A class, not a bag of closures: it is made per assembly, and the
 * methods live once on the prototype.
 */
class AssemblyRun implements AssemblyInstrumentation {
  private readonly api: OpenTelemetryApi;
  private readonly tracer: Tracer | undefined;
  private readonly instruments: CoreInstruments | undefined;
  private readonly span: Span | undefined;
  /** The span when it records (a sampler may hand out a non-recording one). */
  private readonly recording: Span | undefined;
  private readonly active: Context;
  private readonly fromAdapter: unknown;
  readonly lookup: LookupInstrument | undefined;

  constructor(
    { api, keys, tracer, instruments }: Resolved,
    private readonly request: AssemblyRequest,
    private readonly options: TelemetryOptions,
  ) {
    this.api = api;
    this.tracer = tracer;
    this.instruments = instruments;
    const parent = api.context.active();
    // An adapter that decides this assembly is not traced (@ctxstore/ai-sdk when the SDK's telemetry
    // is off for the call) marks the context with ADAPTER_SPAN_KEY: core then opens no spans for it;
    // metrics are still recorded.
    const adapterTraces = parent.getValue(keys.adapterSpan) !== undefined;
    // The span starts bare; the request shape is set when it ends, with the totals, in one
    // `setAttributes` (the SDK sanitizes start attributes twice and copies them: bench/telemetry.ts).
    // So a head sampler does not see the `ctxstore.*` request attributes (docs/observability.md).
    this.span =
      tracer && !adapterTraces
        ? safely(() => tracer.startSpan(ASSEMBLE_SPAN, { kind: api.SpanKind.INTERNAL }, parent))
        : undefined;
    this.recording = this.span?.isRecording() === true ? this.span : undefined;
    this.active = this.recording ? api.trace.setSpan(parent, this.recording) : parent;
    this.fromAdapter = this.recording ? parent.getValue(keys.assemblyAttributes) : undefined;
    this.lookup = this.recording ? (source, run) => this.traceLookup(source, run) : undefined;
  }

  within<T>(run: () => Promise<T>): Promise<T> {
    return this.recording ? this.api.context.with(this.active, run) : run();
  }

  private traceLookup(source: AnySource, run: () => Promise<Resolution>): Promise<Resolution> {
    const { api, tracer, active, options } = this;
    const child = safely(() =>
      startLookupSpan(api, tracer as Tracer, active, source, this.request.query, options),
    );
    if (!child) return run();
    const ended = (error: unknown): never => {
      safely(() => child.end());
      throw error;
    };
    let running: Promise<Resolution>;
    try {
      running = api.context.with(api.trace.setSpan(active, child), run);
    } catch (error) {
      return ended(error);
    }
    return running.then((resolution) => {
      try {
        endLookupSpan(api, child, resolution, options);
      } catch (error) {
        reportTelemetryFailure(error);
      }
      return resolution;
    }, ended);
  }

  onlineRead(store: string, outcome: "ok" | "error" | "timeout"): void {
    const instruments = this.instruments;
    if (!instruments) return;
    try {
      instruments.roundTrips.add(store, 1, readAttributes);
      if (outcome !== "ok")
        instruments.storeErrors.add(`${store}\u0000${outcome}`, 1, () => ({
          ...readAttributes(store),
          "error.type": outcome,
        }));
    } catch (error) {
      reportTelemetryFailure(error);
    }
  }

  succeeded(trace: AssemblyTrace, values: Readonly<Record<string, { readonly value?: unknown }>>): void {
    if (this.instruments) {
      try {
        recordMetrics(this.instruments, trace);
      } catch (error) {
        reportTelemetryFailure(error);
      }
    }
    const recording = this.recording;
    if (!recording) return;
    try {
      // Every source in parallel arrays (cheap: one attribute each); an event, with the reason,
      // only for a source that is not a fact or did not make it whole into the prompt (or for all
      // of them when values are recorded).
      const count = trace.sources.length;
      const names = new Array<string>(count);
      const statuses = new Array<string>(count);
      const outcomes = new Array<string>(count);
      const tokens = new Array<number>(count);
      for (let index = 0; index < count; index++) {
        const source = trace.sources[index] as SourceTrace;
        names[index] = source.source;
        statuses[index] = source.status;
        outcomes[index] = source.outcome;
        tokens[index] = source.tokens;
        const notable =
          (source.status !== "ok" && source.status !== "empty") || source.outcome !== "included";
        if (notable || this.options.recordValues)
          recording.addEvent("ctxstore.source", sourceEventAttributes(source, values, this.options));
      }
      const attributes = this.requestAttributes();
      attributes["ctxstore.sources.names"] = names;
      attributes["ctxstore.sources.statuses"] = statuses;
      attributes["ctxstore.sources.outcomes"] = outcomes;
      attributes["ctxstore.sources.tokens"] = tokens;
      attributes["ctxstore.trace.id"] = trace.id;
      attributes["ctxstore.tokens"] = trace.totals.tokens;
      attributes["ctxstore.sources.included"] = trace.totals.included;
      attributes["ctxstore.sources.truncated"] = trace.totals.truncated;
      attributes["ctxstore.sources.dropped"] = trace.totals.dropped;
      attributes["ctxstore.sources.unavailable"] = trace.totals.unavailable;
      // Realtime and vector phases have their own child spans; the rest is in the trace.
      attributes["ctxstore.phase.online_read_ms"] = trace.phases.onlineReadMs;
      attributes["ctxstore.phase.pack_ms"] = trace.phases.packMs;
      if (trace.totals.tokenizerCalls > 0)
        attributes["ctxstore.tokenizer_calls"] = trace.totals.tokenizerCalls;
      if (trace.warnings.length > 0) attributes["ctxstore.warnings"] = trace.warnings.length;
      recording.setAttributes(attributes);
      recording.end();
    } catch (error) {
      reportTelemetryFailure(error);
    }
  }

  failed(error: unknown, durationMs: number): void {
    const { api, instruments, span } = this;
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
      const attributes = this.requestAttributes();
      attributes["error.type"] = code;
      span.setAttributes(attributes);
      span.setStatus({
        code: api.SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      span.end();
    });
  }

  /**
   * The request shape, the query text when opted in, and an adapter's attributes (core's own win on
   * a clash: an adapter's are added only under names not set yet, and the totals are assigned after).
   */
  private requestAttributes(): Attributes {
    const { request } = this;
    const attributes: Attributes = {
      "ctxstore.sources.requested": request.sources.length,
      "ctxstore.entities": request.entities as string[],
      "ctxstore.budget.max_tokens": request.maxTokens,
      "ctxstore.deadline_ms": request.deadlineMs,
      "ctxstore.encoding": request.encoding,
      "ctxstore.query.present": request.query !== undefined,
    };
    if (this.options.recordQuery && request.query !== undefined) attributes["ctxstore.query"] = request.query;
    if (this.fromAdapter !== undefined) addAdapterAttributes(attributes, this.fromAdapter);
    return attributes;
  }
}

/**
 * Adds the primitive attributes of an adapter's record (see ASSEMBLY_ATTRIBUTES_KEY) that core has not
 * set itself (core's win on a clash); anything else is dropped.
 */
function addAdapterAttributes(attributes: Attributes, value: unknown): void {
  if (value === null || typeof value !== "object") return;
  for (const [name, attribute] of Object.entries(value)) {
    if (name in attributes) continue;
    if (typeof attribute === "string" || typeof attribute === "boolean") attributes[name] = attribute;
    else if (typeof attribute === "number" && Number.isFinite(attribute)) attributes[name] = attribute;
  }
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

function endLookupSpan(
  api: OpenTelemetryApi,
  child: Span,
  resolution: Resolution,
  options: TelemetryOptions,
): void {
  const attributes = resolutionAttributes(resolution, options);
  if (resolution.status === "error" || resolution.status === "timeout") {
    attributes["error.type"] = resolution.status;
    child.setStatus({ code: api.SpanStatusCode.ERROR, message: resolution.reason ?? resolution.status });
  }
  child.setAttributes(attributes);
  child.end();
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
  const { deferred, sources, valueAge } = instruments;
  deferred.record(instruments.duration, trace.phases.totalMs / 1000, OK_OUTCOME);
  let batchTokens = 0;
  let streamTokens = 0;
  let realtimeTokens = 0;
  let vectorTokens = 0;
  for (const source of trace.sources) {
    const tier = source.tier;
    const cells = sources.get(source.source, tier);
    cells.resolved(source.status);
    if (source.ageMs !== undefined) deferred.record(valueAge, source.ageMs / 1000, cells.ageAttributes);
    const outcome = source.outcome;
    if (outcome === "included" || outcome === "truncated") {
      if (tier === "batch") batchTokens += source.tokens;
      else if (tier === "stream") streamTokens += source.tokens;
      else if (tier === "realtime") realtimeTokens += source.tokens;
      else vectorTokens += source.tokens;
    }
    if (outcome === "dropped" || outcome === "truncated")
      cells.packed(outcome, dropReasonOf(source.outcomeReason));
  }
  const tokens = instruments.packedTokens;
  if (batchTokens > 0) tokens.add("batch", batchTokens, tierAttributes);
  if (streamTokens > 0) tokens.add("stream", streamTokens, tierAttributes);
  if (realtimeTokens > 0) tokens.add("realtime", realtimeTokens, tierAttributes);
  if (vectorTokens > 0) tokens.add("vector", vectorTokens, tierAttributes);
}

const tierAttributes = (tier: Tier): Attributes => ({ "ctxstore.tier": tier });
const readAttributes = (store: string): Attributes => ({
  "ctxstore.store": store,
  "ctxstore.operation": "read",
});

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
