// Pins the freshness monitor on the memory store: exact shares and percentiles for values written
// with known ages, bounded pages per tick, ingest lag from the watermark, materializations passed
// through, gauges exported through a real MeterProvider, and a store it cannot sample reported as
// unknown (never fresh).
import { type DataPoint, MeterProvider } from "@opentelemetry/sdk-metrics";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { activity, clock, NOW, profile, session, user } from "../context/assemble.fixtures.js";
import { createContextStore, memoryStore, monitorFreshness, type OnlineStore } from "../index.js";
import { TestReader } from "../telemetry/test-reader.fixtures.js";

const HOUR = 3_600_000;

async function storeWithAges(agesHours: readonly number[], online: OnlineStore = memoryStore()) {
  const ctx = createContextStore({
    sources: [profile, activity],
    entities: [user, session],
    online,
    now: clock,
  });
  await ctx.ready();
  for (const [index, hours] of agesHours.entries()) {
    await ctx.write(profile, { userId: `u${index}` }, { summary: "s" }, { eventTime: NOW - hours * HOUR });
  }
  return ctx;
}

async function fullPass(monitor: ReturnType<typeof monitorFreshness>, ticks: number) {
  let snapshot = monitor.snapshot();
  for (let index = 0; index < ticks; index++) snapshot = await monitor.tick();
  return snapshot;
}

