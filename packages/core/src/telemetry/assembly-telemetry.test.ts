// Pins core's OpenTelemetry output with the real SDKs and in-memory exporters: the span tree and its
// attributes for a request with ok, stale, timeout, empty and dropped sources; exact metric points
// after a known sequence of requests; no value or query text unless opted in; a throwing span
// processor or meter never reaching the request.
import { context, createContextKey, type Span, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { clock, keys, NOW, profile, realtimeSource, session, user } from "../context/assemble.fixtures.js";
import {
  ADAPTER_SPAN_KEY,
  ASSEMBLY_ATTRIBUTES_KEY,
  batch,
  createContextStore,
  empty,
  localEmbedder,
  memoryStore,
  memoryVectorStore,
  type OnlineStore,
  type TelemetryOptions,
  vector,
} from "../index.js";
import { resetTelemetryFailureReport } from "./report.js";
import { TestReader } from "./test-reader.fixtures.js";

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

function telemetrySetup(processors: SpanProcessor[] = []) {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter), ...processors],
  });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return { exporter, tracerProvider, reader, meterProvider };
}

async function points(reader: MetricReader, name: string): Promise<DataPoint<unknown>[]> {
  // Histogram points are recorded on the next turn of the event loop (off the request path).
  await new Promise((resolve) => setImmediate(resolve));
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return metricsNamed(resourceMetrics, name);
}

function metricsNamed(metrics: ResourceMetrics, name: string): DataPoint<unknown>[] {
  return metrics.scopeMetrics.flatMap((scope) =>
    scope.metrics
      .filter((metric) => metric.descriptor.name === name)
      .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[]),
  );
}

function pointFor(list: DataPoint<unknown>[], attributes: Record<string, unknown>) {
  return list.filter((point) =>
    Object.entries(attributes).every(([name, v]) => point.attributes[name] === v),
  );
}

const SECRET = "SECRET-VALUE-7f3a";
const QUERY = "where is my refund SECRET-QUERY";
const embedder = localEmbedder({ dimensions: 64 });

async function scenario(telemetry: TelemetryOptions, online: OnlineStore = memoryStore()) {
  const prefs = batch("prefs", {
    entity: user,
    schema: z.object({ note: z.string() }),
    maxAge: "2d",
    section: "User profile",
    priority: 80,
    render: (value) => value.note,
  });
  const notes = batch("notes", {
    entity: user,
    schema: z.object({ text: z.string() }),
    section: "Notes",
    priority: 1,
    render: (value) => value.text,
  });
  const inventory = realtimeSource("inventory", () => new Promise(() => {}), { timeout: "30ms" });
  const loyalty = realtimeSource("loyalty", () => {
    // The caller's own span inside a resolver nests under ctxstore's span for the lookup.
    trace.getTracer("app").startSpan("loyalty-http").end();
    return empty("not enrolled");
  });
  const store = memoryVectorStore({ dimensions: 64 });
  const [articleVector] = await embedder.embed(["refund returns within 60 days"]);
  await store.upsert([
    {
      id: "a#0",
      documentId: "a",
      chunkIndex: 0,
      vector: articleVector as number[],
      text: `Refunds ${SECRET}.`,
    },
  ]);
  const kb = vector("kb", { store, embedder, topK: 3, section: "Articles", priority: 40 });
  const ctx = createContextStore({
    sources: [profile, prefs, notes, inventory, loyalty, kb],
    entities: [user, session],
    online,
    now: clock,
    deadline: "300ms",
    // A section held at 0 tokens: its source is dropped (with the reason), whatever the budget.
    sections: [{ title: "Notes", maxTokens: 0 }],
    telemetry,
  });
  await ctx.ready();
  await ctx.write(
    profile,
    keys.user,
    { summary: `Likes trail shoes ${SECRET}` },
    { eventTime: NOW - 3_600_000 },
  );
  await ctx.write(prefs, keys.user, { note: `size 44 ${SECRET}` }, { eventTime: NOW - 3 * 86_400_000 });
  await ctx.write(notes, keys.user, { text: `${"lorem ipsum dolor sit amet ".repeat(400)}${SECRET}` });
  return ctx;
}

beforeEach(() => resetTelemetryFailureReport());

