// The observability demo: a real redis-server (started here), the OpenTelemetry Node SDK with a
// Prometheus `/metrics` endpoint, a freshness monitor, and a stream of assemblies. After `failAfterMs`
// the realtime `inventory` source starts failing, and `ctxstore_resolutions_total{status="error"}`
// climbs: the phantom-zero wave the shipped alert rule catches.
import { batch, createContextStore, defineEntity, monitorFreshness, realtime, stream } from "@ctxstore/core";
import { redisStore } from "@ctxstore/redis";
import { freePort, type RedisServer, startRedisServer } from "@ctxstore/redis/testing";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { z } from "zod";

export const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
export const session = defineEntity("session", { key: z.object({ sessionId: z.string() }) });

export const profile = batch("user_profile", {
  entity: user,
  schema: z.object({ summary: z.string() }),
  // Short on purpose, so the demo's values go stale while you watch.
  maxAge: "30s",
  section: "User profile",
  priority: 90,
  render: (value) => value.summary,
});

export const activity = stream("recent_activity", {
  entity: session,
  schema: z.object({ action: z.string() }),
  window: 5,
  maxAge: "1m",
  section: "Recent activity",
  priority: 70,
  render: (event) => event.action,
});

export interface DemoOptions {
  /** Port of the /metrics endpoint; default a free one. */
  metricsPort?: number;
  /** When the inventory source starts failing. Default 20 s. */
  failAfterMs?: number;
  /** Time between assemblies. Default 50 ms. */
  assembleEveryMs?: number;
  /** Time between freshness ticks. Default "2s". */
  monitorEvery?: `${number}s` | `${number}ms`;
  /** Users with a stored profile. Default 50. */
  users?: number;
}

export interface Demo {
  readonly metricsUrl: string;
  readonly redis: RedisServer;
  /** Finished spans (the most recent ones), to show a span tree. */
  readonly spans: InMemorySpanExporter;
  readonly assemblies: () => number;
  readonly failing: () => boolean;
  stop(): Promise<void>;
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const metricsPort = options.metricsPort ?? (await freePort());
  const failAfterMs = options.failAfterMs ?? 20_000;
  const users = options.users ?? 50;
  const spans = new InMemorySpanExporter();
  const prometheus = new PrometheusExporter({ port: metricsPort, host: "127.0.0.1" });
  const sdk = new NodeSDK({
    serviceName: "ctxstore-observability-demo",
    metricReaders: [prometheus],
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
    instrumentations: [],
  });
  sdk.start();

  const redis = await startRedisServer({ label: "observability-demo" });
  let started = Number.POSITIVE_INFINITY;
  const failing = () => Date.now() - started >= failAfterMs;
  const inventory = realtime("inventory", {
    entity: user,
    schema: z.object({ inStock: z.number().int() }),
    timeout: "50ms",
    section: "Live inventory",
    priority: 60,
    onUnavailable: "note",
    resolve: async () => {
      if (failing()) throw new Error("inventory service answered 503");
      return { inStock: 3 };
    },
    render: (value) => `In stock: ${value.inStock}`,
  });

  const online = redisStore({ url: redis.url, prefix: "demo:" });
  const ctx = createContextStore({
    sources: [profile, activity, inventory],
    entities: [user, session],
    online,
  });
  await ctx.ready();
  // Profiles written 0..60 s ago: about half are already past their 30 s maxAge.
  const now = Date.now();
  for (let index = 0; index < users; index++) {
    await ctx.write(
      profile,
      { userId: `u${index}` },
      { summary: `Customer ${index}: prefers trail shoes.` },
      { eventTime: now - Math.round((index / users) * 60_000) },
    );
  }

  const monitor = monitorFreshness(ctx, { every: options.monitorEvery ?? "2s", sampleSize: 200 });
  let assemblies = 0;
  let stopped = false;
  started = Date.now();
  const traffic = (async () => {
    while (!stopped) {
      const index = assemblies % users;
      // The "ingest worker": one event per request, the watermark raised by ctx.append.
      await ctx.append(activity, { sessionId: `s${index}` }, { action: `viewed item ${assemblies}` });
      await ctx.assemble({
        keys: { user: { userId: `u${index}` }, session: { sessionId: `s${index}` } },
        budget: { maxTokens: 400 },
      });
      assemblies += 1;
      await new Promise((resolve) => setTimeout(resolve, options.assembleEveryMs ?? 50));
    }
  })();

  return {
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    redis,
    spans,
    assemblies: () => assemblies,
    failing,
    async stop() {
      stopped = true;
      await traffic;
      monitor.stop();
      await ctx.close();
      await sdk.shutdown();
      await redis.stop();
    },
  };
}
