// indexDocuments: chunk, embed, upsert with progress; idempotent re-indexing, tenants, failures
// that leave the previous version searchable, and indexed documents feeding assemble.
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createContextStore } from "../context/create.js";
import { canonicalize, defineEntity } from "../definitions/entity.js";
import { vector } from "../definitions/source.js";
import { isCtxError } from "../errors.js";
import { loadEncoding, tiktokenTokenizer } from "../tokenize/tiktoken.js";
import { localEmbedder } from "../vector/local-embedder.js";
import { memoryVectorStore } from "../vector/memory.js";
import type { Embedder, VectorStore } from "../vector/types.js";
import { chunkId, type IndexProgress, indexDocuments } from "./index-documents.js";

const tokenizer = tiktokenTokenizer("o200k_base");
beforeAll(async () => {
  await loadEncoding("o200k_base");
});

const longText = (topic: string, sentences: number) =>
  Array.from(
    { length: sentences },
    (_, index) => `The ${topic} guide, part ${index}, explains step ${index} in plain words.`,
  ).join(" ");

/** Wraps an embedder to record the size of every call. */
function recording(embedder: Embedder): Embedder & { calls: number[] } {
  const calls: number[] = [];
  return {
    id: embedder.id,
    dimensions: embedder.dimensions,
    maxBatchSize: embedder.maxBatchSize,
    calls,
    embed: (texts, options) => {
      calls.push(texts.length);
      return embedder.embed(texts, options);
    },
  };
}

/** Wraps a store to record upsert batch sizes and deletes. */
function watched(store: VectorStore): VectorStore & { upserts: number[]; deletes: string[] } {
  const upserts: number[] = [];
  const deletes: string[] = [];
  return {
    name: store.name,
    upserts,
    deletes,
    upsert: (records, options) => {
      upserts.push(records.length);
      return store.upsert(records, options);
    },
    query: (query, options) => store.query(query, options),
    deleteDocument: (documentId, options) => {
      deletes.push(documentId);
      return store.deleteDocument(documentId, options);
    },
  };
}

