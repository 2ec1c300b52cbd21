// The ingest.redis throughput run: events applied per second by one worker process.

import { type BenchFigure, benchSession } from "@ctxstore/bench-fixtures";
import { createContextStore, stream } from "@ctxstore/core";
import { sourceField } from "@ctxstore/core/store";
import { Redis } from "ioredis";
import { z } from "zod";
import { createStreamIngestor, createStreamProducer, redisStore, type StreamEvent } from "../src/index.js";

const session = benchSession;

/** Events applied per second by one worker; `label` keeps runs on one server apart. */
export async function ingestBench(url: string, label = "ingest", quick = false): Promise<BenchFigure[]> {
  const activity = stream("activity", {
    entity: session,
    schema: z.object({ action: z.string(), item: z.string() }),
    window: 10,
    maxAge: "10m",
    section: "Activity",
    render: (event) => `${event.action} ${event.item}`,
  });
  const total = quick ? 10_000 : 50_000;
  const sessions = 1_000;
  const streamKey = `${label}:events`;
  const producer = createStreamProducer({ url, stream: streamKey });
  const now = Date.now();
  const actions = ["viewed", "added to cart", "searched for", "compared", "removed"];
  for (let offset = 0; offset < total; offset += 5_000) {
    const events: StreamEvent[] = [];
    for (let index = offset; index < Math.min(total, offset + 5_000); index++) {
      events.push({
        source: activity,
        key: { sessionId: `s${index % sessions}` },
        value: { action: actions[index % actions.length] as string, item: `product ${index % 97}` },
        eventTime: now - total + index,
        eventId: `e${index}`,
      });
    }
    await producer.publish(events);
  }
  await producer.close();
  const store = redisStore({ url, prefix: `${label}:` });
  const ctx = createContextStore({ sources: [activity], online: store });
  await ctx.ready();
  const worker = createStreamIngestor({
    contextStore: ctx,
    url,
    stream: streamKey,
    batchSize: 1_000,
    blockMs: 100,
  });
  const started = performance.now();
  await worker.start();
  while (worker.counters().processed < total) {
    if (worker.counters().invalid > 0)
      throw new Error(`ingest bench: invalid events: ${worker.counters().lastError}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const elapsedMs = performance.now() - started;
  await worker.stop();
  const floor = await rawConsumeEventsPerSecond(url, streamKey, total, 1_000);
  const admin = new Redis(url);
  const windowBytes = Number(await admin.hstrlen(`${label}:{session:sessionId=s0}`, sourceField(activity)));
  admin.disconnect();
  await ctx.close();
  return [
    {
      bench: "ingest.redis",
      metric: "window_bytes_per_event",
      value: windowBytes / activity.window,
      unit: "bytes",
      note: "10-event window of short events",
    },
    {
      bench: "ingest.redis",
      metric: "events_per_s",
      value: (total / elapsedMs) * 1000,
      unit: "events/s",
      events: total,
      sessions,
      batch: 1_000,
    },
    {
      bench: "ingest.redis.floor",
      metric: "events_per_s",
      value: floor,
      unit: "events/s",
      events: total,
      batch: 1_000,
      note: "raw XREADGROUP + XACK of the same entries, no ctxstore code",
    },
    {
      bench: "ingest.redis",
      metric: "vs_floor",
      value: ((total / elapsedMs) * 1000) / floor,
      unit: "ratio",
      target: ">= 0.5",
      note: "events_per_s / the raw read-and-ack loop's, same run",
    },
  ];
}

/**
 * The physical floor of stream ingestion on this machine: the entries the worker consumed (XADDed
 * by the producer before either timed run), read again by a second consumer group with XREADGROUP
 * in batches of `batch` and acknowledged with XACK, doing nothing with them.
 */
async function rawConsumeEventsPerSecond(
  url: string,
  streamKey: string,
  total: number,
  batch: number,
): Promise<number> {
  const raw = new Redis(url);
  await raw.xgroup("CREATE", streamKey, "floor", "0");
  const started = performance.now();
  let seen = 0;
  while (seen < total) {
    const reply = (await raw.xreadgroup(
      "GROUP",
      "floor",
      "raw",
      "COUNT",
      batch,
      "STREAMS",
      streamKey,
      ">",
    )) as [string, [string, string[]][]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0)
      throw new Error(`ingest floor: stream ${streamKey} ran dry at ${seen} of ${total}`);
    await raw.xack(streamKey, "floor", ...entries.map(([id]) => id));
    seen += entries.length;
  }
  const elapsedMs = performance.now() - started;
  raw.disconnect();
  return (seen / elapsedMs) * 1000;
}
