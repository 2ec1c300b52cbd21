// The ingest worker's metrics on real Redis, through a real MeterProvider: exact applied and
// dead-letter counts after a known batch of events, the pending gauge, and the lag gauge.
import { createContextStore } from "@ctxstore/core";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStreamIngestor, createStreamProducer, observeIngestor, redisStore } from "../src/index.js";
import { type RedisServer, redisServerAvailable, startRedisServer, waitFor } from "../src/testing/index.js";
import { sources } from "./fixtures/definitions.js";

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const available = redisServerAvailable();

describe.skipIf(!available)("observeIngestor", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("applied and dead-lettered events, pending and lag, by stream", async () => {
    const stream = "metrics:events";
    const store = redisStore({ url: server.url, prefix: "metrics:" });
    const context = createContextStore({ sources, online: store });
    const producer = createStreamProducer({ url: server.url, stream });
    const now = Date.now();
    for (let index = 0; index < 7; index++) {
      await producer.publish({
        source: "recent_activity",
        key: { sessionId: `s${index}` },
        value: { action: "view", n: index },
        eventTime: now - 1_000,
        eventId: `e${index}`,
      });
    }
    const admin = new Redis(server.url);
    // Two events that can never apply: an unknown source, a value failing its schema.
    await admin.xadd(stream, "*", "source", "nope", "key", "{}", "value", "{}", "eventTime", String(now));
    await admin.xadd(
      stream,
      "*",
      "source",
      "recent_activity@1",
      "key",
      '{"sessionId":"x"}',
      "value",
      '{"action":5}',
    );
    const ingestor = createStreamIngestor({ contextStore: context, url: server.url, stream, blockMs: 100 });
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const unregister = await observeIngestor(ingestor, { stream, meterProvider });
    try {
      await ingestor.start();
      await waitFor(
        () => ingestor.counters().processed + ingestor.counters().invalid === 9,
        10_000,
        "not ingested",
      );
      await ingestor.refreshLag();
      const { resourceMetrics } = await reader.collect();
      const values = new Map<string, { attributes: Record<string, unknown>; value: unknown }>();
      for (const scope of resourceMetrics.scopeMetrics)
        for (const metric of scope.metrics) {
          expect(metric.dataPoints).toHaveLength(1);
          const [point] = metric.dataPoints;
          if (point) values.set(metric.descriptor.name, { attributes: point.attributes, value: point.value });
        }
      expect(values.get("ctxstore.ingest.events")).toEqual({
        attributes: { "ctxstore.stream": stream },
        value: 7,
      });
      expect(values.get("ctxstore.ingest.dead_letters")?.value).toBe(2);
      expect(values.get("ctxstore.ingest.pending")?.value).toBe(0);
      expect(values.get("ctxstore.ingest.undelivered")?.value).toBe(0);
      expect(values.get("ctxstore.ingest.failures")?.value).toBe(0);
      const lag = values.get("ctxstore.ingest.lag")?.value as number;
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(5);
      unregister();
    } finally {
      await ingestor.stop();
      admin.disconnect();
      await context.close();
      await producer.close?.();
    }
  });
});