describe("monitorFreshness on the memory store", () => {
  it("share stale and age percentiles against the source's maxAge (2d), a bounded page per tick", async () => {
    // 7 values within 2 days, 3 past it.
    const ages = [1, 2, 3, 5, 8, 13, 21, 50, 60, 70];
    const ctx = await storeWithAges(ages);
    const monitor = monitorFreshness(ctx, { every: "1h", sampleSize: 3, now: clock });
    try {
      await monitor.tick();
      expect(monitor.lastTick.records).toBeLessThanOrEqual(3);
      const snapshot = await fullPass(monitor, 4);
      const source = snapshot.sources.find((entry) => entry.source === "profile");
      expect(snapshot.provider).toBe("monitor");
      expect(source?.maxAgeMs).toBe(2 * 24 * HOUR);
      expect(source?.sample).toEqual({
        values: 10,
        freshShare: 0.7,
        staleShare: 0.3,
        ageMs: { p50: 8 * HOUR, p90: 60 * HOUR, p99: 70 * HOUR },
      });
    } finally {
      monitor.stop();
    }
  });

  it("a record deleted from the store leaves the sample after the next full pass", async () => {
    const ctx = await storeWithAges([1, 2, 3]);
    const monitor = monitorFreshness(ctx, { every: "1h", sampleSize: 10, now: clock });
    try {
      await fullPass(monitor, 2);
      const { entity, key, field } = ctx.toValueWrite(profile, { userId: "u0" }, { summary: "s" });
      await ctx.online.delete([{ entity, key, field }]);
      const snapshot = await fullPass(monitor, 3);
      const sample = snapshot.sources.find((entry) => entry.source === "profile")?.sample;
      expect(sample).toMatchObject({ values: 2, ageMs: { p50: 2 * HOUR, p99: 3 * HOUR } });
    } finally {
      monitor.stop();
    }
  });

  it("stream ingest lag from the watermark; unknown before any watermark; materializations passed through", async () => {
    const ctx = await storeWithAges([1]);
    const run = {
      finishedAt: NOW - HOUR,
      target: "online",
      status: "held" as const,
      forced: false,
      rows: 10,
      zeroRate: 0.9,
      previousZeroRate: 0.01,
    };
    const monitor = monitorFreshness(ctx, {
      every: "1h",
      now: clock,
      materializations: async () => ({ profile: run }),
    });
    try {
      let snapshot = await monitor.tick();
      const stream = () => snapshot.sources.find((entry) => entry.source === "activity");
      expect(stream()?.ingestLagMs).toEqual({
        unavailable: "no ingest watermark stored (no worker or heartbeat has run)",
      });
      await ctx.heartbeat(activity, NOW - 90_000);
      snapshot = await monitor.tick();
      expect(stream()?.ingestLagMs).toBe(90_000);
      expect(snapshot.sources.find((entry) => entry.source === "profile")?.lastMaterialization).toEqual(run);
      expect(stream()?.lastMaterialization).toEqual({
        unavailable: "no materialization recorded for this source",
      });
    } finally {
      monitor.stop();
    }
  });

  it("a store it cannot sample, or whose sampling fails, is reported unknown: never fresh", async () => {
    const plain = memoryStore();
    const unsampled: OnlineStore = {
      name: "custom",
      read: plain.read,
      write: plain.write,
      append: plain.append,
      setWatermark: plain.setWatermark,
      delete: plain.delete,
      close: plain.close,
    };
    const ctx = await storeWithAges([1, 2], unsampled);
    const monitor = monitorFreshness(ctx, { every: "1h", now: clock });
    const snapshot = await monitor.tick();
    monitor.stop();
    expect(snapshot.sources.find((entry) => entry.source === "profile")?.sample).toEqual({
      unavailable:
        "the custom store cannot be sampled (it has no sampleRecords); freshness is unknown, not fresh",
    });

    const broken = Object.assign(memoryStore(), {
      sampleRecords: () => Promise.reject(new Error("NOPERM scan")),
    });
    const errors: unknown[] = [];
    const failing = monitorFreshness(await storeWithAges([1], broken), {
      every: "1h",
      now: clock,
      onError: (error) => errors.push(error),
    });
    const failed = await failing.tick();
    failing.stop();
    expect(failed.sources.find((entry) => entry.source === "profile")?.sample).toEqual({
      unavailable: "memory store sampling failed: NOPERM scan",
    });
    expect(errors.length).toBeGreaterThan(0);
  });

  it("on a store it cannot sample, or whose sampling fails, the gauges say unknown: sample_available 0, no stale share or age", async () => {
    const plain = memoryStore();
    const unsampled: OnlineStore = {
      name: "custom",
      read: plain.read,
      write: plain.write,
      append: plain.append,
      setWatermark: plain.setWatermark,
      delete: plain.delete,
      close: plain.close,
    };
    const broken = Object.assign(memoryStore(), {
      sampleRecords: () => Promise.reject(new Error("NOPERM scan")),
    });
    for (const online of [unsampled, broken]) {
      const reader = new TestReader();
      const meterProvider = new MeterProvider({ readers: [reader] });
      // Stored values 1 h and 72 h old: a monitor that could sample would report a stale share of 0.5.
      const ctx = await storeWithAges([1, 72], online);
      const monitor = monitorFreshness(ctx, { every: "1h", now: clock, meterProvider, onError: () => {} });
      try {
        await monitor.tick();
        const { resourceMetrics } = await reader.collect();
        const profilePoints = (name: string) =>
          resourceMetrics.scopeMetrics
            .flatMap((scope) => scope.metrics)
            .filter((metric) => metric.descriptor.name === name)
            .flatMap((metric) => metric.dataPoints as ReadonlyArray<DataPoint<unknown>>)
            .filter((point) => point.attributes["ctxstore.source"] === "profile")
            .map((point) => point.value);
        expect(profilePoints("ctxstore.freshness.sample_available")).toEqual([0]);
        expect(profilePoints("ctxstore.freshness.sampled_values")).toEqual([0]);
        expect(profilePoints("ctxstore.freshness.stale_share")).toEqual([]);
        expect(profilePoints("ctxstore.freshness.age")).toEqual([]);
        // The SLA is still exported, so an alert can name what is unknown.
        expect(profilePoints("ctxstore.freshness.max_age")).toEqual([2 * 86_400]);
      } finally {
        monitor.stop();
      }
    }
  });

  it("bad options are a CtxError that says what to pass", () => {
    const ctx = { sources: new Map(), online: memoryStore() };
    expect(() => monitorFreshness(ctx, { sampleSize: 0 })).toThrow(/sampleSize must be a positive integer/);
    expect(() => monitorFreshness(ctx, { every: "soon" as never })).toThrow(/monitorFreshness every/);
  });

  it("exports gauges through the meter provider", async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const ctx = await storeWithAges([1, 72]);
    await ctx.heartbeat(activity, NOW - 30_000);
    const monitor = monitorFreshness(ctx, { every: "1h", now: clock, meterProvider });
    try {
      await monitor.tick();
      await new Promise((resolve) => setTimeout(resolve, 10));
      const { resourceMetrics } = await reader.collect();
      const byName = new Map<string, Array<{ attributes: Record<string, unknown>; value: unknown }>>();
      for (const scope of resourceMetrics.scopeMetrics)
        for (const metric of scope.metrics)
          byName.set(
            metric.descriptor.name,
            metric.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value })),
          );
      expect(byName.get("ctxstore.freshness.stale_share")).toEqual([
        { attributes: { "ctxstore.source": "profile", "ctxstore.tier": "batch" }, value: 0.5 },
      ]);
      expect(byName.get("ctxstore.ingest.watermark_lag")).toEqual([
        { attributes: { "ctxstore.source": "activity", "ctxstore.tier": "stream" }, value: 30 },
      ]);
      expect(byName.get("ctxstore.freshness.sample_available")).toEqual([
        { attributes: { "ctxstore.source": "profile", "ctxstore.tier": "batch" }, value: 1 },
        { attributes: { "ctxstore.source": "activity", "ctxstore.tier": "stream" }, value: 0 },
      ]);
      const ages = byName.get("ctxstore.freshness.age") ?? [];
      expect(ages.find((point) => point.attributes["ctxstore.quantile"] === "p99")?.value).toBe(72 * 3_600);
    } finally {
      monitor.stop();
    }
  });

  it("property: staleShare + freshShare = 1 and staleShare is the exact share of ages over maxAge", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 30 }),
        async (ages) => {
          const ctx = await storeWithAges(ages);
          const monitor = monitorFreshness(ctx, { every: "1h", sampleSize: 7, now: clock });
          const snapshot = await fullPass(monitor, Math.ceil(ages.length / 7) + 1);
          monitor.stop();
          const sample = snapshot.sources.find((entry) => entry.source === "profile")?.sample;
          if (!sample || "unavailable" in sample) throw new Error("no sample");
          expect(sample.values).toBe(ages.length);
          expect(sample.freshShare + sample.staleShare).toBeCloseTo(1, 10);
          expect(sample.staleShare).toBeCloseTo(ages.filter((hours) => hours > 48).length / ages.length, 10);
        },
      ),
      { numRuns: 25 },
    );
  });
});
