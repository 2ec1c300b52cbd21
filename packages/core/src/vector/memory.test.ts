// memoryVectorStore: the VectorStore contract suite, plus its kernels, the int8-pruned search's
// exactness, growth, option checks, close, and persistence to a directory (reload, tenants, locks).
import { spawnSync } from "node:child_process";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isCtxError } from "../errors.js";
import { testVectorStore } from "../testing/vector-store-contract.js";
import { localEmbedder } from "./local-embedder.js";
import { memoryVectorStore } from "./memory.js";
import type { VectorRecord } from "./types.js";

testVectorStore({ name: "memoryVectorStore", create: (settings) => memoryVectorStore(settings) });
testVectorStore({
  name: "memoryVectorStore (plain JS kernel)",
  create: (settings) => memoryVectorStore({ ...settings, kernel: "js" }),
});
// Forces the int8 candidate pass on every query, so the contract covers it too.
testVectorStore({
  name: "memoryVectorStore (int8 candidates)",
  create: (settings) => memoryVectorStore({ ...settings, exactUpTo: 0 }),
});

const directories: string[] = [];
async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "ctxstore-vectors-"));
  directories.push(directory);
  return directory;
}
afterEach(async () => {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

function unit(dimensions: number, seed: number): number[] {
  let state = seed * 2654435761;
  return Array.from({ length: dimensions }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
}

function records(count: number, dimensions: number, prefix = "doc"): VectorRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `${prefix}${index}#0`,
    documentId: `${prefix}${index}`,
    chunkIndex: 0,
    vector: unit(dimensions, index + 1),
    text: `Text of ${prefix} ${index}`,
    title: `Title ${index}`,
    tokens: { o200k_base: 5 },
    metadata: { index },
  }));
}

