// The shared assemble fixture every peer builds the same prompt from: the 20 batch + 10 stream
// sources and 2 realtime lookups of @ctxstore/bench-fixtures, plus a vector source (top 5) over
// 10,000 article chunks embedded by the local embedder, under a 2,000-token o200k_base budget.
// Peers that are not ctxstore read the same values from Redis as plain JSON (one key per source),
// and the loyalty lookup can be made to time out, so every peer faces the same failures.
import { assembleBenchSources, BENCH_KEYS, benchUser } from "@ctxstore/bench-fixtures";
import {
  type AnySource,
  localEmbedder,
  memoryVectorStore,
  realtime,
  type VectorStore,
  vector,
} from "@ctxstore/core";
import type { Redis } from "ioredis";
import { z } from "zod";

export const BUDGET = 2_000;
export const ENCODING = "o200k_base";
export const QUERY = "Which waterproof trail shoe has the best grip in mud?";
export const CHUNKS = Number(process.env.BENCH_PEERS_CHUNKS ?? 10_000);
export const TOP_K = 5;
/** Every realtime lookup gets this long, in every peer. */
export const LOOKUP_TIMEOUT_MS = 50;
/**
 * Every store read gets this long, in every peer: ctxstore's request deadline and its Redis store's
 * command timeout. (An earlier run gave the peers' reads the realtime lookups' 50 ms instead, and a
 * peer whose in-process vector scan held the event loop past 50 ms lost every read: a harness
 * artefact, not the peer's behaviour.)
 */
export const STORE_TIMEOUT_MS = 200;

/** Switches shared by all peers: a slow loyalty service answers after 200 ms (past the timeout). */
export const conditions = { loyaltySlow: false };

export async function lookup(name: "inventory" | "loyalty"): Promise<string> {
  if (name === "loyalty" && conditions.loyaltySlow) await new Promise((resolve) => setTimeout(resolve, 200));
  return `${name} ok`;
}

export interface PlainSource {
  name: string;
  tier: "batch" | "stream";
  section: string;
  priority: number;
  /** Redis key the peers read with GET. */
  key: string;
  /** The stored JSON's rendering (the same as the ctxstore source's `render`). */
  render: (stored: unknown) => string[];
}

/** The ctxstore definitions: the bench-fixtures sources with a loyalty lookup that can time out, plus the vector source. */
export function ctxstoreSources(store: VectorStore): AnySource[] {
  const sources = assembleBenchSources().filter((source) => source.name !== "loyalty");
  sources.push(
    realtime("loyalty", {
      entity: benchUser,
      schema: z.object({ value: z.string() }),
      timeout: `${LOOKUP_TIMEOUT_MS}ms`,
      section: "Live",
      priority: 40,
      resolve: async () => ({ value: await lookup("loyalty") }),
      render: (value) => value.value,
    }),
    vector("help_center", { store, embedder, topK: TOP_K, section: "Articles", priority: 30 }),
  );
  return sources;
}

export const embedder = localEmbedder({ dimensions: 384 });

/** The plain view of the batch and stream sources, for peers without ctxstore. */
export function plainSources(): PlainSource[] {
  return assembleBenchSources()
    .filter((source) => source.tier === "batch" || source.tier === "stream")
    .map((source) => ({
      name: source.name,
      tier: source.tier as "batch" | "stream",
      section: source.section.title,
      priority: source.priority,
      key: `peer:${source.name}`,
      render:
        source.tier === "batch"
          ? (stored) => {
              const value = stored as { summary: string; score: number };
              return [`${value.summary} Score ${value.score}.`];
            }
          : (stored) =>
              (stored as { action: string; item: string }[]).map((event) => `${event.action} ${event.item}`),
    }));
}

/** Writes the values `seedAssembleBench` writes, as one JSON string per source, for the peers. */
export async function seedPlain(redis: Redis): Promise<void> {
  for (const source of plainSources()) {
    const value =
      source.tier === "batch"
        ? { summary: `Summary of ${source.name}: likes trail running and long climbs.`, score: 7 }
        : Array.from({ length: 10 }, (_, index) => ({ action: "viewed", item: `product ${index}` }));
    await redis.set(source.key, JSON.stringify(value));
  }
}

export interface Chunk {
  id: string;
  text: string;
  vector: number[];
}

/** The article corpus, embedded once and shared by every peer's vector search. */
export async function articleChunks(): Promise<Chunk[]> {
  const words =
    "trail road shoe size return refund shipping warranty sock jacket waterproof wide grip mud race".split(
      " ",
    );
  const chunks: Chunk[] = [];
  for (let offset = 0; offset < CHUNKS; offset += 500) {
    const texts = Array.from({ length: Math.min(500, CHUNKS - offset) }, (_, index) => {
      const n = offset + index;
      return `Article ${n} about ${words[n % words.length]} and ${words[(n * 7) % words.length]}: details on ${words[(n * 3) % words.length]} for runners.`;
    });
    const vectors = await embedder.embed(texts);
    texts.forEach((text, index) => {
      chunks.push({ id: `doc-${offset + index}#0`, text, vector: vectors[index] as number[] });
    });
  }
  return chunks;
}

/** An embedded store holding the corpus (the by-hand and priompt peers search it directly). */
export async function chunkStore(chunks: readonly Chunk[]): Promise<VectorStore> {
  const store = memoryVectorStore({ dimensions: 384 });
  for (let offset = 0; offset < chunks.length; offset += 1_000)
    await store.upsert(
      chunks.slice(offset, offset + 1_000).map((chunk) => ({
        id: chunk.id,
        documentId: chunk.id.split("#")[0] as string,
        chunkIndex: 0,
        vector: chunk.vector,
        text: chunk.text,
      })),
    );
  return store;
}

export { BENCH_KEYS };
