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
    context: ctx,
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
  const writeFloor = await rawConsumeEventsPerSecond(url, streamKey, total, 1_000, `${label}-raw:`);
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
    {
      bench: "ingest.redis.write_floor",
      metric: "events_per_s",
      value: writeFloor,
      unit: "events/s",
      events: total,
      batch: 1_000,
      note: "raw XREADGROUP, one pipelined HSET per entry of its value into its session's hash, XACK; no ctxstore code",
    },
    {
      bench: "ingest.redis",
      metric: "vs_write_floor",
      value: ((total / elapsedMs) * 1000) / writeFloor,
      unit: "ratio",
      note: "events_per_s / the raw read-write-and-ack loop's, same run (the job's writes included; a window append is at least one write per event)",
    },
  ];
}

/**
 * The physical floor of stream ingestion on this machine: the entries the worker consumed (XADDed
 * by the producer before either timed run), read again by a fresh consumer group with XREADGROUP
 * in batches of `batch` and acknowledged with XACK, doing nothing with them. With `writePrefix`,
 * each batch's entries are also written, one pipelined HSET per entry (its value under its source
 * in its session's hash) before the XACK: the least the job's writes can cost, still no ctxstore code.
 */
async function rawConsumeEventsPerSecond(
  url: string,
  streamKey: string,
  total: number,
  batch: number,
  writePrefix?: string,
): Promise<number> {
  const raw = new Redis(url);
  const group = writePrefix === undefined ? "floor" : "write-floor";
  await raw.xgroup("CREATE", streamKey, group, "0");
  const started = performance.now();
  let seen = 0;
  while (seen < total) {
    const reply = (await raw.xreadgroup("GROUP", group, "raw", "COUNT", batch, "STREAMS", streamKey, ">")) as
      | [string, [string, string[]][]][]
      | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0)
      throw new Error(`ingest floor: stream ${streamKey} ran dry at ${seen} of ${total}`);
    if (writePrefix !== undefined) {
      const pipeline = raw.pipeline();
      for (const [, fields] of entries) {
        const field = (name: string) => fields[fields.indexOf(name) + 1] ?? "";
        pipeline.hset(`${writePrefix}${field("key")}`, field("source"), field("value"));
      }
      await pipeline.exec();
    }
    await raw.xack(streamKey, group, ...entries.map(([id]) => id));
    seen += entries.length;
  }
  const elapsedMs = performance.now() - started;
  raw.disconnect();
  return (seen / elapsedMs) * 1000;
}