describe("spans", () => {
  it("one ctxstore.assemble span with a child per realtime lookup and vector search, statuses and totals", async () => {
    const setup = telemetrySetup();
    // The app's resolver span uses the global provider: register the same one for this test.
    trace.setGlobalTracerProvider(setup.tracerProvider);
    try {
      const ctx = await scenario({
        tracerProvider: setup.tracerProvider,
        meterProvider: setup.meterProvider,
      });
      const result = await ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } });
      const statuses = Object.fromEntries(result.trace.sources.map((s) => [s.source, [s.status, s.outcome]]));
      expect(statuses).toEqual({
        profile: ["ok", "included"],
        // Not facts: rendered as explicit "unknown" notes (the default policy), never as absence.
        prefs: ["stale", "included"],
        notes: ["ok", "dropped"],
        inventory: ["timeout", "included"],
        loyalty: ["empty", "included"],
        kb: ["ok", "included"],
      });
      const spans = setup.exporter.getFinishedSpans();
      const root = spans.find((span) => span.name === "ctxstore.assemble") as ReadableSpan;
      expect(root).toBeDefined();
      expect(root.parentSpanContext).toBeUndefined();
      expect(root.attributes).toMatchObject({
        "ctxstore.sources.requested": 6,
        "ctxstore.entities": ["user", "session"],
        "ctxstore.budget.max_tokens": 120,
        "ctxstore.deadline_ms": 300,
        "ctxstore.query.present": true,
        "ctxstore.trace.id": result.trace.id,
        "ctxstore.tokens": result.tokens,
        "ctxstore.sources.dropped": 1,
        "ctxstore.sources.unavailable": 2,
      });
      const events = Object.fromEntries(
        root.events.map((event) => [event.attributes?.["ctxstore.source.name"], event.attributes]),
      );
      // An event (with the reason) for each source that is not a fact or not wholly in the prompt...
      expect(Object.keys(events).sort()).toEqual(["inventory", "notes", "prefs"]);
      // ...and every source in parallel arrays.
      expect(root.attributes["ctxstore.sources.names"]).toEqual([
        "profile",
        "prefs",
        "notes",
        "inventory",
        "loyalty",
        "kb",
      ]);
      expect(root.attributes["ctxstore.sources.statuses"]).toEqual([
        "ok",
        "stale",
        "ok",
        "timeout",
        "empty",
        "ok",
      ]);
      expect(root.attributes["ctxstore.sources.outcomes"]).toEqual([
        "included",
        "included",
        "dropped",
        "included",
        "included",
        "included",
      ]);
      expect(events.prefs).toMatchObject({
        "ctxstore.source.status": "stale",
        "ctxstore.source.tier": "batch",
      });
      expect(events.prefs?.["ctxstore.source.age_ms"]).toBe(3 * 86_400_000);
      expect(events.notes).toMatchObject({ "ctxstore.source.outcome": "dropped" });

      const children = spans.filter((span) => span.parentSpanContext?.spanId === root.spanContext().spanId);
      expect(children.map((span) => span.name).sort()).toEqual([
        "ctxstore.realtime",
        "ctxstore.realtime",
        "retrieval kb",
      ]);
      const retrieval = children.find((span) => span.name === "retrieval kb") as ReadableSpan;
      expect(retrieval.attributes).toMatchObject({
        "gen_ai.operation.name": "retrieval",
        "gen_ai.data_source.id": "kb",
        "gen_ai.retrieval.top_k": 3,
        "ctxstore.source.status": "ok",
        "ctxstore.retrieval.hits": 1,
      });
      const timedOut = children.find((span) => span.attributes["ctxstore.source.name"] === "inventory");
      expect(timedOut?.attributes["ctxstore.source.status"]).toBe("timeout");
      expect(timedOut?.attributes["error.type"]).toBe("timeout");
      expect(timedOut?.status.code).toBe(2);
      const loyaltySpan = children.find((span) => span.attributes["ctxstore.source.name"] === "loyalty");
      const appSpan = spans.find((span) => span.name === "loyalty-http");
      expect(appSpan?.parentSpanContext?.spanId).toBe(loyaltySpan?.spanContext().spanId);
      expect(appSpan?.spanContext().traceId).toBe(root.spanContext().traceId);
    } finally {
      trace.disable();
    }
  });

  it("an adapter that traces the assembly itself (ADAPTER_SPAN_KEY in the context) gets no span from core; metrics still count", async () => {
    const setup = telemetrySetup();
    const ctx = await scenario({ tracerProvider: setup.tracerProvider, meterProvider: setup.meterProvider });
    const marked = context.active().setValue(createContextKey(ADAPTER_SPAN_KEY), true);
    await context.with(marked, () => ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } }));
    expect(setup.exporter.getFinishedSpans()).toEqual([]);
    expect((await points(setup.reader, "ctxstore.resolutions")).length).toBeGreaterThan(0);
    // Without the key the same request is traced: the test above is not vacuous.
    await ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } });
    expect(setup.exporter.getFinishedSpans().map((span) => span.name)).toContain("ctxstore.assemble");
  });

  it("an adapter's attributes (ASSEMBLY_ATTRIBUTES_KEY in the context) go on core's span, which nests under the caller's active span; core's own attributes win", async () => {
    const setup = telemetrySetup();
    const ctx = await scenario({ tracerProvider: setup.tracerProvider });
    const framework = setup.tracerProvider.getTracer("framework");
    await framework.startActiveSpan("model call", async (call) => {
      const marked = context.active().setValue(createContextKey(ASSEMBLY_ATTRIBUTES_KEY), {
        "ctxstore.operation": "generate",
        "ctxstore.budget.max_tokens": 1,
        "ctxstore.ignored": { nested: true },
      });
      await context.with(marked, () => ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } }));
      call.end();
    });
    const spans = setup.exporter.getFinishedSpans();
    const assembly = spans.find((span) => span.name === "ctxstore.assemble");
    const call = spans.find((span) => span.name === "model call");
    expect(assembly?.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    expect(assembly?.attributes["ctxstore.operation"]).toBe("generate");
    expect(assembly?.attributes["ctxstore.budget.max_tokens"]).toBe(120);
    expect(assembly?.attributes).not.toHaveProperty("ctxstore.ignored");
  });

  it("no value or query text in any span unless opted in; with recordValues/recordQuery they are there", async () => {
    const hidden = telemetrySetup();
    const ctx = await scenario({ tracerProvider: hidden.tracerProvider });
    await ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 2_000 } });
    const dump = JSON.stringify(
      hidden.exporter.getFinishedSpans().map((span) => [span.name, span.attributes, span.events]),
    );
    expect(dump).toContain("ctxstore.assemble");
    expect(dump).not.toContain("SECRET");

    const shown = telemetrySetup();
    const verbose = await scenario({
      tracerProvider: shown.tracerProvider,
      recordValues: true,
      recordQuery: true,
    });
    await verbose.assemble({ keys, query: QUERY, budget: { maxTokens: 2_000 } });
    const spans = shown.exporter.getFinishedSpans();
    const root = spans.find((span) => span.name === "ctxstore.assemble") as ReadableSpan;
    expect(root.attributes["ctxstore.query"]).toBe(QUERY);
    const profileEvent = root.events.find(
      (event) => event.attributes?.["ctxstore.source.name"] === "profile",
    );
    expect(String(profileEvent?.attributes?.["ctxstore.source.value"])).toContain(SECRET);
    const retrieval = spans.find((span) => span.name === "retrieval kb");
    expect(retrieval?.attributes["gen_ai.retrieval.query.text"]).toBe(QUERY);
    expect(String(retrieval?.attributes["ctxstore.source.value"])).toContain(SECRET);
    // Long values are cut so one span cannot carry a whole document.
    const notesEvent = root.events.find((event) => event.attributes?.["ctxstore.source.name"] === "notes");
    expect(String(notesEvent?.attributes?.["ctxstore.source.value"]).length).toBeLessThanOrEqual(2_049);
  });

  it("a failed assembly ends its span with the error code and records the duration as an error", async () => {
    const setup = telemetrySetup();
    const required = realtimeSource("required_rt", () => Promise.reject(new Error("503")), {
      required: true,
    });
    const ctx = createContextStore({
      sources: [required],
      entities: [user],
      now: clock,
      telemetry: { tracerProvider: setup.tracerProvider, meterProvider: setup.meterProvider },
    });
    await expect(
      ctx.assemble({ keys: { user: keys.user }, budget: { maxTokens: 100 } }),
    ).rejects.toMatchObject({
      code: "CTX_REQUIRED_UNAVAILABLE",
    });
    const root = setup.exporter.getFinishedSpans().find((span) => span.name === "ctxstore.assemble");
    expect(root?.status.code).toBe(2);
    expect(root?.attributes["error.type"]).toBe("CTX_REQUIRED_UNAVAILABLE");
    const durations = await points(setup.reader, "ctxstore.assembly.duration");
    expect(durations.map((point) => [point.attributes, (point.value as Histogram).count])).toEqual([
      [{ "ctxstore.outcome": "error", "error.type": "CTX_REQUIRED_UNAVAILABLE" }, 1],
    ]);
  });
});

