// The freshness monitor on real Redis (standalone and a 3-master Cluster): values written with known
// ages give exact stale shares, percentiles and gauges; each tick is one bounded SCAN step (counted
// in INFO commandstats), never a scan of the whole keyspace; other namespaces are not sampled.
import { createContextStore, monitorFreshness } from "@ctxstore/core";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisStore } from "../src/index.js";
import {
  commandStats,
  type RedisClusterHandle,
  type RedisServer,
  redisServerAvailable,
  startRedisCluster,
  startRedisServer,
} from "../src/testing/index.js";
import { profile, recent, session, user } from "./fixtures/definitions.js";

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const available = redisServerAvailable();
const NOW = Date.parse("2026-11-21T12:00:00Z");
const clock = () => NOW;
const HOUR = 3_600_000;
// profile's maxAge is 1d: 6 of these 10 are fresh, 4 stale.
const AGES_HOURS = [1, 2, 4, 8, 12, 20, 30, 40, 50, 100];

async function seeded(online: ReturnType<typeof redisStore>) {
  const ctx = createContextStore({
    sources: [profile, recent],
    entities: [user, session],
    online,
    now: clock,
  });
  await ctx.ready();
  for (const [index, hours] of AGES_HOURS.entries()) {
    await ctx.write(
      profile,
      { userId: `u${index}` },
      { summary: "s", revision: 1 },
      { eventTime: NOW - hours * HOUR },
    );
  }
  // Appended as an ingest worker would (ctx.append would raise the watermark to now); the worker's
  // watermark trails by two minutes.
  await online.append([
    ctx.toWindowAppend(
      recent,
      { sessionId: "s1" },
      { action: "view", n: 1 },
      { eventTime: NOW - 5 * 60_000 },
    ),
  ]);
  await ctx.heartbeat(recent, NOW - 120_000);
  return ctx;
}

async function untilPassEnds(monitor: ReturnType<typeof monitorFreshness>, maxTicks: number) {
  let snapshot = monitor.snapshot();
  for (let tick = 0; tick < maxTicks; tick++) snapshot = await monitor.tick();
  return snapshot;
}

const EXPECTED_SAMPLE = {
  values: 10,
  freshShare: 0.6,
  staleShare: 0.4,
  ageMs: { p50: 12 * HOUR, p90: 50 * HOUR, p99: 100 * HOUR },
};

describe.skipIf(!available)("monitorFreshness on Redis (standalone)", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("exact shares, percentiles, ingest lag and gauges for values written with known ages", async () => {
    const online = redisStore({ url: server.url, prefix: "fresh:" });
    // Another namespace on the same server is not this store's: never sampled.
    const other = redisStore({ url: server.url, prefix: "fresh:", tenant: "other" });
    const ctx = await seeded(online);
    const otherCtx = createContextStore({ sources: [profile], entities: [user], online: other, now: clock });
    await otherCtx.ready();
    await otherCtx.write(
      profile,
      { userId: "x" },
      { summary: "s", revision: 1 },
      { eventTime: NOW - 500 * HOUR },
    );
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const monitor = monitorFreshness(ctx, { every: "1h", sampleSize: 4, now: clock, meterProvider });
    try {
      const snapshot = await untilPassEnds(monitor, 8);
      const byName = Object.fromEntries(snapshot.sources.map((source) => [source.source, source]));
      expect(byName.profile?.sample).toEqual(EXPECTED_SAMPLE);
      expect(byName.recent_activity?.ingestLagMs).toBe(120_000);
      expect(byName.recent_activity?.sample).toMatchObject({ values: 1, staleShare: 0 });

      const { resourceMetrics } = await reader.collect();
      const points = new Map<string, Array<{ attributes: Record<string, unknown>; value: unknown }>>();
      for (const scope of resourceMetrics.scopeMetrics)
        for (const metric of scope.metrics)
          points.set(
            metric.descriptor.name,
            metric.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value })),
          );
      expect(points.get("ctxstore.freshness.stale_share")).toContainEqual({
        attributes: { "ctxstore.source": "profile", "ctxstore.tier": "batch" },
        value: 0.4,
      });
      expect(points.get("ctxstore.ingest.watermark_lag")).toEqual([
        { attributes: { "ctxstore.source": "recent_activity", "ctxstore.tier": "stream" }, value: 120 },
      ]);
      expect(points.get("ctxstore.freshness.max_age")).toContainEqual({
        attributes: { "ctxstore.source": "profile", "ctxstore.tier": "batch" },
        value: 86_400,
      });
    } finally {
      monitor.stop();
      await ctx.close();
      await otherCtx.close();
    }
  });

  it("one tick is one bounded SCAN step plus one HGETALL per key found, whatever the keyspace size", async () => {
    const online = redisStore({ url: server.url, prefix: "cost:" });
    const ctx = createContextStore({ sources: [profile], entities: [user], online, now: clock });
    await ctx.ready();
    const writes = Array.from({ length: 2_000 }, (_, index) =>
      ctx.toValueWrite(
        profile,
        { userId: `u${index}` },
        { summary: "s", revision: 1 },
        { eventTime: NOW - HOUR },
      ),
    );
    await online.write(writes);
    const monitor = monitorFreshness(ctx, { every: "1h", sampleSize: 50, now: clock });
    try {
      await monitor.tick();
      const before = await commandStats(server.port);
      await monitor.tick();
      const after = await commandStats(server.port);
      const scans = (after.scan ?? 0) - (before.scan ?? 0);
      const hgetalls = (after.hgetall ?? 0) - (before.hgetall ?? 0);
      expect(scans).toBe(1);
      // SCAN's COUNT is a hint: a step returns about that many keys, far from all 2,000.
      expect(hgetalls).toBeGreaterThan(0);
      expect(hgetalls).toBeLessThan(200);
      expect(monitor.lastTick.commands).toBe(1 + hgetalls);
    } finally {
      monitor.stop();
      await ctx.close();
    }
  });
});

describe.skipIf(!available)("monitorFreshness on a 3-master Redis Cluster", () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("walks the masters one after the other and reaches every entity in a pass", async () => {
    const online = redisStore({ cluster: { nodes: cluster.nodes }, prefix: "fresh:" });
    const ctx = await seeded(online);
    const monitor = monitorFreshness(ctx, { every: "1h", sampleSize: 4, now: clock });
    try {
      const snapshot = await untilPassEnds(monitor, 12);
      const profileFreshness = snapshot.sources.find((source) => source.source === "profile");
      expect(profileFreshness?.sample).toEqual(EXPECTED_SAMPLE);
      expect(monitor.lastTick.commands).toBeLessThan(20);
    } finally {
      monitor.stop();
      await ctx.close();
    }
  });
});
