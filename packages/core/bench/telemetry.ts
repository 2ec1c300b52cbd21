// assemble.memory.telemetry: the cost of core's OpenTelemetry spans and metrics. The same request on
// context stores in one process, measured in alternating rounds:
//   - sdk: a real SDK registered (BasicTracerProvider + BatchSpanProcessor, the production choice, +
//     InMemorySpanExporter; a MeterProvider with a reader);
//   - no provider: what every app without OpenTelemetry gets;
//   - sdk floor: an assembly with no provider, plus the same spans (names and attributes copied from
//     one of core's assemblies) and the same histogram points made by calling the SDK directly, the
//     points on the next turn of the event loop as core does. What the SDK itself costs for this
//     telemetry, so p50_ratio - p50_ratio_sdk_floor is core's own share.
// Target: p50 ratio <= 1.15. mean_ratio is the CPU side of the same rounds: mean time per assembly,
// with the histogram points that core records after the request (instruments.ts) timed in.
import {
  assembleBenchSources,
  BENCH_BUDGET,
  BENCH_KEYS,
  type BenchFigure,
  measure,
  percentile,
  seedAssembleBench,
} from "@ctxstore/bench-fixtures";
import { type Attributes, context, type Histogram, trace } from "@opentelemetry/api";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import {
  type AssembleResult,
  type ContextStore,
  createContextStore,
  type TelemetryOptions,
} from "../src/index.js";

const quick = process.env.BENCH_QUICK === "1";

class CollectOnDemand extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

type Contender = () => Promise<unknown>;

/** Alternating rounds of `iterations`, so drift on a shared machine hits every side alike. */
export async function compareTelemetry(
  bench: string,
  make: (
    telemetry: TelemetryOptions,
  ) => Promise<{ ctx: ContextStore; request: Parameters<ContextStore["assemble"]>[0] }>,
  iterations: number,
  rounds = 6,
): Promise<BenchFigure[]> {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 100_000, scheduledDelayMillis: 200 })],
  });
  const meterProvider = new MeterProvider({ readers: [new CollectOnDemand()] });
  const traced = await make({ tracerProvider, meterProvider });
  const plain = await make({});
  const floorStore = await make({});
  const probe = await traced.ctx.assemble(traced.request);
  await tracerProvider.forceFlush();
  exporter.reset();
  await traced.ctx.assemble(traced.request);
  await tracerProvider.forceFlush();
  const probeSpans = exporter.getFinishedSpans();
  exporter.reset();
  const contenders: Record<"sdk" | "plain" | "floor", Contender> = {
    plain: () => plain.ctx.assemble(plain.request),
    sdk: () => traced.ctx.assemble(traced.request),
    floor: sdkFloor(probeSpans, probe, tracerProvider, meterProvider, () =>
      floorStore.ctx.assemble(floorStore.request),
    ),
  };
  const samples = { plain: [] as number[], sdk: [] as number[], floor: [] as number[] };
  const totals = { plain: 0, sdk: 0, floor: 0 };
  for (let round = 0; round < rounds; round++) {
    for (const name of ["plain", "sdk", "floor"] as const) {
      const measured = await measure(contenders[name], { iterations });
      // The points still queued are recorded on this turn of the event loop: timed, as the CPU is spent.
      totals[name] += measured.totalMs + (await nextTurnMs());
      samples[name].push(...measured.samples);
      await tracerProvider.forceFlush();
      exporter.reset();
    }
  }
  const p50 = (name: keyof typeof samples) => percentile(samples[name], 50);
  await traced.ctx.close();
  await plain.ctx.close();
  await floorStore.ctx.close();
  return [
    { bench, metric: "p50_ms_no_provider", value: p50("plain"), unit: "ms" },
    {
      bench,
      metric: "p50_ms_sdk",
      value: p50("sdk"),
      unit: "ms",
      spans: probeSpans.length,
      sources: probe.trace.sources.length,
    },
    { bench, metric: "p99_ms_no_provider", value: percentile(samples.plain, 99), unit: "ms" },
    { bench, metric: "p99_ms_sdk", value: percentile(samples.sdk, 99), unit: "ms" },
    { bench, metric: "p50_ratio", value: p50("sdk") / p50("plain"), unit: "x", target: "<= 1.15" },
    {
      bench,
      metric: "p50_ratio_sdk_floor",
      value: p50("floor") / p50("plain"),
      unit: "x",
      note: "same spans and points, SDK called directly",
    },
    {
      bench,
      metric: "mean_ratio",
      value: totals.sdk / totals.plain,
      unit: "x",
      note: "deferred histogram points included",
    },
    { bench, metric: "mean_ratio_sdk_floor", value: totals.floor / totals.plain, unit: "x" },
  ];
}

/**
 * An assembly with no provider followed by what core asks of the SDK for one: the captured span tree
 * (the children nested in the root, the attributes copied: the SDK copies them too) and one
 * histogram point per source with an age plus the duration point, recorded on the next turn.
 */
function sdkFloor(
  spans: readonly ReadableSpan[],
  probe: AssembleResult,
  tracerProvider: BasicTracerProvider,
  meterProvider: MeterProvider,
  assemble: () => Promise<unknown>,
): Contender {
  const tracer = tracerProvider.getTracer("sdk-floor");
  const meter = meterProvider.getMeter("sdk-floor");
  const age = meter.createHistogram("floor.value.age");
  const duration = meter.createHistogram("floor.assembly.duration");
  const root = spans.find((span) => span.parentSpanContext === undefined) as ReadableSpan;
  const children = spans.filter((span) => span !== root);
  const points = probe.trace.sources
    .filter((source) => source.ageMs !== undefined)
    .map((source) => ({
      value: (source.ageMs as number) / 1000,
      attributes: { "ctxstore.source": source.source, "ctxstore.tier": source.tier } as Attributes,
    }));
  const queue: Array<{ histogram: Histogram; value: number; attributes: Attributes }> = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    for (const point of queue.splice(0)) point.histogram.record(point.value, point.attributes);
  };
  return async () => {
    const span = tracer.startSpan(root.name, { kind: root.kind });
    const active = trace.setSpan(context.active(), span);
    // The children without awaiting anything: the leanest the SDK part can be.
    for (const child of children) {
      const childSpan = tracer.startSpan(child.name, { kind: child.kind }, active);
      context.with(trace.setSpan(active, childSpan), () => undefined);
      childSpan.setAttributes(child.attributes);
      childSpan.end();
    }
    const result = await context.with(active, assemble);
    span.setAttributes(root.attributes);
    span.end();
    queue.push({ histogram: duration, value: 0.0001, attributes: { "ctxstore.outcome": "ok" } });
    for (const point of points) queue.push({ histogram: age, ...point });
    if (queue.length >= 10_000) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    return result;
  };
}

/** How long one turn of the event loop takes (what is queued with setImmediate runs in it). */
async function nextTurnMs(): Promise<number> {
  const started = performance.now();
  await new Promise((resolve) => setImmediate(resolve));
  return performance.now() - started;
}

export async function runTelemetryBench(): Promise<BenchFigure[]> {
  return compareTelemetry(
    "assemble.memory.telemetry",
    async (telemetry) => {
      const sources = assembleBenchSources();
      const ctx = createContextStore({ sources, deadline: "200ms", telemetry });
      await ctx.ready();
      await seedAssembleBench(ctx, sources);
      return { ctx, request: { keys: BENCH_KEYS, budget: BENCH_BUDGET } };
    },
    quick ? 500 : 3_000,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { report } = await import("@ctxstore/bench-fixtures");
  report(await runTelemetryBench());
}