describe("metrics", () => {
  it("exact points after three known requests", async () => {
    const setup = telemetrySetup();
    const ctx = await scenario({ meterProvider: setup.meterProvider });
    for (let index = 0; index < 3; index++)
      await ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } });

    const resolutions = await points(setup.reader, "ctxstore.resolutions");
    const counts = Object.fromEntries(
      resolutions.map((point) => [
        `${point.attributes["ctxstore.source"]}/${point.attributes["ctxstore.tier"]}/${point.attributes["ctxstore.status"]}`,
        point.value,
      ]),
    );
    expect(counts).toEqual({
      "profile/batch/ok": 3,
      "prefs/batch/stale": 3,
      "notes/batch/ok": 3,
      "inventory/realtime/timeout": 3,
      "loyalty/realtime/empty": 3,
      "kb/vector/ok": 3,
    });

    const ages = await points(setup.reader, "ctxstore.value.age");
    const profileAge = pointFor(ages, { "ctxstore.source": "profile" })[0]?.value as Histogram;
    expect(profileAge.count).toBe(3);
    expect(profileAge.sum).toBe(3 * 3_600);
    const prefsAge = pointFor(ages, { "ctxstore.source": "prefs" })[0]?.value as Histogram;
    expect(prefsAge.sum).toBe(3 * 3 * 86_400);

    const durations = await points(setup.reader, "ctxstore.assembly.duration");
    expect(durations).toHaveLength(1);
    expect((durations[0]?.value as Histogram | undefined)?.count).toBe(3);

    const items = await points(setup.reader, "ctxstore.packed.items");
    expect(items.map((point) => [point.attributes, point.value])).toEqual([
      [
        {
          "ctxstore.source": "notes",
          "ctxstore.tier": "batch",
          "ctxstore.outcome": "dropped",
          "ctxstore.reason": "section_max_tokens",
        },
        3,
      ],
    ]);

    const tokens = await points(setup.reader, "ctxstore.packed.tokens");
    const result = await ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } });
    const perTier = new Map<string, number>();
    for (const source of result.trace.sources)
      if (source.outcome === "included" || source.outcome === "truncated")
        perTier.set(source.tier, (perTier.get(source.tier) ?? 0) + source.tokens);
    expect(
      Object.fromEntries(tokens.map((point) => [point.attributes["ctxstore.tier"], point.value])),
    ).toEqual(Object.fromEntries([...perTier].map(([tier, count]) => [tier, count * 3])));

    const trips = await points(setup.reader, "ctxstore.online_store.round_trips");
    expect(trips.map((point) => [point.attributes, point.value])).toEqual([
      [{ "ctxstore.store": "memory", "ctxstore.operation": "read" }, 4],
    ]);
    expect(await points(setup.reader, "ctxstore.online_store.errors")).toEqual([]);
  });

  it("an online store that fails counts an error round trip; an odd store name is exported as it is", async () => {
    const setup = telemetrySetup();
    const odd = batch("odd", { entity: user, schema: z.string(), section: "S" });
    const online = memoryStore();
    const flaky = 'fla"ky/ü\n{x}';
    const failing: OnlineStore = {
      ...online,
      name: flaky,
      read: () => Promise.reject(new Error("ECONNRESET")),
    };
    const ctx = createContextStore({
      sources: [odd],
      entities: [user],
      online: failing,
      now: clock,
      telemetry: { meterProvider: setup.meterProvider },
    });
    const result = await ctx.assemble({ keys: { user: keys.user }, budget: { maxTokens: 100 } });
    expect(result.values[odd.name]?.status).toBe("error");
    const errors = await points(setup.reader, "ctxstore.online_store.errors");
    expect(errors.map((point) => [point.attributes, point.value])).toEqual([
      [{ "ctxstore.store": flaky, "ctxstore.operation": "read", "error.type": "error" }, 1],
    ]);
    const resolutions = await points(setup.reader, "ctxstore.resolutions");
    expect(resolutions[0]?.attributes["ctxstore.source"]).toBe(odd.name);
  });
});

