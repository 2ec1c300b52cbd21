// The reference request shape every `assemble.*` benchmark uses (memory, Redis, AI SDK middleware),
// so their figures compare like with like: 2 entities, 20 batch + 10 stream sources (10 events
// each), 2 realtime sources that answer at once, a 2,000-token budget.

import { type AnySource, batch, type ContextStore, defineEntity, realtime, stream } from "@ctxstore/core";
import { z } from "zod";
import { type BenchFigure, percentile } from "./report.js";

export const benchUser = defineEntity("user", { key: z.object({ userId: z.string() }) });
export const benchSession = defineEntity("session", { key: z.object({ sessionId: z.string() }) });

export const BENCH_KEYS = { user: { userId: "u1" }, session: { sessionId: "s1" } } as const;
export const BENCH_BUDGET = { maxTokens: 2_000 } as const;

/** 20 batch, 10 stream (window 10) and 2 instant realtime sources over two entities. */
export function assembleBenchSources(): AnySource[] {
  const sources: AnySource[] = [];
  for (let index = 0; index < 20; index++) {
    sources.push(
      batch(`profile_${index}`, {
        entity: benchUser,
        schema: z.object({ summary: z.string(), score: z.number() }),
        maxAge: "2d",
        section: `Profile ${index % 4}`,
        priority: 90 - index,
        render: (value) => `${value.summary} Score ${value.score}.`,
      }),
    );
  }
  for (let index = 0; index < 10; index++) {
    sources.push(
      stream(`activity_${index}`, {
        entity: benchSession,
        schema: z.object({ action: z.string(), item: z.string() }),
        window: 10,
        maxAge: "10m",
        section: `Activity ${index % 2}`,
        priority: 60 - index,
        render: (event) => `${event.action} ${event.item}`,
      }),
    );
  }
  for (const name of ["inventory", "loyalty"]) {
    sources.push(
      realtime(name, {
        entity: benchUser,
        schema: z.object({ value: z.string() }),
        timeout: "50ms",
        section: "Live",
        priority: 40,
        resolve: () => ({ value: `${name} ok` }),
        render: (value) => value.value,
      }),
    );
  }
  return sources;
}

/** Writes one value per batch source and 10 events per stream source for BENCH_KEYS. */
export async function seedAssembleBench(ctx: ContextStore, sources: readonly AnySource[]): Promise<void> {
  for (const source of sources) {
    if (source.tier === "batch") {
      await ctx.write(source, BENCH_KEYS.user, {
        summary: `Summary of ${source.name}: likes trail running and long climbs.`,
        score: 7,
      });
    } else if (source.tier === "stream") {
      for (let index = 0; index < 10; index++) {
        await ctx.append(source, BENCH_KEYS.session, { action: "viewed", item: `product ${index}` });
      }
    }
  }
}

/** p50, p99 and ops/s figures from per-iteration samples (ms). */
export function latencyFigures(
  bench: string,
  samples: readonly number[],
  totalMs: number,
  extra: Record<string, unknown> = {},
): BenchFigure[] {
  return [
    { bench, metric: "p50_ms", value: percentile(samples, 50), unit: "ms", ...extra },
    { bench, metric: "p99_ms", value: percentile(samples, 99), unit: "ms", ...extra },
    { bench, metric: "ops_per_s", value: (samples.length / totalMs) * 1000, unit: "ops/s", ...extra },
  ];
}
