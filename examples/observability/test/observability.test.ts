// Runs the example against its own redis-server and scrapes its Prometheus endpoint over real HTTP:
// status counters move when the realtime source starts failing, the freshness gauges report the
// stored profiles' stale share against their maxAge, and the span tree nests realtime lookups.
import { redisServerAvailable } from "@ctxstore/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Demo, startDemo } from "../src/demo.js";

const available = redisServerAvailable();

/** `name{labels} value` lines of one metric, as { labels, value }. */
function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf("}");
    const labels: Record<string, string> = {};
    for (const match of line.slice(name.length + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[match[1] as string] = match[2] as string;
    out.push({ labels, value: Number(line.slice(close + 1).trim()) });
  }
  return out;
}

async function scrape(demo: Demo): Promise<string> {
  const response = await fetch(demo.metricsUrl);
  expect(response.status).toBe(200);
  return response.text();
}

const count = (text: string, source: string, status: string) =>
  samples(text, "ctxstore_resolutions_total").find(
    (sample) => sample.labels.ctxstore_source === source && sample.labels.ctxstore_status === status,
  )?.value ?? 0;

describe.skipIf(!available)("the observability example", () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo({ failAfterMs: 1_500, monitorEvery: "300ms", assembleEveryMs: 20, users: 20 });
  }, 30_000);
  afterAll(async () => {
    await demo?.stop();
  });

  it("status counters: inventory ok before the failure, error after it, and only then", async () => {
    await new Promise((resolve) => setTimeout(resolve, 800));
    const before = await scrape(demo);
    expect(demo.failing()).toBe(false);
    expect(count(before, "inventory", "ok")).toBeGreaterThan(0);
    expect(count(before, "inventory", "error")).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(demo.failing()).toBe(true);
    const after = await scrape(demo);
    expect(count(after, "inventory", "error")).toBeGreaterThan(0);
    // Stored sources are unaffected by a failing realtime source.
    expect(count(after, "recent_activity", "ok")).toBeGreaterThan(count(before, "recent_activity", "ok"));
  });

  it("freshness gauges: profiles written 0..60 s ago against a 30 s maxAge; ingest lag; sample available", async () => {
    const text = await scrape(demo);
    const stale = samples(text, "ctxstore_freshness_stale_share").find(
      (sample) => sample.labels.ctxstore_source === "user_profile",
    );
    // Ages i/20 * 60 s for i = 0..19, plus the seconds since they were written: at least 10 of 20 stale.
    expect(stale?.value).toBeGreaterThanOrEqual(0.5);
    expect(stale?.value).toBeLessThanOrEqual(0.75);
    const maxAge = samples(text, "ctxstore_freshness_max_age").find(
      (sample) => sample.labels.ctxstore_source === "user_profile",
    );
    expect(maxAge?.value).toBe(30);
    const sampled = samples(text, "ctxstore_freshness_sampled_values").find(
      (sample) => sample.labels.ctxstore_source === "user_profile",
    );
    expect(sampled?.value).toBe(20);
    const lag = samples(text, "ctxstore_ingest_watermark_lag").find(
      (sample) => sample.labels.ctxstore_source === "recent_activity",
    );
    expect(lag?.value).toBeGreaterThanOrEqual(0);
    expect(lag?.value).toBeLessThan(5);
    expect(samples(text, "ctxstore_freshness_sample_available").every((sample) => sample.value === 1)).toBe(
      true,
    );
  });

  it("spans: ctxstore.assemble with a ctxstore.realtime child for inventory, no values recorded", async () => {
    const spans = demo.spans.getFinishedSpans();
    const root = spans.findLast((span) => span.name === "ctxstore.assemble");
    expect(root).toBeDefined();
    const child = spans.find(
      (span) =>
        span.name === "ctxstore.realtime" && span.parentSpanContext?.spanId === root?.spanContext().spanId,
    );
    expect(child?.attributes["ctxstore.source.name"]).toBe("inventory");
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain("trail shoes");
  });
});