describe("indexDocuments", () => {
  it("chunks, embeds in batches, upserts with progress, and the documents become searchable", async () => {
    const embedder = recording(localEmbedder());
    const inner = memoryVectorStore();
    const store = watched(inner);
    const progress: IndexProgress[] = [];
    const documents = [
      {
        id: "returns",
        title: "Returns policy",
        url: "https://help.example/returns",
        text: longText("returns and refunds", 30),
      },
      {
        id: "shipping",
        title: "Shipping",
        text: longText("shipping and delivery", 30),
        metadata: { lang: "en" },
      },
      {
        id: "sizes",
        title: "Size chart",
        text: "Trail shoes run half a size small. Order one size up for thick socks.",
        eventTime: "2026-01-02T00:00:00Z",
      },
    ];
    const result = await indexDocuments(documents, {
      store,
      embedder,
      tokenizer,
      maxTokens: 60,
      overlapTokens: 10,
      embedBatchSize: 7,
      upsertBatchSize: 5,
      source: "help_center",
      onProgress: (update) => progress.push(update),
    });

    expect(result.documents).toBe(3);
    expect(result.embedder).toBe("local-hash-384");
    expect(await inner.size()).toBe(result.chunks);
    expect(embedder.calls.every((size) => size <= 7)).toBe(true);
    expect(embedder.calls.reduce((sum, size) => sum + size, 0)).toBe(result.chunks);
    expect(store.upserts.every((size) => size <= 5)).toBe(true);

    const last = progress.at(-1) as IndexProgress;
    expect(last).toEqual({
      documentsTotal: 3,
      documentsDone: 3,
      chunksTotal: result.chunks,
      chunksEmbedded: result.chunks,
      chunksWritten: result.chunks,
    });
    for (let index = 1; index < progress.length; index++) {
      const [before, after] = [progress[index - 1] as IndexProgress, progress[index] as IndexProgress];
      expect(after.chunksEmbedded).toBeGreaterThanOrEqual(before.chunksEmbedded);
      expect(after.chunksWritten).toBeGreaterThanOrEqual(before.chunksWritten);
      expect(after.documentsDone).toBeGreaterThanOrEqual(before.documentsDone);
    }

    const [question] = await localEmbedder().embed(["what size trail shoes should I order"]);
    const hits = await inner.query({ vector: question as number[], topK: 3, source: "help_center" });
    expect(hits[0]).toMatchObject({
      id: chunkId("sizes", 0),
      documentId: "sizes",
      chunkIndex: 0,
      title: "Size chart",
      eventTime: Date.parse("2026-01-02T00:00:00Z"),
    });
    // Token counts are stored once at index time, and they are exact.
    expect(hits[0]?.tokens?.o200k_base).toBe(tokenizer.count(hits[0]?.text as string));
    const [shipping] = await inner.query({ vector: question as number[], topK: 1, filter: { lang: "en" } });
    expect(shipping?.documentId).toBe("shipping");
  });

  it("re-indexing is idempotent, and a shorter new version leaves none of the old chunks", async () => {
    const store = memoryVectorStore();
    const embedder = localEmbedder();
    const options = { store, embedder, tokenizer, maxTokens: 40, overlapTokens: 0 };
    const first = await indexDocuments([{ id: "manual", text: longText("manual", 20) }], options);
    await indexDocuments([{ id: "manual", text: longText("manual", 20) }], options);
    expect(await store.size()).toBe(first.chunks);
    const second = await indexDocuments([{ id: "manual", text: "The manual is now one sentence." }], options);
    expect(second.chunks).toBe(1);
    expect(await store.size()).toBe(1);
    const [vector] = await embedder.embed(["manual guide part"]);
    const hits = await store.query({ vector: vector as number[], topK: 10 });
    expect(hits.map((hit) => hit.text)).toEqual(["The manual is now one sentence."]);
  });

  it("scopes documents to their tenant on a multi-tenant store", async () => {
    const store = memoryVectorStore({ multiTenant: true });
    const embedder = localEmbedder();
    await indexDocuments([{ id: "faq", text: "Acme ships on Mondays." }], {
      store,
      embedder,
      tokenizer,
      tenant: "acme",
    });
    await indexDocuments([{ id: "faq", text: "Globex ships on Fridays.", tenant: "globex" }], {
      store,
      embedder,
      tokenizer,
    });
    const [vector] = await embedder.embed(["ships"]);
    expect(
      (await store.query({ vector: vector as number[], topK: 5, tenant: "acme" })).map((hit) => hit.text),
    ).toEqual(["Acme ships on Mondays."]);
    expect(
      (await store.query({ vector: vector as number[], topK: 5, tenant: "globex" })).map((hit) => hit.text),
    ).toEqual(["Globex ships on Fridays."]);
    await expect(
      indexDocuments([{ id: "faq", text: "No tenant here." }], { store, embedder, tokenizer }),
    ).rejects.toSatisfy((error) => isCtxError(error, "CTX_TENANT_REQUIRED"));
  });

  it("rejects empty and duplicate documents before writing anything", async () => {
    const store = watched(memoryVectorStore());
    const embedder = recording(localEmbedder());
    for (const documents of [
      [
        { id: "ok", text: "Fine." },
        { id: "blank", text: "   \n " },
      ],
      [
        { id: "ok", text: "Fine." },
        { id: "", text: "No id." },
      ],
      [
        { id: "twice", text: "One." },
        { id: "twice", text: "Two." },
      ],
      [
        { id: "ok", text: "Fine." },
        { id: "when", text: "Text.", eventTime: "not a date" },
      ],
    ]) {
      const error = await indexDocuments(documents, { store, embedder, tokenizer }).catch(
        (reason: unknown) => reason,
      );
      expect(isCtxError(error, "CTX_INVALID_DOCUMENT"), String(error)).toBe(true);
    }
    expect(embedder.calls).toEqual([]);
    expect(store.upserts).toEqual([]);
    expect(store.deletes).toEqual([]);
  });

  it("an embedder of the wrong dimension fails with expected and actual, keeping the old chunks", async () => {
    const store = memoryVectorStore();
    await indexDocuments([{ id: "doc", text: "Original text of the document." }], {
      store,
      embedder: localEmbedder(),
      tokenizer,
    });
    const lying: Embedder = {
      id: "lying",
      dimensions: 384,
      maxBatchSize: 8,
      embed: async (texts) => texts.map(() => new Array(256).fill(0.1)),
    };
    const error = await indexDocuments([{ id: "doc", text: "New text." }], {
      store,
      embedder: lying,
      tokenizer,
    }).catch((reason: unknown) => reason);
    expect(isCtxError(error, "CTX_DIMENSION_MISMATCH")).toBe(true);
    expect((error as { details: unknown }).details).toMatchObject({ expected: 384, actual: 256 });
    expect(await store.size()).toBe(1);
  });

  it("an embedder failure rejects and leaves the previous version searchable", async () => {
    const store = memoryVectorStore();
    const embedder = localEmbedder();
    await indexDocuments([{ id: "doc", text: "Original text of the document." }], {
      store,
      embedder,
      tokenizer,
    });
    const failing: Embedder = {
      ...embedder,
      embed: async () => {
        throw new Error("model endpoint returned 503");
      },
    };
    await expect(
      indexDocuments([{ id: "doc", text: "Replacement text." }], { store, embedder: failing, tokenizer }),
    ).rejects.toThrow(/503/);
    const [vector] = await embedder.embed(["original document"]);
    const hits = await store.query({ vector: vector as number[], topK: 1 });
    expect(hits.map((hit) => hit.text)).toEqual(["Original text of the document."]);
  });

  it("stops when its signal is aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      indexDocuments([{ id: "doc", text: "Text." }], {
        store: memoryVectorStore(),
        embedder: localEmbedder(),
        tokenizer,
        signal: controller.signal,
      }),
    ).rejects.toThrow();
  });

  it("chunk ids derive from document id and chunk index only", () => {
    expect(chunkId("doc-1", 3)).toBe("doc-1#3");
    expect(chunkId("doc-1", 3)).not.toBe(chunkId("doc-1", 4));
    expect(chunkId("doc-1", 3)).not.toBe(chunkId("doc-2", 3));
  });
});