describe("memoryVectorStore", () => {
  it("defaults to 384 dimensions, the local embedder's size", async () => {
    const store = memoryVectorStore();
    const embedder = localEmbedder();
    expect(store.dimensions).toBe(384);
    const [vector] = await embedder.embed(["waterproof trail shoes"]);
    await store.upsert([
      {
        id: "a#0",
        documentId: "a",
        chunkIndex: 0,
        vector: vector as number[],
        text: "waterproof trail shoes",
      },
    ]);
    const [hit] = await store.query({ vector: vector as number[], topK: 1 });
    expect(hit?.score).toBeCloseTo(1, 5);
  });

  it("uses the WebAssembly SIMD kernel on Node, and both kernels rank alike", async () => {
    const simd = memoryVectorStore({ dimensions: 40 });
    const plain = memoryVectorStore({ dimensions: 40, kernel: "js" });
    expect(simd.kernel).toBe("wasm-simd");
    expect(plain.kernel).toBe("js");
    const batch = records(3_000, 40);
    await simd.upsert(batch);
    await plain.upsert(batch);
    for (let seed = 1_000; seed < 1_020; seed++) {
      const query = { vector: unit(40, seed), topK: 10 };
      const [fast, slow] = [await simd.query(query), await plain.query(query)];
      expect(fast.map((hit) => hit.id)).toEqual(slow.map((hit) => hit.id));
      for (const [rank, hit] of fast.entries()) expect(hit.score).toBeCloseTo(slow[rank]?.score as number, 5);
    }
  });

  it("the int8-pruned search returns exactly the exact scan's top k on lexical vectors full of near-ties", async () => {
    const embedder = localEmbedder();
    const words =
      "order refund size trail shoe waterproof warranty invoice delivery parcel label courier boot sock".split(
        " ",
      );
    let state = 3;
    const next = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const phrase = (length: number) =>
      Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(" ");
    const texts = Array.from({ length: 4_000 }, () => phrase(3 + Math.floor(next() * 8)));
    const vectors = await embedder.embed(texts.slice(0, 500)).then(async (first) => {
      const all = [...first];
      for (let offset = 500; offset < texts.length; offset += 500)
        all.push(...(await embedder.embed(texts.slice(offset, offset + 500))));
      return all;
    });
    const pruned = memoryVectorStore({ exactUpTo: 0 });
    const exact = memoryVectorStore({ exactUpTo: Number.POSITIVE_INFINITY });
    const batch = texts.map((text, index) => ({
      id: `t${index}#0`,
      documentId: `t${index}`,
      chunkIndex: 0,
      vector: vectors[index] as number[],
      text,
    }));
    await pruned.upsert(batch);
    await exact.upsert(batch);
    for (let round = 0; round < 30; round++) {
      const [vector] = await embedder.embed([phrase(2 + (round % 3))]);
      const query = { vector: vector as number[], topK: 10 };
      const [fast, slow] = [await pruned.query(query), await exact.query(query)];
      // Equal scores may tie-break differently; the score at every rank must match (float32 vs
      // float64 accumulation differ in the sixth decimal).
      expect(fast).toHaveLength(slow.length);
      for (const [rank, hit] of fast.entries()) expect(hit.score).toBeCloseTo(slow[rank]?.score as number, 4);
    }
  });

  it("falls back to the full scan when nearly every row could be in the top k (identical vectors)", async () => {
    const store = memoryVectorStore({ dimensions: 32, exactUpTo: 0 });
    const same = unit(32, 42);
    await store.upsert(
      Array.from({ length: 6_000 }, (_, index) => ({
        id: `same${index}#0`,
        documentId: `same${index}`,
        chunkIndex: 0,
        vector: same,
        text: "x",
      })),
    );
    await store.upsert([
      { id: "best#0", documentId: "best", chunkIndex: 0, vector: unit(32, 7), text: "best" },
    ]);
    const hits = await store.query({ vector: unit(32, 7), topK: 3 });
    expect(hits[0]?.id).toBe("best#0");
    expect(hits).toHaveLength(3);
  });

  it("keeps working as it grows past its initial capacity and shrinks again", async () => {
    const store = memoryVectorStore({ dimensions: 24, exactUpTo: 500 });
    await store.upsert(records(5_000, 24));
    expect(await store.size()).toBe(5_000);
    for (let index = 0; index < 5_000; index += 2) await store.deleteDocument(`doc${index}`);
    expect(await store.size()).toBe(2_500);
    // Every remaining record still finds itself first (swap-removal moved rows around).
    for (const index of [1, 777, 2_501, 4_999]) {
      const [hit] = await store.query({ vector: unit(24, index + 1), topK: 1 });
      expect(hit?.id).toBe(`doc${index}#0`);
      expect(hit?.score).toBeCloseTo(1, 5);
    }
  });

  it("rejects invalid options and queries with typed errors", async () => {
    expect(() => memoryVectorStore({ dimensions: 0 })).toThrow(/dimensions/);
    const store = memoryVectorStore({ dimensions: 4 });
    await expect(store.query({ vector: [1, 0, 0, 0], topK: 0 })).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_INVALID_REQUEST"),
    );
    await expect(store.deleteDocument("")).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_INVALID_REQUEST"),
    );
  });

  it("refuses calls after close", async () => {
    const store = memoryVectorStore({ dimensions: 4 });
    await store.close();
    await expect(store.query({ vector: [1, 0, 0, 0], topK: 1 })).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_STORE_UNAVAILABLE"),
    );
  });
});

