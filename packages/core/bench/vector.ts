// vector.memory: query latency of the embedded vector store at 10,000 and 100,000 chunks of 384
// dimensions (targets: 2 ms and 10 ms p50), with the exact SIMD scan and the plain-JS kernel as
// same-run baselines, and recall_at_10 of the int8-pruned path against the exact scan (1 by
// construction: the pruning uses a proven error bound; the figure checks it).
// index.memory: chunks per second through the whole indexing pipeline (chunk + count + embed with
// the local embedder + upsert).
//
// Vectors are uniform random: every score is close to every other, the hardest case for pruning.

import { type BenchFigure, measure, percentile } from "@ctxstore/bench-fixtures";
import {
  indexDocuments,
  loadEncoding,
  localEmbedder,
  memoryVectorStore,
  tiktokenTokenizer,
  type VectorRecord,
} from "../src/index.js";

const DIMENSIONS = 384;
const TOP_K = 10;

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

function randomVector(next: () => number): Float32Array {
  const vector = new Float32Array(DIMENSIONS);
  for (let index = 0; index < DIMENSIONS; index++) vector[index] = next();
  return vector;
}

function corpus(chunks: number, seed: number): VectorRecord[] {
  const next = random(seed);
  return Array.from({ length: chunks }, (_, index) => ({
    id: `doc${Math.floor(index / 4)}#${index % 4}`,
    documentId: `doc${Math.floor(index / 4)}`,
    chunkIndex: index % 4,
    vector: randomVector(next),
    text: `Chunk ${index}`,
    tokens: { o200k_base: 3 },
  }));
}

async function fill(
  store: ReturnType<typeof memoryVectorStore>,
  records: readonly VectorRecord[],
): Promise<void> {
  for (let offset = 0; offset < records.length; offset += 5_000)
    await store.upsert(records.slice(offset, offset + 5_000));
}

async function latency(
  store: ReturnType<typeof memoryVectorStore>,
  queries: readonly Float32Array[],
  iterations: number,
) {
  let turn = 0;
  const { samples } = await measure(
    () => store.query({ vector: queries[turn++ % queries.length] as Float32Array, topK: TOP_K }),
    {
      iterations,
      warmup: 30,
    },
  );
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

export async function runVectorBench(): Promise<BenchFigure[]> {
  const quick = process.env.BENCH_QUICK === "1";
  const figures: BenchFigure[] = [];
  const next = random(7);
  const queries = Array.from({ length: 64 }, () => randomVector(next));

  for (const chunks of quick ? [10_000] : [10_000, 100_000]) {
    const records = corpus(chunks, chunks);
    const store = memoryVectorStore({ dimensions: DIMENSIONS });
    await fill(store, records);
    const iterations = chunks >= 100_000 ? 300 : 1_000;
    const timing = await latency(store, queries, iterations);
    const path = chunks > 20_000 ? "int8 bound + exact re-score" : "exact scan";
    figures.push({
      bench: "vector.memory",
      metric: "p50_ms",
      value: timing.p50,
      unit: "ms",
      chunks,
      dimensions: DIMENSIONS,
      kernel: store.kernel,
      path,
    });
    figures.push({
      bench: "vector.memory",
      metric: "p99_ms",
      value: timing.p99,
      unit: "ms",
      chunks,
      dimensions: DIMENSIONS,
      kernel: store.kernel,
      path,
    });

    // Same-run baselines: an exact SIMD scan (what the int8 pass replaces) and the plain-JS kernel.
    const exact = memoryVectorStore({ dimensions: DIMENSIONS, exactUpTo: Number.POSITIVE_INFINITY });
    await fill(exact, records);
    const exactTiming = await latency(exact, queries, Math.min(iterations, 200));
    figures.push({
      bench: "vector.memory",
      metric: "exact_scan_p50_ms",
      value: exactTiming.p50,
      unit: "ms",
      chunks,
      kernel: exact.kernel,
    });
    if (chunks > 20_000) {
      let found = 0;
      for (const query of queries) {
        const truth = new Set((await exact.query({ vector: query, topK: TOP_K })).map((hit) => hit.id));
        for (const hit of await store.query({ vector: query, topK: TOP_K })) if (truth.has(hit.id)) found++;
      }
      figures.push({
        bench: "vector.memory",
        metric: "recall_at_10",
        value: found / (queries.length * TOP_K),
        unit: "ratio",
        chunks,
        queries: queries.length,
      });
    }
    await exact.close();
    if (chunks === 10_000) {
      const plain = memoryVectorStore({ dimensions: DIMENSIONS, kernel: "js" });
      await fill(plain, records);
      const plainTiming = await latency(plain, queries, 200);
      figures.push({
        bench: "vector.memory",
        metric: "js_kernel_p50_ms",
        value: plainTiming.p50,
        unit: "ms",
        chunks,
      });
      figures.push({
        bench: "vector.memory",
        metric: "simd_speedup",
        value: plainTiming.p50 / timing.p50,
        unit: "x",
        chunks,
      });
      await plain.close();
    }
    await store.close();
  }

  // index.memory: the full pipeline with the offline embedder, ~3 chunks per document.
  await loadEncoding("o200k_base");
  const tokenizer = tiktokenTokenizer("o200k_base");
  const documentCount = quick ? 300 : 2_000;
  const words =
    "order shipping return refund size trail shoe waterproof warranty invoice delivery account password store pickup gift card".split(
      " ",
    );
  const pick = random(11);
  const documents = Array.from({ length: documentCount }, (_, index) => ({
    id: `article-${index}`,
    title: `Article ${index}`,
    text: Array.from({ length: 30 }, (_, sentence) => {
      const chosen = Array.from(
        { length: 10 },
        () => words[Math.floor((pick() + 0.5) * words.length)] as string,
      );
      return `Sentence ${sentence} covers ${chosen.join(" ")}.`;
    }).join(" "),
  }));
  const store = memoryVectorStore({ dimensions: DIMENSIONS });
  const started = performance.now();
  const result = await indexDocuments(documents, {
    store,
    embedder: localEmbedder(),
    tokenizer,
    maxTokens: 128,
    overlapTokens: 16,
  });
  const seconds = (performance.now() - started) / 1_000;
  figures.push({
    bench: "index.memory",
    metric: "chunks_per_s",
    value: result.chunks / seconds,
    unit: "chunks/s",
    chunks: result.chunks,
    embedder: result.embedder,
  });
  await store.close();
  return figures;
}
