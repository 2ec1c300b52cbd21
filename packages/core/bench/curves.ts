// assemble.curve.*: how the cost of one assembly grows with the work, on the embedded default stores
// (no network, so the curve is ctxstore's own code): vs the number of sources (1 to 300), vs the
// stream window (10 to 1,000 events rendered), and vs the budget (500 to 100,000 tokens over ~64,000
// tokens of content). One JSON line per point and percentile; scripts/bench-charts.mjs draws them.
import { type BenchFigure, measure, percentile } from "@ctxstore/bench-fixtures";
import { z } from "zod";
import { type AnySource, batch, createContextStore, defineEntity, stream } from "../src/index.js";

const quick = process.env.BENCH_QUICK === "1";
const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const session = defineEntity("session", { key: z.object({ sessionId: z.string() }) });
const KEYS = { user: { userId: "u1" }, session: { sessionId: "s1" } } as const;

/** `count` sources, two thirds batch and one third stream (window 10), in 10 sections. */
function mixedSources(count: number, window = 10): AnySource[] {
  const sources: AnySource[] = [];
  const streams = Math.floor(count / 3);
  for (let index = 0; index < count - streams; index++) {
    sources.push(
      batch(`profile_${index}`, {
        entity: user,
        schema: z.object({ summary: z.string() }),
        maxAge: "2d",
        section: `Profile ${index % 10}`,
        priority: 90 - (index % 50),
        render: (value) => value.summary,
      }),
    );
  }
  for (let index = 0; index < streams; index++) {
    sources.push(
      stream(`activity_${index}`, {
        entity: session,
        schema: z.object({ action: z.string(), item: z.string() }),
        window,
        maxAge: "10m",
        section: `Activity ${index % 5}`,
        priority: 60 - (index % 50),
        render: (event) => `${event.action} ${event.item}`,
      }),
    );
  }
  return sources;
}

async function seeded(sources: readonly AnySource[], events: number, summary: string) {
  const ctx = createContextStore({ sources: [...sources], deadline: "5s" });
  await ctx.ready();
  for (const source of sources) {
    if (source.tier === "batch") await ctx.write(source as never, KEYS.user, { summary } as never);
    else if (source.tier === "stream") {
      const appends = Array.from({ length: events }, (_, index) =>
        ctx.append(source as never, KEYS.session, { action: "viewed", item: `product ${index}` } as never, {
          eventId: `e${index}`,
        }),
      );
      await Promise.all(appends);
    }
  }
  return ctx;
}

async function point(
  bench: string,
  dimension: Record<string, number>,
  ctx: Awaited<ReturnType<typeof seeded>>,
  maxTokens: number,
  iterations: number,
): Promise<BenchFigure[]> {
  const streams = [...ctx.sources.values()].some((source) => source.tier === "stream");
  const request = { keys: streams ? KEYS : { user: KEYS.user }, budget: { maxTokens } };
  const probe = await ctx.assemble(request);
  const { samples } = await measure(() => ctx.assemble(request), { iterations });
  await ctx.close();
  return [
    { bench, metric: "p50_ms", value: percentile(samples, 50), unit: "ms", ...dimension },
    { bench, metric: "p99_ms", value: percentile(samples, 99), unit: "ms", ...dimension },
    { bench, metric: "tokens", value: probe.trace.totals.tokens, unit: "tokens", ...dimension },
  ];
}

const SUMMARY = "Likes trail running and long climbs; bought two pairs of shoes this spring.";

export async function runCurveBench(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const scale = quick ? 0.2 : 1;
  for (const sources of [1, 10, 30, 100, 300]) {
    const ctx = await seeded(mixedSources(sources), 10, SUMMARY);
    figures.push(
      ...(await point(
        "assemble.curve.sources",
        { sources },
        ctx,
        2_000,
        Math.max(200, Math.round((sources >= 100 ? 1_000 : 4_000) * scale)),
      )),
    );
  }
  for (const window of [10, 100, 1_000]) {
    // One stream source with `window` events beside 10 batch sources; budget large enough to render all.
    const sources = [...mixedSources(10).filter((source) => source.tier === "batch"), ...streamOf(window)];
    const ctx = await seeded(sources, window, SUMMARY);
    figures.push(
      ...(await point(
        "assemble.curve.window",
        { window },
        ctx,
        100_000,
        Math.max(100, Math.round((window >= 1_000 ? 500 : 2_000) * scale)),
      )),
    );
  }
  // ~64,000 tokens of content: 134 batch sources of ~200 tokens and 66 stream windows of 100 events.
  const long = Array.from({ length: 12 }, () => SUMMARY).join(" ");
  for (const maxTokens of [500, 2_000, 10_000, 50_000, 100_000]) {
    const ctx = await seeded(mixedSources(200, 100), 100, long);
    figures.push(
      ...(await point(
        "assemble.curve.budget",
        { max_tokens: maxTokens },
        ctx,
        maxTokens,
        Math.max(50, Math.round(300 * scale)),
      )),
    );
  }
  return figures;
}

function streamOf(window: number): AnySource[] {
  return [
    stream("activity_window", {
      entity: session,
      schema: z.object({ action: z.string(), item: z.string() }),
      window,
      maxAge: "10m",
      section: "Activity",
      priority: 60,
      render: (event) => `${event.action} ${event.item}`,
    }),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { report } = await import("@ctxstore/bench-fixtures");
  report(await runCurveBench());
}
