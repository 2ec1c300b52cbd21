// assemble.memory and assemble.memory.rag: the whole request path on the embedded default stores,
// with the shared reference request shape (see packages/bench-fixtures); the RAG variant adds a
// vector source over 10,000 chunks of 384 dimensions.

import {
  assembleBenchSources,
  BENCH_BUDGET,
  BENCH_KEYS,
  type BenchFigure,
  latencyFigures,
  measure,
  seedAssembleBench,
} from "@ctxstore/bench-fixtures";
import {
  type AnySource,
  createContextStore,
  localEmbedder,
  memoryVectorStore,
  vector,
} from "../src/index.js";

const quick = process.env.BENCH_QUICK === "1";

async function seededContext(extra: AnySource[] = []) {
  const sources = [...assembleBenchSources(), ...extra];
  const ctx = createContextStore({ sources, deadline: "200ms" });
  await ctx.ready();
  await seedAssembleBench(ctx, sources);
  return ctx;
}

async function timed(
  bench: string,
  run: () => Promise<unknown>,
  iterations: number,
  extra: Record<string, unknown>,
) {
  const { samples, totalMs } = await measure(run, { iterations });
  return latencyFigures(bench, samples, totalMs, extra);
}

export async function runAssembleBench(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const ctx = await seededContext();
  const request = { keys: BENCH_KEYS, budget: BENCH_BUDGET };
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