describe("telemetry never breaks a request", () => {
  it("a throwing span processor and a throwing meter are reported once and ignored", async () => {
    const throwing: SpanProcessor = {
      onStart: () => {
        throw new Error("processor onStart exploded");
      },
      onEnd: () => {
        throw new Error("processor onEnd exploded");
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const setup = telemetrySetup([throwing]);
    const brokenMeter = {
      getMeter: () => ({
        createCounter: () => ({
          add: () => {
            throw new Error("meter exploded");
          },
        }),
        createHistogram: () => ({
          record: () => {
            throw new Error("meter exploded");
          },
        }),
      }),
    };
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const ctx = await scenario({ tracerProvider: setup.tracerProvider, meterProvider: brokenMeter });
      const plain = await scenario({ enabled: false });
      for (let index = 0; index < 3; index++) {
        const traced = await ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } });
        const untraced = await plain.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } });
        expect(traced.text).toBe(untraced.text);
      }
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/telemetry failed and is ignored/);
    } finally {
      warn.mockRestore();
    }
  });

  it("a broken exporter and instruments that throw on every call never reach the request; reported once, and the rest of the telemetry goes on", async () => {
    const throwingExporter: SpanExporter = {
      export: () => {
        throw new Error("exporter exploded");
      },
      shutdown: async () => {},
    };
    const failingExporter: SpanExporter = {
      // 1 is ExportResultCode.FAILED (@opentelemetry/core, not a dependency here).
      export: (_spans, done) => done({ code: 1, error: new Error("collector down") }),
      shutdown: async () => {},
    };
    const setup = telemetrySetup([
      new SimpleSpanProcessor(throwingExporter),
      new SimpleSpanProcessor(failingExporter),
    ]);
    // Instruments are created fine; every point then throws (when core records it, and at collection).
    const throwingMeter = {
      getMeter: () => ({
        createObservableCounter: () => ({ addCallback: () => {} }),
        createHistogram: () => ({
          record: () => {
            throw new Error("histogram exploded");
          },
        }),
      }),
    };
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const ctx = await scenario({ tracerProvider: setup.tracerProvider, meterProvider: throwingMeter });
      const plain = await scenario({ enabled: false });
      for (let index = 0; index < 3; index++) {
        const traced = await ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } });
        const untraced = await plain.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } });
        expect(traced.text).toBe(untraced.text);
        // The histogram points are recorded on the next turn of the event loop: let them throw.
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/telemetry failed and is ignored.*histogram exploded/);
      // Ignored, not switched off: the healthy exporter got every assembly's span.
      const names = setup.exporter.getFinishedSpans().map((span) => span.name);
      expect(names.filter((name) => name === "ctxstore.assemble")).toHaveLength(3);
    } finally {
      warn.mockRestore();
    }
  });

  it("a store that assembled before the SDK registered globally is traced once it has", async () => {
    const ctx = await scenario({});
    await ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } });
    const setup = telemetrySetup();
    trace.setGlobalTracerProvider(setup.tracerProvider);
    try {
      await ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } });
      const names = setup.exporter.getFinishedSpans().map((span) => span.name);
      expect(names.filter((name) => name === "ctxstore.assemble")).toHaveLength(1);
    } finally {
      trace.disable();
    }
  });

  it("with no provider registered (the API's no-op ones) nothing is begun", async () => {
    const ctx = await scenario({});
    const span: Span | undefined = trace.getActiveSpan();
    expect(span).toBeUndefined();
    const result = await ctx.assemble({ keys, query: QUERY, budget: { maxTokens: 120 } });
    expect(result.values.profile?.status).toBe("ok");
  });
});
