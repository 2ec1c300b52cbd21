import { isCtxError } from "@ctxstore/core";
import { MockEmbeddingModelV4 } from "ai/test";
import { MockEmbeddingModelV3 } from "ai-v6/test";
import { describe, expect, it } from "vitest";
import { type AiSdkEmbeddingModel, embedderFromAiSdk } from "./embedder.js";

// A deterministic 3-dimensional embedding, so results can be checked text by text.
const vectorOf = (text: string) => [
  text.length,
  [...text].reduce((sum, char) => sum + char.charCodeAt(0), 0),
  1,
];

type MockSettings = {
  maxEmbeddingsPerCall?: number | undefined;
  supportsParallelCalls?: boolean;
  doEmbed: (options: { values: string[]; abortSignal?: AbortSignal }) => Promise<{ embeddings: number[][] }>;
};

const versions: Array<{ name: string; create: (settings: MockSettings) => AiSdkEmbeddingModel }> = [
  {
    name: "EmbeddingModelV4 (ai@7)",
    create: (settings) =>
      new MockEmbeddingModelV4({
        provider: "mock",
        modelId: "embed-3",
        ...(settings as object),
      }) as unknown as AiSdkEmbeddingModel,
  },
  {
    name: "EmbeddingModelV3 (ai@6)",
    create: (settings) =>
      new MockEmbeddingModelV3({
        provider: "mock",
        modelId: "embed-3",
        ...(settings as object),
      }) as unknown as AiSdkEmbeddingModel,
  },
];

describe.each(versions)("embedderFromAiSdk with $name", ({ create }) => {
  function recordingModel(overrides: Partial<MockSettings> = {}) {
    const calls: string[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const model = create({
      maxEmbeddingsPerCall: 3,
      supportsParallelCalls: false,
      doEmbed: async ({ values }) => {
        calls.push(values);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight--;
        return { embeddings: values.map(vectorOf), warnings: [] } as never;
      },
      ...overrides,
    });
    return { model, calls, maxInFlight: () => maxInFlight };
  }

  it("batches by maxEmbeddingsPerCall, keeps input order and probes the dimensions once", async () => {
    const { model, calls } = recordingModel();
    const embedder = await embedderFromAiSdk(model);
    expect(embedder).toMatchObject({ id: "mock:embed-3", dimensions: 3, maxBatchSize: 3 });
    expect(calls).toEqual([["dimension probe"]]);
    const texts = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g"];
    const vectors = await embedder.embed(texts);
    expect(vectors).toEqual(texts.map(vectorOf));
    expect(calls.slice(1)).toEqual([["a", "bb", "ccc"], ["dddd", "eeeee", "ffffff"], ["g"]]);
    expect(await embedder.embed([])).toEqual([]);
  });

  it("skips the probe when dimensions are given and honours a smaller maxBatchSize", async () => {
    const { model, calls } = recordingModel();
    const embedder = await embedderFromAiSdk(model, {
      dimensions: 3,
      maxBatchSize: 2,
      id: "catalog-embedder",
    });
    expect(embedder).toMatchObject({ id: "catalog-embedder", dimensions: 3, maxBatchSize: 2 });
    await embedder.embed(["a", "b", "c"]);
    expect(calls).toEqual([["a", "b"], ["c"]]);
  });

  it("runs batches in parallel only when the model supports it", async () => {
    const serial = recordingModel();
    await (await embedderFromAiSdk(serial.model, { dimensions: 3 })).embed(
      Array.from({ length: 12 }, (_, index) => `t${index}`),
    );
    expect(serial.maxInFlight()).toBe(1);
    const parallel = recordingModel({ supportsParallelCalls: true });
    const embedder = await embedderFromAiSdk(parallel.model, { dimensions: 3, maxParallelCalls: 2 });
    const texts = Array.from({ length: 12 }, (_, index) => `t${index}`);
    expect(await embedder.embed(texts)).toEqual(texts.map(vectorOf));
    expect(parallel.maxInFlight()).toBe(2);
  });

  it("uses 2048 per batch when the model sets no limit", async () => {
    // The mocks default an undefined limit to 1, so this model states "no limit" itself.
    const { model } = recordingModel();
    const unlimited: AiSdkEmbeddingModel = {
      ...model,
      maxEmbeddingsPerCall: undefined,
      doEmbed: (options) => model.doEmbed(options),
    };
    expect((await embedderFromAiSdk(unlimited, { dimensions: 3 })).maxBatchSize).toBe(2048);
    expect((await embedderFromAiSdk(unlimited, { dimensions: 3, maxBatchSize: 100 })).maxBatchSize).toBe(100);
  });

  it("rejects vectors of the wrong size with CTX_DIMENSION_MISMATCH", async () => {
    const { model } = recordingModel();
    const embedder = await embedderFromAiSdk(model, { dimensions: 4 });
    await expect(embedder.embed(["a"])).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_DIMENSION_MISMATCH"),
    );
  });

  it("rejects a model that returns the wrong number of embeddings", async () => {
    const model = create({
      maxEmbeddingsPerCall: 10,
      doEmbed: async () => ({ embeddings: [[1, 2, 3]], warnings: [] }) as never,
    });
    const embedder = await embedderFromAiSdk(model, { dimensions: 3 });
    await expect(embedder.embed(["a", "b"])).rejects.toThrow(/returned 1 embeddings for 2 texts/);
  });

  it("passes the abort signal and stops on abort", async () => {
    const seen: Array<AbortSignal | undefined> = [];
    const model = create({
      maxEmbeddingsPerCall: 1,
      doEmbed: async ({ values, abortSignal }) => {
        seen.push(abortSignal);
        return { embeddings: values.map(vectorOf), warnings: [] } as never;
      },
    });
    const embedder = await embedderFromAiSdk(model, { dimensions: 3 });
    const controller = new AbortController();
    await embedder.embed(["a"], { signal: controller.signal });
    expect(seen[0]).toBe(controller.signal);
    controller.abort();
    await expect(embedder.embed(["a", "b"], { signal: controller.signal })).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });

  it("starts no further batches after one fails", async () => {
    let calls = 0;
    const model = create({
      maxEmbeddingsPerCall: 1,
      doEmbed: async ({ values }) => {
        calls++;
        if (values[0] === "b") throw new Error("provider rejected the batch");
        return { embeddings: values.map(vectorOf), warnings: [] } as never;
      },
    });
    const embedder = await embedderFromAiSdk(model, { dimensions: 3 });
    await expect(embedder.embed(["a", "b", "c", "d", "e"])).rejects.toThrow("provider rejected the batch");
    expect(calls).toBe(2);
  });

  it("rejects non-string input with CTX_INVALID_REQUEST", async () => {
    const { model } = recordingModel();
    const embedder = await embedderFromAiSdk(model, { dimensions: 3 });
    await expect(embedder.embed([1 as unknown as string])).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_INVALID_REQUEST"),
    );
  });
});

describe("embedderFromAiSdk configuration errors", () => {
  it("explains that a model id string is not a model", async () => {
    await expect(embedderFromAiSdk("openai/text-embedding-3-small" as never)).rejects.toThrow(
      /takes an embedding model object/,
    );
  });

  it("rejects bad numeric options with CTX_CONFIG", async () => {
    const model = new MockEmbeddingModelV4({
      doEmbed: async () => ({ embeddings: [], warnings: [] }) as never,
    }) as unknown as AiSdkEmbeddingModel;
    await expect(embedderFromAiSdk(model, { dimensions: 0 })).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_CONFIG"),
    );
    await expect(embedderFromAiSdk(model, { maxBatchSize: 2.5 })).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_CONFIG"),
    );
  });
});
