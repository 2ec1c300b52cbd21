// Benchmark feast.read against a private redis-server on loopback (spawned here): assemble p50 with
// 5 Feast feature views + 10 ctxstore batch sources, against the same 15 as ctxstore batch sources,
// in the same run (target: ratio <= 1.3). The Feast rows are written in Feast's format by feastRow
// (bytes identical to Feast's own writer); the ctxstore values are the same objects written by
// ctx.write (rendered and counted at write time). The two loops alternate in 8 rounds so drift on a
// shared machine hits both. Also: round trips and HMGETs per assemble. BENCH_QUICK=1 runs fewer.

import { type BenchFigure, latencyFigures, measure, percentile, report } from "@ctxstore/bench-fixtures";
import { type AnySource, batch, type ContextStore, createContextStore, defineEntity } from "@ctxstore/core";
import { redisStore } from "@ctxstore/redis";
import {
  commandStats,
  redisServerAvailable,
  sendCommand,
  startRedisServer,
  startRoundTripProxy,
} from "@ctxstore/redis/testing";
import { Redis } from "ioredis";
import { z } from "zod";
import { feastEntity, feastRow, feastSource, feastType, withFeast } from "../src/index.js";

const quick = process.env.BENCH_QUICK === "1";
const driver = defineEntity("driver", { key: z.object({ driver_id: z.number().int() }) });
const driverKeys = feastEntity(driver, { driver_id: "int64" });
const KEY = { driver_id: 1005 };

const features = {
  conv_rate: feastType.double(),
  acc_rate: feastType.float(),
  avg_daily_trips: feastType.int64(),
  city: feastType.string(),
  recent_zones: feastType.list("string"),
};
const value = (index: number) => ({
  conv_rate: 0.8125 - index / 100,
  acc_rate: 0.25,
  avg_daily_trips: 17 + index,
  city: "Grenoble",
  recent_zones: ["centre", "gare", `zone ${index}`],
});
const schema = z.object({
  conv_rate: z.number(),
  acc_rate: z.number(),
  avg_daily_trips: z.number().int(),
  city: z.string(),
  recent_zones: z.array(z.string()),
});

const feastViews = Array.from({ length: 5 }, (_, index) =>
  feastSource(`feast_view_${index}`, {
    entity: driverKeys,
    project: "bench",
    featureView: `driver_view_${index}`,
    features,
    section: "Driver stats",
    maxAge: "2d",
  }),
);
const ownSources = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, index) =>
    batch(`${prefix}_${index}`, { entity: driver, schema, section: "Driver stats", maxAge: "2d" }),
  );

async function main(): Promise<void> {
  if (!redisServerAvailable()) {
    process.stdout.write("redis-server is not installed: skipping the @ctxstore/feast benchmarks.\n");
    return;
  }
  const server = await startRedisServer({ label: "feast-bench" });
  const admin = new Redis(server.url);
  try {
    const now = Date.now();
    for (const [index, source] of feastViews.entries()) {
      const row = feastRow(source, KEY, value(index), now - 60_000);
      await admin.hset(row.key, ...row.fields.flat());
    }
    const mixedOwn = ownSources(10, "own");
    const allOwn = ownSources(15, "own");
    const mixedSources: AnySource[] = [...feastViews, ...mixedOwn];
    // The reader renders and counts each row once through the context (as ctx.write does).
    let mixedContext: ContextStore | undefined;
    const mixed = createContextStore({
      sources: mixedSources,
      online: withFeast(redisStore({ url: server.url, prefix: "mixed:" }), {
        sources: feastViews,
        context: () => mixedContext,
      }),
      deadline: "200ms",
    });
    mixedContext = mixed;
    const baseline = createContextStore({
      sources: allOwn,
      online: redisStore({ url: server.url, prefix: "own:" }),
      deadline: "200ms",
    });
    await Promise.all([mixed.ready(), baseline.ready()]);
    for (const [index, source] of mixedOwn.entries()) await mixed.write(source, KEY, value(index + 5));
    for (const [index, source] of allOwn.entries()) await baseline.write(source, KEY, value(index));
    const request = { keys: { driver: KEY }, budget: { maxTokens: 4000 } };
    for (const context of [mixed, baseline]) {
      const probe = await context.assemble(request);
      const bad = Object.values(probe.values).filter((resolved) => resolved.status !== "ok");
      if (bad.length > 0 || Object.keys(probe.values).length !== 15) {
        throw new Error(
          `bench setup: ${bad.map((resolved) => `${resolved.source}=${resolved.status}`).join(", ")}`,
        );
      }
    }

    const rounds = 8;
    const iterations = quick ? 250 : 1_250;
    const mixedSamples: number[] = [];
    const baselineSamples: number[] = [];
    let mixedMs = 0;
    let baselineMs = 0;
    for (let round = 0; round < rounds; round++) {
      const a = await measure(() => mixed.assemble(request), { iterations });
      const b = await measure(() => baseline.assemble(request), { iterations });
      mixedSamples.push(...a.samples);
      baselineSamples.push(...b.samples);
      mixedMs += a.totalMs;
      baselineMs += b.totalMs;
    }
    const figures: BenchFigure[] = [
      ...latencyFigures("feast.read", mixedSamples, mixedMs, { sources: "5 feast + 10 ctxstore" }),
      ...latencyFigures("feast.read.baseline", baselineSamples, baselineMs, { sources: "15 ctxstore" }),
      {
        bench: "feast.read",
        metric: "vs_ctxstore_ratio",
        value: percentile(mixedSamples, 50) / percentile(baselineSamples, 50),
        unit: "x",
        target: "<= 1.3",
        note: "assemble p50, 5 Feast views + 10 ctxstore sources / 15 ctxstore sources, same run",
      },
    ];

    // What one assemble costs on the wire: round trips (proxy) and commands (INFO commandstats).
    const proxy = await startRoundTripProxy({ port: server.port });
    const proxied = createContextStore({
      sources: mixedSources,
      online: withFeast(redisStore({ url: proxy.url, prefix: "mixed:" }), { sources: feastViews }),
    });
    await proxied.assemble(request);
    await sendCommand(server.port, ["CONFIG", "RESETSTAT"]);
    proxy.reset();
    await proxied.assemble(request);
    const stats = await commandStats(server.port);
    figures.push({
      bench: "feast.read",
      metric: "round_trips",
      value: proxy.roundTrips(),
      unit: "round trips",
      commands: `hmget=${stats.hmget ?? 0}`,
      note: "one Feast hash (5 views) + one ctxstore hash",
    });
    await proxied.close();
    await proxy.stop();
    await mixed.close();
    await baseline.close();
    report(figures);
  } finally {
    admin.disconnect();
    await server.stop();
  }
}

await main();
