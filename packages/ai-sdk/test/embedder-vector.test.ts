// embedderFromAiSdk end to end: an AI SDK embedding model indexes help articles with core's
// indexDocuments, serves a vector source, and the retrieved article reaches the chat model's prompt
// through the middleware.
import { createContextStore, indexDocuments, memoryVectorStore, vector } from "@ctxstore/core";
import { generateText, wrapLanguageModel } from "ai";
import { MockEmbeddingModelV4, MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { contextMiddleware, contextTrace, embedderFromAiSdk } from "../src/index.js";
import { echoSettings, type MockModel } from "./sdk.js";

const DIMENSIONS = 64;

/** A deterministic bag-of-words embedding: each word hashed to a dimension, then normalised. */
function embedText(text: string): number[] {
  const vectorOf = new Array<number>(DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    let hash = 2166136261;
    for (const char of word) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
    const index = (hash >>> 0) % DIMENSIONS;
    vectorOf[index] = (vectorOf[index] ?? 0) + 1;
  }
  const norm = Math.hypot(...vectorOf) || 1;
  return vectorOf.map((component) => component / norm);
}

const ARTICLES = [
  { id: "returns", title: "Returns", text: "Unworn shoes can be returned within 30 days for a full refund." },
  {
    id: "sizing",
    title: "Sizing",
    text: "Trail shoes run small: pick half a size up if you are between sizes.",
  },
  { id: "shipping", title: "Shipping", text: "Orders ship within two working days from our warehouse." },
];

describe("embedderFromAiSdk serving a vector source", () => {
  it("indexes in batches of maxEmbeddingsPerCall and puts the best article in the prompt", async () => {
    const batches: string[][] = [];
    const embeddingModel = new MockEmbeddingModelV4({
      provider: "mock",
      modelId: "bag-of-words",
      maxEmbeddingsPerCall: 2,
      doEmbed: async ({ values }) => {
        batches.push(values);
        return { embeddings: values.map(embedText), warnings: [] };
      },
    });
    const embedder = await embedderFromAiSdk(embeddingModel);
    expect(embedder).toMatchObject({ id: "mock:bag-of-words", dimensions: DIMENSIONS, maxBatchSize: 2 });

    const store = memoryVectorStore({ dimensions: DIMENSIONS });
    const indexed = await indexDocuments(ARTICLES, { store, embedder, source: "help_center" });
    expect(indexed).toMatchObject({ documents: 3, chunks: 3, embedder: "mock:bag-of-words" });
    // The probe, then the three chunks in batches of at most two.
    expect(batches.map((batch) => batch.length)).toEqual([1, 2, 1]);

    const helpCenter = vector("help_center", {
      store,
      embedder,
      topK: 1,
      section: "Relevant articles",
      priority: 50,
    });
    const ctx = createContextStore({ sources: [helpCenter] });
    await ctx.ready();
    const chat = new MockLanguageModelV4(echoSettings() as never) as unknown as MockModel;
    const model = wrapLanguageModel({
      model: chat as never,
      middleware: contextMiddleware({ contextStore: ctx, budget: { maxTokens: 300 } }),
    });
    const result = await generateText({
      model,
      prompt: "Can I return shoes for a refund?",
      providerOptions: { ctxstore: { keys: {} } },
    });
    const received = chat.doGenerateCalls[0]?.prompt;
    expect(received?.[0]).toEqual({
      role: "system",
      content: expect.stringContaining("## Relevant articles"),
    });
    expect(received?.[0]?.content).toContain(
      "Unworn shoes can be returned within 30 days for a full refund.",
    );
    expect(received?.[0]?.content).not.toContain("Orders ship within two working days");
    expect(contextTrace(result.providerMetadata)?.sources[0]).toMatchObject({
      source: "help_center",
      status: "ok",
      outcome: "included",
    });
    // The query was embedded through the same model: one more single-text call.
    expect(batches.at(-1)).toEqual(["Can I return shoes for a refund?"]);
  });
});