describe("indexDocuments feeding assemble", () => {
  it("an entity-scoped vector source sees only that entity's documents, cited, with scores in the trace", async () => {
    const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
    const embedder = localEmbedder();
    const store = memoryVectorStore({ embedder });
    await indexDocuments(
      [
        {
          id: "ticket-1",
          title: "Ticket 1",
          text: "My trail shoes leak water after two weeks.",
          entityKey: canonicalize({ userId: "u1" }),
        },
        {
          id: "ticket-2",
          title: "Ticket 2",
          text: "My trail shoes leak water too, says another customer.",
          entityKey: canonicalize({ userId: "u2" }),
        },
      ],
      { store, embedder, tokenizer },
    );
    const tickets = vector("past_tickets", {
      store,
      embedder,
      entity: user,
      topK: 5,
      section: "Past tickets",
    });
    const ctx = createContextStore({ sources: [tickets] });
    await ctx.ready();
    const result = await ctx.assemble({
      keys: { user: { userId: "u1" } },
      query: "shoes leak water",
      budget: { maxTokens: 300 },
      deadline: "2s",
    });
    expect(result.text).toContain("- Ticket 1: My trail shoes leak water after two weeks.");
    expect(result.text).not.toContain("Ticket 2");
    const trace = result.trace.sources.find((source) => source.source === "past_tickets");
    expect(trace?.status).toBe("ok");
    expect(trace?.scores?.length).toBe(1);
    expect(trace?.scores?.[0]).toBeGreaterThan(0.5);
  });
});
