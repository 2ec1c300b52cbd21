// Materialization metrics with a real DuckDB run and a real MeterProvider: values published per
// source, a guard hold counted as a held run, and the run handed to core's freshness monitor, which
// exports it as `ctxstore.materialization.{last_run,held}`.
import { batch, createContextStore, defineEntity, memoryStore, monitorFreshness } from "@ctxstore/core";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  duckdbOfflineStore,
  lastMaterializations,
  materialize,
  recordMaterialization,
} from "../src/index.js";

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const T0 = Date.parse("2026-01-10T00:00:00Z");
const customer = defineEntity("customer", { key: z.object({ customerId: z.string() }) });
const orderStats = batch("order_stats", {
  entity: customer,
  schema: z.object({ orders: z.number() }),
  maxAge: "2d",
  section: "Orders",
  render: (stats) => `${stats.orders} orders.`,
});

function rows(count: number, zeroEvery: number, at: number) {
  return Array.from({ length: count }, (_, index) => ({
    source: orderStats,
    key: { customerId: `c${index}` },
    value: { orders: index % zeroEvery === 0 ? 0 : index },
    eventTime: at,
    writeTime: at,
  }));
}

async function points(reader: MetricReader) {
  const { resourceMetrics } = await reader.collect();
  const out: Record<string, Array<{ attributes: Record<string, unknown>; value: unknown }>> = {};
  for (const scope of resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics)
      out[metric.descriptor.name] = metric.dataPoints.map((point) => ({
        attributes: point.attributes,
        value: point.value,
      }));
  return out;
}

describe("materialization metrics", () => {
  it("counts published values and a held run; the monitor exports last run and held", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const online = memoryStore();
    const context = createContextStore({ sources: [orderStats], online, now: () => T0 });
    offline.register([orderStats]);
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });

    await offline.record(rows(100, 50, T0));
    const first = await materialize({ offline, context, sources: [orderStats] });
    await recordMaterialization(first, { meterProvider });
    // Half zeros: the guard holds it.
    await offline.record(rows(100, 2, T0 + 86_400_000));
    const held = await materialize({ offline, context, sources: [orderStats] });
    expect(held.held).toEqual(["order_stats"]);
    await recordMaterialization(held, { meterProvider });
    // A dry run is not a run: no metric points, and the last real run stands for the monitor.
    const dry = await materialize({ offline, context, sources: [orderStats], dryRun: true, force: true });
    await recordMaterialization(dry, { meterProvider });
    expect(lastMaterializations(dry)).toEqual({});

    const metrics = await points(reader);
    const where = { "ctxstore.source": "order_stats", "ctxstore.target": "memory", "ctxstore.forced": false };
    expect(metrics["ctxstore.materialization.runs"]).toEqual([
      { attributes: { ...where, "ctxstore.status": "published" }, value: 1 },
      { attributes: { ...where, "ctxstore.status": "held" }, value: 1 },
    ]);
    expect(metrics["ctxstore.materialization.values"]).toEqual([
      { attributes: { ...where, "ctxstore.status": "published" }, value: 100 },
      { attributes: { ...where, "ctxstore.status": "held" }, value: 100 },
    ]);

    const last = lastMaterializations(held);
    expect(last.order_stats).toMatchObject({
      status: "held",
      forced: false,
      rows: 100,
      zeroRate: 0.5,
      target: "memory",
    });
    const monitorReader = new TestReader();
    const monitor = monitorFreshness(context, {
      every: "1h",
      now: () => T0,
      materializations: async () => last,
      meterProvider: new MeterProvider({ readers: [monitorReader] }),
    });
    try {
      const snapshot = await monitor.tick();
      expect(snapshot.sources[0]?.lastMaterialization).toEqual(last.order_stats);
      await new Promise((resolve) => setTimeout(resolve, 10));
      const gauges = await points(monitorReader);
      expect(gauges["ctxstore.materialization.held"]?.[0]?.value).toBe(1);
      expect(gauges["ctxstore.materialization.last_run"]?.[0]?.value).toBe(
        (held.startedAt + held.durationMs) / 1000,
      );
    } finally {
      monitor.stop();
      await offline.close();
    }
  });
});