describe("memoryVectorStore persistence", () => {
  it("indexes once and answers the same queries from a new store on the same directory", async () => {
    const directory = await freshDirectory();
    const first = memoryVectorStore({ dimensions: 32, directory });
    await first.upsert(records(200, 32));
    await first.deleteDocument("doc7");
    await first.upsert([{ ...(records(1, 32)[0] as VectorRecord), text: "replaced text" }]);
    const before = await first.query({ vector: unit(32, 8), topK: 5 });
    await first.close();

    const second = memoryVectorStore({ dimensions: 32, directory });
    expect(await second.size()).toBe(199);
    expect(await second.query({ vector: unit(32, 8), topK: 5 })).toEqual(before);
    const [zero] = await second.query({ vector: unit(32, 1), topK: 1 });
    expect(zero).toMatchObject({
      id: "doc0#0",
      text: "replaced text",
      title: "Title 0",
      tokens: { o200k_base: 5 },
      metadata: { index: 0 },
    });
    await second.close();
  });

  it("keeps tenants apart across a reload", async () => {
    const directory = await freshDirectory();
    const first = memoryVectorStore({ dimensions: 8, directory, multiTenant: true });
    const base = { documentId: "doc", chunkIndex: 0, vector: unit(8, 1) };
    await first.upsert([
      { ...base, id: "doc#0", tenant: "acme", text: "acme" },
      { ...base, id: "doc#0", tenant: "globex", text: "globex" },
    ]);
    await first.deleteDocument("doc", { tenant: "acme" });
    await first.close();
    const second = memoryVectorStore({ dimensions: 8, directory, multiTenant: true });
    expect(await second.query({ vector: unit(8, 1), topK: 3, tenant: "acme" })).toEqual([]);
    expect(
      (await second.query({ vector: unit(8, 1), topK: 3, tenant: "globex" })).map((hit) => hit.text),
    ).toEqual(["globex"]);
    await second.close();
  });

  it("refuses a directory written with another dimension, naming both", async () => {
    const directory = await freshDirectory();
    const first = memoryVectorStore({ dimensions: 8, directory });
    await first.upsert(records(3, 8));
    await first.close();
    const second = memoryVectorStore({ dimensions: 16, directory });
    const error = await second.size().catch((reason: unknown) => reason);
    expect(isCtxError(error, "CTX_DIMENSION_MISMATCH")).toBe(true);
    expect((error as { details: unknown }).details).toMatchObject({ expected: 16, actual: 8 });
    await expect(second.query({ vector: unit(16, 1), topK: 1 })).rejects.toSatisfy((reason) =>
      isCtxError(reason, "CTX_DIMENSION_MISMATCH"),
    );
  });

  it("records the embedder and refuses to serve its vectors to another one", async () => {
    const directory = await freshDirectory();
    const first = memoryVectorStore({ directory, embedder: localEmbedder() });
    expect(first.dimensions).toBe(384);
    await first.upsert(records(2, 384));
    await first.close();
    const same = memoryVectorStore({ directory, embedder: localEmbedder() });
    expect(await same.size()).toBe(2);
    await same.close();
    const other = memoryVectorStore({
      directory,
      embedder: { id: "openai:text-embedding-3-small", dimensions: 384 },
    });
    const error = await other.size().catch((reason: unknown) => reason);
    expect(isCtxError(error, "CTX_CONFIG")).toBe(true);
    expect((error as Error).message).toContain("local-hash-384");
    // Without an embedder the directory still opens (the caller takes responsibility).
    const anonymous = memoryVectorStore({ directory });
    expect(await anonymous.size()).toBe(2);
    await anonymous.close();
    expect(() => memoryVectorStore({ dimensions: 128, embedder: localEmbedder() })).toThrow(/128/);
  });

  it("allows one writer per directory, and takes over the lock of a process that died", async () => {
    const directory = await freshDirectory();
    const writer = memoryVectorStore({ dimensions: 8, directory });
    await writer.upsert(records(2, 8));
    const second = memoryVectorStore({ dimensions: 8, directory });
    const error = await second.size().catch((reason: unknown) => reason);
    expect(isCtxError(error, "CTX_CONFIG")).toBe(true);
    expect((error as Error).message).toContain(String(process.pid));
    await writer.close();
    const third = memoryVectorStore({ dimensions: 8, directory });
    expect(await third.size()).toBe(2);
    await third.close();

    // A lock left behind by a crashed process (its pid no longer exists) is taken over.
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid as number;
    await writeFile(join(directory, "vectors.lock"), String(dead));
    const afterCrash = memoryVectorStore({ dimensions: 8, directory });
    expect(await afterCrash.size()).toBe(2);
    await afterCrash.close();
  });

  it("read-only stores query an index another store is writing, never modify it, and refuse writes", async () => {
    const directory = await freshDirectory();
    const writer = memoryVectorStore({ dimensions: 8, directory });
    await writer.upsert(records(3, 8));
    const log = join(directory, "vectors.jsonl");
    await appendFile(log, '{"op":"upsert","record":{"id":"half-writ');
    const before = await readFile(log, "utf8");

    const reader = memoryVectorStore({ dimensions: 8, directory, readOnly: true });
    expect(await reader.size()).toBe(3);
    const [hit] = await reader.query({ vector: unit(8, 2), topK: 1 });
    expect(hit?.id).toBe("doc1#0");
    await expect(reader.upsert(records(1, 8, "x"))).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_CONFIG"),
    );
    await expect(reader.deleteDocument("doc1")).rejects.toSatisfy((error) => isCtxError(error, "CTX_CONFIG"));
    expect(await reader.size()).toBe(3);
    expect(await readFile(log, "utf8")).toBe(before);
    await reader.close();
    await writer.close();
  });

  it("a read-only store on a missing index fails instead of answering []", async () => {
    const directory = join(await freshDirectory(), "never-indexed");
    const reader = memoryVectorStore({ dimensions: 8, directory, readOnly: true });
    await expect(reader.query({ vector: unit(8, 1), topK: 1 })).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_STORE_UNAVAILABLE"),
    );
    expect(() => memoryVectorStore({ readOnly: true })).toThrow(/directory/);
  });

  it("drops a torn last line (a crash mid-write) and keeps appending cleanly", async () => {
    const directory = await freshDirectory();
    const first = memoryVectorStore({ dimensions: 8, directory });
    await first.upsert(records(3, 8));
    await first.close();
    const log = join(directory, "vectors.jsonl");
    await appendFile(log, '{"op":"upsert","record":{"id":"torn#0","documentId":"to');

    const second = memoryVectorStore({ dimensions: 8, directory });
    expect(await second.size()).toBe(3);
    await second.upsert(records(1, 8, "later"));
    await second.close();
    const third = memoryVectorStore({ dimensions: 8, directory });
    expect(await third.size()).toBe(4);
    await third.close();
  });

  it("refuses a log corrupted before its last line rather than silently losing chunks", async () => {
    const directory = await freshDirectory();
    const first = memoryVectorStore({ dimensions: 8, directory });
    await first.upsert(records(3, 8));
    await first.close();
    const log = join(directory, "vectors.jsonl");
    const lines = (await readFile(log, "utf8")).split("\n");
    lines[2] = "garbage";
    await writeFile(log, lines.join("\n"));
    const second = memoryVectorStore({ dimensions: 8, directory });
    await expect(second.size()).rejects.toSatisfy(
      (error) => isCtxError(error, "CTX_CONFIG") && /line 3/.test((error as Error).message),
    );
  });

  it("compacts a log that is mostly overwritten entries", async () => {
    const directory = await freshDirectory();
    const first = memoryVectorStore({ dimensions: 8, directory });
    for (let round = 0; round < 30; round++) await first.upsert(records(100, 8));
    await first.close();
    const log = join(directory, "vectors.jsonl");
    const linesBefore = (await readFile(log, "utf8")).trim().split("\n").length;
    const second = memoryVectorStore({ dimensions: 8, directory });
    expect(await second.size()).toBe(100);
    const linesAfter = (await readFile(log, "utf8")).trim().split("\n").length;
    expect(linesBefore).toBe(3_001);
    expect(linesAfter).toBe(101);
    await second.upsert(records(1, 8, "after-compaction"));
    await second.close();
    const third = memoryVectorStore({ dimensions: 8, directory });
    expect(await third.size()).toBe(101);
    await third.close();
  });
});
