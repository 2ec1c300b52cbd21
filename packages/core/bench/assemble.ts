// assemble.memory and assemble.memory.rag: the whole request path on the embedded default stores.
// Shape (from the foundation issue): 2 entities, 30 batch/stream sources, 2 realtime sources that
// answer at once, a 2,000-token budget; the RAG variant adds a vector source over 10,000 chunks.
import { z } from "zod";
import {
  type AnySource,
  batch,
  createContextStore,
  defineEntity,
  localEmbedder,
  memoryVectorStore,
  realtime,
  stream,
  vector,
} from "../src/index.js";
import { type BenchFigure, measure, percentile } from "../src/testing/index.js";

const quick = process.env.BENCH_QUICK === "1";
const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const session = defineEntity("session", { key: z.object({ sessionId: z.string() }) });
const keys = { user: { userId: "u1" }, session: { sessionId: "s1" } };

function requestSources(): AnySource[] {
  const sources: AnySource[] = [];
  for (let index = 0; index < 20; index++) {
    sources.push(
      batch(`profile_${index}`, {
        entity: user,
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
        entity: session,
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
        entity: user,
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

async function seededContext(extra: AnySource[] = []) {
  const sources = [...requestSources(), ...extra];
  const ctx = createContextStore({ sources, deadline: "200ms" });
  await ctx.ready();
  for (const source of sources) {
    if (source.tier === "batch") {
      await ctx.write(source, keys.user, {
        summary: `Summary of ${source.name}: likes trail running and long climbs.`,
        score: 7,
      });
    } else if (source.tier === "stream") {
      for (let index = 0; index < 10; index++) {
        await ctx.append(source, keys.session, { action: "viewed", item: `product ${index}` });
      }
    }
  }
  return ctx;
}

async function timed(
  bench: string,
  run: () => Promise<unknown>,
  iterations: number,
  extra: Record<string, unknown> = {},
): Promise<BenchFigure[]> {
  const { samples, totalMs } = await measure(run, { iterations });
  return [
    { bench, metric: "p50_ms", value: percentile(samples, 50), unit: "ms", ...extra },
    { bench, metric: "p99_ms", value: percentile(samples, 99), unit: "ms", ...extra },
    { bench, metric: "ops_per_s", value: (iterations / totalMs) * 1000, unit: "ops/s", ...extra },
  ];
}

export async function runAssembleBench(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const ctx = await seededContext();
  const request = { keys, budget: { maxTokens: 2_000 } };
  await ctx.assemble(request); // first use memoises headings and notes
  const probe = await ctx.assemble(request);
  figures.push(
    ...(await timed("assemble.memory", () => ctx.assemble(request), quick ? 2_000 : 20_000, { sources: 32 })),
  );
  figures.push({
    bench: "assemble.memory",
    metric: "tokenizer_calls",
    value: probe.trace.totals.tokenizerCalls,
    unit: "calls",
    note: "steady state, per request",
  });

  const chunks = 10_000;
  const embedder = localEmbedder({ dimensions: 384 });
  const store = memoryVectorStore({ dimensions: 384 });
  const words = [
    "trail",
    "road",
    "shoe",
    "size",
    "return",
    "refund",
    "shipping",
    "warranty",
    "sock",
    "jacket",
    "waterproof",
    "wide",
    "grip",
    "mud",
    "race",
  ];
  for (let offset = 0; offset < chunks; offset += 500) {
    const texts = Array.from({ length: 500 }, (_, index) => {
      const n = offset + index;
      return `Article ${n} about ${words[n % words.length]} and ${words[(n * 7) % words.length]}: details on ${words[(n * 3) % words.length]} for runners.`;
    });
    const vectors = await embedder.embed(texts);
    await store.upsert(
      texts.map((text, index) => ({
        id: `doc-${offset + index}#0`,
        documentId: `doc-${offset + index}`,
        chunkIndex: 0,
        vector: vectors[index] as number[],
        text,
        title: `Article ${offset + index}`,
      })),
    );
  }
  const rag = await seededContext([
    vector("help_center", { store, embedder, topK: 5, section: "Articles", priority: 30 }),
  ]);
  const ragRequest = { ...request, query: "Which waterproof trail shoe has the best grip in mud?" };
  figures.push(
    ...(await timed("assemble.memory.rag", () => rag.assemble(ragRequest), quick ? 500 : 3_000, { chunks })),
  );
  return figures;
}
