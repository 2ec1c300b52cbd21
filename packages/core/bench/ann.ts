// vector.ann: the approximate index (annVectorStore, usearch HNSW) against the exact flat scan
// (memoryVectorStore) on the same chunks in the same run: p50/p99 query latency of both, recall@10
// of the index against the scan, build time, and resident memory added by each store.
// 100,000 chunks of 384 dimensions by default (BENCH_QUICK=1: 20,000); BENCH_ANN=1m runs 1,000,000 (about 6 GB of memory
// and minutes of build time on 2 cores). Runs alone: `npx tsx --conditions=@ctxstore/source bench/ann.ts`.
//
// Vectors are embedding-like: points scattered around topic centroids (one per 50 chunks). Uniform
// random vectors, where every point is nearly equidistant from every other, are the worst case for
// any graph index and not what an embedding model produces.
import { type BenchFigure, measure, percentile, report } from "@ctxstore/bench-fixtures";
import { annVectorStore, memoryVectorStore, type VectorRecord, type VectorStore } from "../src/index.js";

const DIMENSIONS = 384;
const TOP_K = 10;
const BATCH = 10_000;
/** annVectorStore's default expansionSearch; the sweep measures a smaller and a larger one on the same graph. */
const DEFAULT_EF = 128;
const EXPANSION_SEARCH = (process.env.BENCH_ANN_EF ?? "64,128,256").split(",").map(Number);

function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

/** `count` points around `count / 50` centroids, in one buffer (row views, no copies). */
function clustered(count: number, centroids: Float32Array, noiseSeed: number): Float32Array[] {
  const next = generator(noiseSeed);
  const topics = centroids.length / DIMENSIONS;
  const rows = new Float32Array(count * DIMENSIONS);
  for (let row = 0; row < count; row++) {
    const topic = (row * 7919) % topics;
    for (let index = 0; index < DIMENSIONS; index++)
      rows[row * DIMENSIONS + index] = (centroids[topic * DIMENSIONS + index] as number) + 0.35 * next();
  }
  return Array.from({ length: count }, (_, row) => rows.subarray(row * DIMENSIONS, (row + 1) * DIMENSIONS));
}

function recordsOf(vectors: readonly Float32Array[], from: number, to: number): VectorRecord[] {
  const records: VectorRecord[] = [];
  for (let index = from; index < to; index++)
    records.push({
      id: `doc${index}#0`,
      documentId: `doc${index}`,
      chunkIndex: 0,
      vector: vectors[index] as Float32Array,
      text: `Chunk ${index}`,
    });
  return records;
}

function residentMb(): number {
  return process.memoryUsage().rss / 1_048_576;
}

async function build(
  store: VectorStore,
  vectors: readonly Float32Array[],
): Promise<{ seconds: number; mb: number }> {
  const before = residentMb();
  const started = performance.now();
  for (let offset = 0; offset < vectors.length; offset += BATCH)
    await store.upsert(recordsOf(vectors, offset, Math.min(vectors.length, offset + BATCH)));
  return { seconds: (performance.now() - started) / 1_000, mb: residentMb() - before };
}

async function latency(store: VectorStore, queries: readonly Float32Array[], iterations: number) {
  let turn = 0;
  const { samples } = await measure(
    () => store.query({ vector: queries[turn++ % queries.length] as Float32Array, topK: TOP_K }),
    { iterations, warmup: 20 },
  );
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

export async function runAnnBench(): Promise<BenchFigure[]> {
  const quick = process.env.BENCH_QUICK === "1";
  const chunks =
    process.env.BENCH_ANN === "1m"
      ? 1_000_000
      : Number(process.env.BENCH_ANN_CHUNKS ?? (quick ? 20_000 : 100_000));
  const iterations = Number(process.env.BENCH_ANN_QUERIES ?? 300);
  const centroids = Float32Array.from(
    { length: Math.max(1, Math.floor(chunks / 50)) * DIMENSIONS },
    generator(1),
  );
  const vectors = clustered(chunks, centroids, 2);
  const queries = clustered(100, centroids, 3);
  const common = { chunks, dimensions: DIMENSIONS };
  const figures: BenchFigure[] = [];
  const ann = annVectorStore({ dimensions: DIMENSIONS, exactUpTo: 0 });
  const annBuild = await build(ann, vectors);
  const flat = memoryVectorStore({ dimensions: DIMENSIONS });
  const flatBuild = await build(flat, vectors);
  const flatTiming = await latency(flat, queries, Math.min(iterations, 100));
  const truth: Set<string>[] = [];
  for (const query of queries)
    truth.push(new Set((await flat.query({ vector: query, topK: TOP_K })).map((hit) => hit.id)));

  const graph = { ...common, index: "usearch hnsw M=16 ef_add=128 f16" };
  // The same graph searched with growing candidate lists (setExpansionSearch rebuilds nothing): the
  // first is the default; the sweep shows what recall each step buys and what it costs in latency.
  let defaultP50 = Number.NaN;
  for (const expansionSearch of EXPANSION_SEARCH) {
    ann.setExpansionSearch(expansionSearch);
    const timing = await latency(ann, queries, iterations);
    let found = 0;
    for (const [index, query] of queries.entries())
      for (const hit of await ann.query({ vector: query, topK: TOP_K }))
        if (truth[index]?.has(hit.id)) found++;
    const setting = { ...graph, expansion_search: expansionSearch, default: expansionSearch === DEFAULT_EF };
    if (expansionSearch === DEFAULT_EF) defaultP50 = timing.p50;
    figures.push(
      { bench: "vector.ann", metric: "p50_ms", value: timing.p50, unit: "ms", ...setting },
      { bench: "vector.ann", metric: "p99_ms", value: timing.p99, unit: "ms", ...setting },
      {
        bench: "vector.ann",
        metric: "recall_at_10",
        value: found / (queries.length * TOP_K),
        unit: "ratio",
        ...(expansionSearch === DEFAULT_EF ? { target: ">= 0.95" } : {}),
        queries: queries.length,
        ...setting,
      },
    );
  }
  figures.push(
    { bench: "vector.ann", metric: "build_s", value: annBuild.seconds, unit: "s", ...graph },
    { bench: "vector.ann", metric: "memory_mb", value: annBuild.mb, unit: "MB", ...graph },
    { bench: "vector.ann", metric: "flat_p50_ms", value: flatTiming.p50, unit: "ms", ...common },
    { bench: "vector.ann", metric: "flat_build_s", value: flatBuild.seconds, unit: "s", ...common },
    { bench: "vector.ann", metric: "flat_memory_mb", value: flatBuild.mb, unit: "MB", ...common },
    {
      bench: "vector.ann",
      metric: "speedup_vs_flat_p50",
      value: flatTiming.p50 / defaultP50,
      unit: "x",
      expansion_search: DEFAULT_EF,
      ...common,
    },
  );
  await ann.close();
  await flat.close();
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) report(await runAnnBench());
