// Observability costs on a private redis-server:
// - assemble.redis.telemetry: the reference request (as assemble.redis) on two context stores in one
//   process, in alternating rounds: a real SDK registered (BasicTracerProvider + BatchSpanProcessor +
//   InMemorySpanExporter, MeterProvider with a reader) vs no provider. Target: p50 ratio <= 1.15.
//   mean_ratio: mean time per assembly over the same rounds, the histogram points core records
//   after the request (on the next turn of the event loop) included.
// - freshness.redis: monitorFreshness over 1,000,000 stored values (BENCH_QUICK=1: 100,000): store
//   commands and duration per tick, and ticks for a full pass, for the default sampleSize (500).
// Run alone: `npx tsx --conditions=@ctxstore/source bench/observability.ts` (BENCH_ONLY=telemetry or
// BENCH_ONLY=freshness: one of the two); `npm run bench` runs both with the other Redis benches.
import {
  assembleBenchSources,
  BENCH_BUDGET,
  BENCH_KEYS,
  type BenchFigure,
  benchUser,
  measure,
  percentile,
  seedAssembleBench,
} from "@ctxstore/bench-fixtures";
import {
  batch,
  type ContextStore,
  createContextStore,
  monitorFreshness,
  type TelemetryOptions,
} from "@ctxstore/core";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { z } from "zod";
import { redisStore } from "../src/index.js";
import { commandStats } from "../src/testing/index.js";

const quick = process.env.BENCH_QUICK === "1";

class CollectOnDemand extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export async function telemetryBench(url: string): Promise<BenchFigure[]> {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 100_000, scheduledDelayMillis: 200 })],
  });
  const meterProvider = new MeterProvider({ readers: [new CollectOnDemand()] });
  const sources = assembleBenchSources();
  const make = async (telemetry: TelemetryOptions, prefix: string): Promise<ContextStore> => {
    const ctx = createContextStore({
      sources,
      online: redisStore({ url, prefix }),
      deadline: "200ms",
      telemetry,
    });
    await ctx.ready();
    await seedAssembleBench(ctx, sources);
    return ctx;
  };
  const traced = await make({ tracerProvider, meterProvider }, "benchtel1:");
  const plain = await make({}, "benchtel2:");
  const request = { keys: BENCH_KEYS, budget: BENCH_BUDGET };
  const iterations = quick ? 500 : 2_000;
  const withSdk: number[] = [];
  const without: number[] = [];
  let totalWith = 0;
  let totalWithout = 0;
  for (let round = 0; round < 6; round++) {
    const plainRound = await measure(() => plain.assemble(request), { iterations });
    totalWithout += plainRound.totalMs;
    without.push(...plainRound.samples);
    const tracedRound = await measure(() => traced.assemble(request), { iterations });
    totalWith += tracedRound.totalMs;
    withSdk.push(...tracedRound.samples);
    await tracerProvider.forceFlush();
    exporter.reset();
  }
  await traced.close();
  await plain.close();
  const bench = "assemble.redis.telemetry";
  const p50With = percentile(withSdk, 50);
  const p50Without = percentile(without, 50);
  return [
    { bench, metric: "p50_ms_no_provider", value: p50Without, unit: "ms" },
    { bench, metric: "p50_ms_sdk", value: p50With, unit: "ms" },
    { bench, metric: "p99_ms_no_provider", value: percentile(without, 99), unit: "ms" },
    { bench, metric: "p99_ms_sdk", value: percentile(withSdk, 99), unit: "ms" },
    { bench, metric: "p50_ratio", value: p50With / p50Without, unit: "x", target: "<= 1.15" },
    // Each assembly waits on a round trip, so the deferred points are recorded inside the rounds.
    { bench, metric: "mean_ratio", value: totalWith / totalWithout, unit: "x" },
  ];
}

export async function freshnessBench(url: string, port: number): Promise<BenchFigure[]> {
  const values = quick ? 100_000 : 1_000_000;
  const profile = batch("bench_profile", {
    entity: benchUser,
    schema: z.object({ summary: z.string() }),
    maxAge: "1d",
    section: "Profile",
    render: (value) => value.summary,
  });
  const online = redisStore({ url, prefix: "benchfresh:" });
  const ctx = createContextStore({ sources: [profile], online });
  await ctx.ready();
  const now = Date.now();
  const chunk = 5_000;
  for (let start = 0; start < values; start += chunk) {
    const writes = [];
    for (let index = start; index < Math.min(values, start + chunk); index++) {
      writes.push(
        ctx.toValueWrite(
          profile,
          { userId: `u${index}` },
          { summary: "A returning customer." },
          {
            eventTime: now - (index % 48) * 3_600_000,
          },
        ),
      );
    }
    await online.write(writes);
  }
  const sampleSize = 500;
  const monitor = monitorFreshness(ctx, { every: "1h", sampleSize });
  const durations: number[] = [];
  const commands: number[] = [];
  await monitor.tick();
  const before = await commandStats(port);
  const ticks = quick ? 50 : 100;
  for (let tick = 0; tick < ticks; tick++) {
    await monitor.tick();
    durations.push(monitor.lastTick.durationMs);
    commands.push(monitor.lastTick.commands);
  }
  const after = await commandStats(port);
  monitor.stop();
  const snapshot = monitor.snapshot();
  const sample = snapshot.sources[0]?.sample;
  await ctx.close();
  const bench = "freshness.redis";
  const scans = ((after.scan ?? 0) - (before.scan ?? 0)) / ticks;
  return [
    { bench, metric: "stored_values", value: values, unit: "values" },
    { bench, metric: "commands_per_tick_p50", value: percentile(commands, 50), unit: "commands", sampleSize },
    { bench, metric: "scans_per_tick", value: scans, unit: "commands", note: "server commandstats" },
    { bench, metric: "tick_ms_p50", value: percentile(durations, 50), unit: "ms", sampleSize },
    { bench, metric: "tick_ms_p99", value: percentile(durations, 99), unit: "ms", sampleSize },
    {
      bench,
      metric: "ticks_per_full_pass",
      value: Math.ceil(values / sampleSize),
      unit: "ticks",
      note: "approx: SCAN COUNT is a hint",
    },
    {
      bench,
      metric: "sampled_values",
      value: sample && "values" in sample ? sample.values : 0,
      unit: "values",
      note: `after ${ticks + 1} ticks (window 5,000)`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { report } = await import("@ctxstore/bench-fixtures");
  const { startRedisServer } = await import("../src/testing/index.js");
  const only = process.env.BENCH_ONLY;
  const server = await startRedisServer({ label: "bench-observability" });
  try {
    report([
      ...(only === "freshness" ? [] : await telemetryBench(server.url)),
      ...(only === "telemetry" ? [] : await freshnessBench(server.url, server.port)),
    ]);
  } finally {
    await server.stop();
  }
}
