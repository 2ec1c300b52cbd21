// annVectorStore: the VectorStore contract suite through the graph path and the exact path, recall@10
// against the flat scan, the graph staying in step with upserts and deletes (property), persistence
// (the saved graph reloaded or rebuilt, directories shared with memoryVectorStore), and bad input.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { isCtxError } from "../errors.js";
import { testVectorStore } from "../testing/vector-store-contract.js";
import { annVectorStore, loadUsearch, type UsearchModule } from "./ann.js";
import { memoryVectorStore } from "./memory.js";
import type { VectorRecord } from "./types.js";

// Every query goes through the graph (exactUpTo 0), so the contract covers the approximate path.
testVectorStore({
  name: "annVectorStore (graph)",
  create: (settings) => annVectorStore({ ...settings, exactUpTo: 0 }),
});
testVectorStore({
  name: "annVectorStore (exact below 1,000)",
  create: (settings) => annVectorStore(settings),
});

const directories: string[] = [];
async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "ctxstore-ann-"));
  directories.push(directory);
  return directory;
}
afterEach(async () => {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

/** Embedding-like data: points scattered around topic centroids (real embeddings cluster by topic). */
function clustered(count: number, dimensions: number, seed: number): Float32Array[] {
  const next = generator(seed);
  const centroids = Array.from({ length: Math.max(1, Math.floor(count / 50)) }, () =>
    Float32Array.from({ length: dimensions }, next),
  );
  return Array.from({ length: count }, (_, index) => {
    const centroid = centroids[index % centroids.length] as Float32Array;
    return centroid.map((value) => value + 0.35 * next());
  });
}

function records(vectors: readonly Float32Array[], prefix = "doc"): VectorRecord[] {
  return vectors.map((vector, index) => ({
    id: `${prefix}${index}#0`,
    documentId: `${prefix}${index}`,
    chunkIndex: 0,
    vector,
    text: `chunk ${index}`,
  }));
}

describe("annVectorStore recall", () => {
  it("finds >= 0.95 of the flat scan's top 10 over 5,000 clustered chunks of 96 dimensions", async () => {
    const dimensions = 96;
    const vectors = clustered(5_000, dimensions, 3);
    const ann = annVectorStore({ dimensions, exactUpTo: 0 });
    const flat = memoryVectorStore({ dimensions });
    await ann.upsert(records(vectors));
    await flat.upsert(records(vectors));
    const queries = clustered(200, dimensions, 3).map((vector, index) =>
      vector.map((value, component) => value + 0.2 * Math.sin(index + component)),
    );
    let found = 0;
    for (const vector of queries) {
      const truth = new Set((await flat.query({ vector, topK: 10 })).map((hit) => hit.id));
      const hits = await ann.query({ vector, topK: 10 });
      expect(ann.lastQueryPath()).toBe("graph");
      for (const hit of hits) if (truth.has(hit.id)) found++;
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
    await ann.close();
    await flat.close();
  }, 60_000);

  it("returns exact cosine scores for the hits it finds (re-scored from float32)", async () => {
    const dimensions = 32;
    const vectors = clustered(2_000, dimensions, 5);
    const ann = annVectorStore({ dimensions, exactUpTo: 0 });
    const flat = memoryVectorStore({ dimensions });
    await ann.upsert(records(vectors));
    await flat.upsert(records(vectors));
    const query = vectors[17] as Float32Array;
    const exact = new Map(
      (await flat.query({ vector: query, topK: 2_000 })).map((hit) => [hit.id, hit.score]),
    );
    for (const hit of await ann.query({ vector: query, topK: 10 }))
      expect(hit.score).toBeCloseTo(exact.get(hit.id) as number, 5);
    await ann.close();
    await flat.close();
  });
});

describe("annVectorStore filters", () => {
  it("answers a selective filter by an exact scan, and a broad one through the graph", async () => {
    const dimensions = 16;
    const vectors = clustered(3_000, dimensions, 9);
    const store = annVectorStore({ dimensions, exactUpTo: 100 });
    await store.upsert(
      records(vectors).map((record, index) => ({ ...record, source: index < 20 ? "rare" : "common" })),
    );
    const rare = await store.query({ vector: vectors[5] as Float32Array, topK: 10, source: "rare" });
    expect(store.lastQueryPath()).toBe("exact");
    expect(rare).toHaveLength(10);
    expect(rare[0]?.id).toBe("doc5#0");
    const common = await store.query({ vector: vectors[500] as Float32Array, topK: 10, source: "common" });
    expect(store.lastQueryPath()).toBe("graph");
    expect(common[0]?.id).toBe("doc500#0");
    await store.close();
  });

  it("keeps looking past candidates a metadata filter rejects", async () => {
    const dimensions = 16;
    const vectors = clustered(3_000, dimensions, 10);
    const store = annVectorStore({ dimensions, exactUpTo: 0 });
    // One chunk in 30 carries the tag: the first candidates mostly fail the filter.
    await store.upsert(
      records(vectors).map((record, index) => ({ ...record, metadata: { tagged: index % 30 === 0 } })),
    );
    const hits = await store.query({
      vector: vectors[1] as Float32Array,
      topK: 10,
      filter: { tagged: true },
    });
    expect(hits).toHaveLength(10);
    for (const hit of hits) expect(hit.metadata).toEqual({ tagged: true });
    await store.close();
  });
});

describe("annVectorStore keeps the graph in step with the records", () => {
  it("property: after any upserts, re-upserts and deletes, every live chunk is its own best hit and no deleted one is returned", async () => {
    const dimensions = 8;
    const operation = fc.oneof(
      fc.record({ op: fc.constant("upsert" as const), document: fc.nat(30), seed: fc.nat(1_000_000) }),
      fc.record({ op: fc.constant("delete" as const), document: fc.nat(30) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 60 }), async (operations) => {
        const store = annVectorStore({ dimensions, exactUpTo: 0 });
        const live = new Map<string, Float32Array>();
        for (const step of operations) {
          const documentId = `d${step.document}`;
          if (step.op === "upsert") {
            const vector = Float32Array.from({ length: dimensions }, generator(step.seed + 1));
            await store.upsert([
              { id: `${documentId}#0`, documentId, chunkIndex: 0, vector, text: documentId },
            ]);
            live.set(`${documentId}#0`, vector);
          } else {
            await store.deleteDocument(documentId);
            live.delete(`${documentId}#0`);
          }
        }
        expect(await store.size()).toBe(live.size);
        for (const [id, vector] of live) {
          const hits = await store.query({ vector, topK: live.size });
          expect(hits[0]?.score).toBeCloseTo(1, 5);
          expect(hits.some((hit) => hit.id === id)).toBe(true);
          for (const hit of hits) expect(live.has(hit.id)).toBe(true);
        }
        await store.close();
      }),
      { numRuns: 30 },
    );
  });
});

describe("annVectorStore persistence", () => {
  it("saves the graph on close and reloads it on open instead of rebuilding", async () => {
    const directory = await freshDirectory();
    const dimensions = 16;
    const vectors = clustered(1_500, dimensions, 4);
    const first = annVectorStore({ dimensions, directory, exactUpTo: 0 });
    await first.upsert(records(vectors));
    await first.deleteDocument("doc7");
    await first.close();
    const meta = JSON.parse(await readFile(join(directory, "vectors.usearch.json"), "utf8"));
    expect(meta.rows).toBe(1_499);

    const second = annVectorStore({ dimensions, directory, readOnly: true, exactUpTo: 0 });
    expect(await second.size()).toBe(1_499);
    expect(await second.graphOrigin()).toBe("saved");
    const hits = await second.query({ vector: vectors[42] as Float32Array, topK: 3 });
    expect(hits[0]?.id).toBe("doc42#0");
    expect((await second.query({ vector: vectors[7] as Float32Array, topK: 1 }))[0]?.id).not.toBe("doc7#0");
    await second.close();
  });

  it("reuses the saved graph when only expansionSearch changed; other graph settings rebuild it", async () => {
    const directory = await freshDirectory();
    const dimensions = 16;
    const vectors = clustered(1_200, dimensions, 5);
    const first = annVectorStore({ dimensions, directory, exactUpTo: 0 });
    await first.upsert(records(vectors));
    await first.close();

    const wider = annVectorStore({ dimensions, directory, exactUpTo: 0, expansionSearch: 256 });
    expect(await wider.graphOrigin()).toBe("saved");
    expect((await wider.query({ vector: vectors[77] as Float32Array, topK: 1 }))[0]?.id).toBe("doc77#0");
    expect(wider.lastQueryPath()).toBe("graph");
    await wider.close();

    for (const changed of [{ connectivity: 24 }, { expansionAdd: 64 }, { quantization: "f32" as const }]) {
      const rebuilt = annVectorStore({ dimensions, directory, exactUpTo: 0, ...changed });
      expect(await rebuilt.graphOrigin(), JSON.stringify(changed)).toBe("built");
      await rebuilt.close();
    }
  });

  it("rebuilds the graph when the log moved on after it was saved (a writer that crashed)", async () => {
    const directory = await freshDirectory();
    const dimensions = 16;
    const vectors = clustered(1_200, dimensions, 6);
    const first = annVectorStore({ dimensions, directory, exactUpTo: 0 });
    await first.upsert(records(vectors.slice(0, 1_000)));
    await first.close();
    // memoryVectorStore writes the same log format: its appends leave the saved graph behind.
    const flat = memoryVectorStore({ dimensions, directory });
    await flat.upsert(records(vectors.slice(1_000), "late"));
    await flat.close();

    const reopened = annVectorStore({ dimensions, directory, exactUpTo: 0 });
    expect(await reopened.size()).toBe(1_200);
    expect(await reopened.graphOrigin()).toBe("built");
    const hits = await reopened.query({ vector: vectors[1_100] as Float32Array, topK: 1 });
    expect(hits[0]?.id).toBe("late100#0");
    await reopened.close();
  });

  it("rebuilds from the log when the saved graph is damaged", async () => {
    const directory = await freshDirectory();
    const dimensions = 16;
    const vectors = clustered(1_100, dimensions, 8);
    const first = annVectorStore({ dimensions, directory, exactUpTo: 0 });
    await first.upsert(records(vectors));
    await first.close();
    await writeFile(join(directory, "vectors.usearch"), "not a graph");
    const reopened = annVectorStore({ dimensions, directory, exactUpTo: 0 });
    expect(await reopened.graphOrigin()).toBe("built");
    expect((await reopened.query({ vector: vectors[9] as Float32Array, topK: 1 }))[0]?.id).toBe("doc9#0");
    await reopened.close();
  });

  it("compact() rewrites the log and saves a graph that the next open reloads", async () => {
    const directory = await freshDirectory();
    const dimensions = 16;
    const vectors = clustered(1_300, dimensions, 12);
    const store = annVectorStore({ dimensions, directory, exactUpTo: 0 });
    await store.upsert(records(vectors));
    for (let index = 0; index < 200; index++) await store.deleteDocument(`doc${index}`);
    await store.compact();
    const meta = JSON.parse(await readFile(join(directory, "vectors.usearch.json"), "utf8"));
    expect(meta).toMatchObject({ rows: 1_100, logEntries: 1_100 });
    await store.close();
    const reopened = annVectorStore({ dimensions, directory, exactUpTo: 0 });
    expect(await reopened.graphOrigin()).toBe("saved");
    expect((await reopened.query({ vector: vectors[600] as Float32Array, topK: 1 }))[0]?.id).toBe("doc600#0");
    await reopened.close();
  });
});

interface Found {
  keys: BigUint64Array;
  distances: Float32Array;
}

/** The installed usearch with its Index's `search` wrapped (and each new graph reported). */
function usearchWith(hooks: {
  onCreate?: () => void;
  search: (search: (query: Float32Array, k: number) => Found, query: Float32Array, k: number) => Found;
}): UsearchModule {
  const real = loadUsearch();
  type Config = ConstructorParameters<typeof real.Index>[0];
  const Base = real.Index as unknown as new (
    config: Config,
  ) => { search(query: Float32Array, k: number, threads: number): Found };
  return {
    Index: class extends Base {
      constructor(config: Config) {
        super(config);
        hooks.onCreate?.();
      }
      override search(query: Float32Array, k: number, threads: number): Found {
        return hooks.search((q, n) => super.search(q, n, threads), query, k);
      }
    } as unknown as typeof real.Index,
  };
}

describe("annVectorStore.setExpansionSearch", () => {
  it("asks the same graph for that many candidates from the next query on; bad values are CTX_CONFIG", async () => {
    const asked: number[] = [];
    let built = 0;
    // The installed usearch, with each search's candidate count recorded.
    const recording = usearchWith({
      onCreate: () => built++,
      search: (search, query, k) => {
        asked.push(k);
        return search(query, k);
      },
    });
    const dimensions = 16;
    const vectors = clustered(2_000, dimensions, 21);
    const store = annVectorStore({ dimensions, exactUpTo: 0, usearch: recording });
    await store.upsert(records(vectors));
    const graphs = built;
    await store.query({ vector: vectors[3] as Float32Array, topK: 10 });
    store.setExpansionSearch(300);
    const hits = await store.query({ vector: vectors[3] as Float32Array, topK: 10 });
    expect(asked).toEqual([128, 300]);
    expect(built).toBe(graphs); // nothing rebuilt
    expect(hits[0]?.id).toBe("doc3#0");
    for (const bad of [1, 4_097, 12.5, Number.NaN]) {
      let caught: unknown;
      try {
        store.setExpansionSearch(bad);
      } catch (error) {
        caught = error;
      }
      expect(isCtxError(caught) && caught.code, String(bad)).toBe("CTX_CONFIG");
      expect((caught as Error).message).toMatch(/expansionSearch.*integer from 2 to 4096/);
    }
    await store.query({ vector: vectors[3] as Float32Array, topK: 10 });
    expect(asked.at(-1)).toBe(300); // a refused value changed nothing
    await store.close();
  });
});

describe("annVectorStore when the graph does not reach every row", () => {
  it("answers by exact scan when asked for every row and the graph returned fewer", async () => {
    // The installed usearch, except that a search never returns the best row: an unreached node.
    const blind = usearchWith({
      search: (search, query, k) => {
        const found = search(query, k);
        return { keys: found.keys.slice(1), distances: found.distances.slice(1) };
      },
    });
    const dimensions = 16;
    const vectors = clustered(20, dimensions, 31);
    const store = annVectorStore({ dimensions, exactUpTo: 0, usearch: blind });
    await store.upsert(records(vectors));
    const hits = await store.query({ vector: vectors[5] as Float32Array, topK: 3 });
    expect(hits[0]?.id).toBe("doc5#0");
    expect(store.lastQueryPath()).toBe("exact");
    await store.close();
  });
});

describe("annVectorStore bad input", () => {
  it("says how to install usearch when it is missing (CTX_CONFIG)", () => {
    const missing = () => {
      throw new Error("Cannot find module 'usearch'");
    };
    let caught: unknown;
    try {
      loadUsearch(missing);
    } catch (error) {
      caught = error;
    }
    expect(isCtxError(caught) && caught.code).toBe("CTX_CONFIG");
    expect((caught as Error).message).toMatch(/npm install usearch.*memoryVectorStore/);
  });

  it("rejects bad graph settings and readOnly without a directory (CTX_CONFIG)", () => {
    for (const options of [
      { connectivity: 1 },
      { expansionSearch: 1.5 },
      { readOnly: true },
      { exactUpTo: -1 },
    ]) {
      let caught: unknown;
      try {
        annVectorStore(options as never);
      } catch (error) {
        caught = error;
      }
      expect(isCtxError(caught) && caught.code).toBe("CTX_CONFIG");
    }
  });
});
