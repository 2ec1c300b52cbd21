// ingest.curve.cluster: events applied per second by 1, 2 and 4 ingest workers in one consumer group,
// on a private Redis Cluster of 3 masters (scripts/bench-charts.mjs draws it). The workers share one
// stream; the windows they write spread over the three masters by session hash tag. All workers run
// in this process, so on a 2-core machine the curve shows how far one process scales, not a fleet.
import { type BenchFigure, benchSession } from "@ctxstore/bench-fixtures";
import { createContextStore, stream } from "@ctxstore/core";
import { z } from "zod";
import { createStreamIngestor, createStreamProducer, redisStore, type StreamEvent } from "../src/index.js";
import { startRedisCluster } from "../src/testing/index.js";

export async function ingestCurve(quick = false): Promise<BenchFigure[]> {
  const cluster = await startRedisCluster({ masters: 3 });
  const figures: BenchFigure[] = [];
  const nodes = cluster.nodes.map((node) => ({ host: node.host, port: node.port }));
  try {
    for (const workers of [1, 2, 4]) {
      const activity = stream(`activity_w${workers}`, {
        entity: benchSession,
        schema: z.object({ action: z.string(), item: z.string() }),
        window: 10,
        maxAge: "10m",
        section: "Activity",
        render: (event) => `${event.action} ${event.item}`,
      });
      const total = quick ? 10_000 : 40_000;
      const streamKey = `{curve}:events:${workers}`;
      const producer = createStreamProducer({ cluster: { nodes }, stream: streamKey });
      const now = Date.now();
      for (let offset = 0; offset < total; offset += 5_000) {
        const events: StreamEvent[] = [];
        for (let index = offset; index < Math.min(total, offset + 5_000); index++) {
          events.push({
            source: activity,
            key: { sessionId: `s${index % 2_000}` },
            value: { action: "viewed", item: `product ${index % 97}` },
            eventTime: now - total + index,
            eventId: `w${workers}e${index}`,
          });
        }
        await producer.publish(events);
      }
      await producer.close();
      const store = redisStore({ cluster: { nodes }, prefix: `curve${workers}:` });
      const ctx = createContextStore({ sources: [activity], online: store });
      await ctx.ready();
      const pool = Array.from({ length: workers }, (_, index) =>
        createStreamIngestor({
          contextStore: ctx,
          cluster: { nodes },
          stream: streamKey,
          consumer: `worker-${index}`,
          batchSize: 500,
          blockMs: 50,
        }),
      );
      const started = performance.now();
      await Promise.all(pool.map((worker) => worker.start()));
      const processed = () => pool.reduce((sum, worker) => sum + worker.counters().processed, 0);
      while (processed() < total) {
        for (const worker of pool)
          if (worker.counters().invalid > 0)
            throw new Error(`ingest curve: invalid events: ${worker.counters().lastError}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const elapsedMs = performance.now() - started;
      await Promise.all(pool.map((worker) => worker.stop()));
      await ctx.close();
      figures.push({
        bench: "ingest.curve.cluster",
        metric: "events_per_s",
        value: (total / elapsedMs) * 1_000,
        unit: "events/s",
        workers,
        masters: 3,
        events: total,
      });
    }
  } finally {
    await cluster.stop();
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { report } = await import("@ctxstore/bench-fixtures");
  report(await ingestCurve(process.env.BENCH_QUICK === "1"));
}
