// assemble.memory.telemetry: the cost of core's OpenTelemetry spans and metrics. The same request on
// two context stores in one process, measured in alternating rounds: one with a real SDK registered
// (BasicTracerProvider + BatchSpanProcessor, the production choice, + InMemorySpanExporter, MeterProvider with a reader),
// one with no provider (what every app without OpenTelemetry gets). Target: p50 ratio <= 1.15.
// mean_ratio is the CPU side of the same rounds: mean time per assembly, with the histogram points
// that core records after the request (instruments.ts, DeferredHistograms) timed in.
import {
  assembleBenchSources,
  BENCH_BUDGET,
  BENCH_KEYS,
  type BenchFigure,
  measure,
  percentile,
  seedAssembleBench,
} from "@ctxstore/bench-fixtures";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { type ContextStore, createContextStore, type TelemetryOptions } from "../src/index.js";

const quick = process.env.BENCH_QUICK === "1";

class CollectOnDemand extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** Alternating rounds of `iterations`, so drift on a shared machine hits both sides alike. */
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
  const probe = await traced.ctx.assemble(traced.request);
  await tracerProvider.forceFlush();
  exporter.reset();
  await traced.ctx.assemble(traced.request);
  await tracerProvider.forceFlush();
  const spansPerAssembly = exporter.getFinishedSpans().length;
  const withSdk: number[] = [];
  const without: number[] = [];
  let totalWith = 0;
  let totalWithout = 0;
  for (let round = 0; round < rounds; round++) {
    const plainRound = await measure(() => plain.ctx.assemble(plain.request), { iterations });
    totalWithout += plainRound.totalMs + (await nextTurnMs());
    without.push(...plainRound.samples);
    const tracedRound = await measure(() => traced.ctx.assemble(traced.request), { iterations });
    // The points still queued are recorded on this turn of the event loop: timed, as the CPU is spent.
    totalWith += tracedRound.totalMs + (await nextTurnMs());
    withSdk.push(...tracedRound.samples);
    await tracerProvider.forceFlush();
    exporter.reset();
  }
  const p50With = percentile(withSdk, 50);
  const p50Without = percentile(without, 50);
  await traced.ctx.close();
  await plain.ctx.close();
  return [
    { bench, metric: "p50_ms_no_provider", value: p50Without, unit: "ms" },
    {
      bench,
      metric: "p50_ms_sdk",
      value: p50With,
      unit: "ms",
      spans: spansPerAssembly,
      sources: probe.trace.sources.length,
    },
    { bench, metric: "p99_ms_no_provider", value: percentile(without, 99), unit: "ms" },
    { bench, metric: "p99_ms_sdk", value: percentile(withSdk, 99), unit: "ms" },
    { bench, metric: "p50_ratio", value: p50With / p50Without, unit: "x", target: "<= 1.15" },
    {
      bench,
      metric: "mean_ratio",
      value: totalWith / totalWithout,
      unit: "x",
      note: "deferred histogram points included",
    },
  ];
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
