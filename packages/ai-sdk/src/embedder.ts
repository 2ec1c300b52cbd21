// Any AI SDK embedding model (specification v3 or v4: OpenAI, Cohere, Bedrock, a mock...) as a
// ctxstore `Embedder`, so vector sources and indexing jobs can use the model the application already
// configured. The model is called directly (`doEmbed`), split by its `maxEmbeddingsPerCall`.
import { CtxError, type Embedder } from "@ctxstore/core";

/** The part of `EmbeddingModelV4`/`EmbeddingModelV3` this adapter uses. */
export interface AiSdkEmbeddingModel {
  readonly specificationVersion: string;
  readonly provider: string;
  readonly modelId: string;
  readonly maxEmbeddingsPerCall: PromiseLike<number | undefined> | number | undefined;
  readonly supportsParallelCalls: PromiseLike<boolean> | boolean;
  /** Embeds `values` in one call: one embedding per value, in order (the AI SDK model's own method). */
  doEmbed(options: {
    values: string[];
    abortSignal?: AbortSignal;
    // biome-ignore lint/suspicious/noExplicitAny: provider options are each provider's own JSON shape
    providerOptions?: Record<string, any>;
    headers?: Record<string, string | undefined>;
  }): PromiseLike<{ embeddings: Array<ArrayLike<number>> }>;
}

/**
 * Options of `embedderFromAiSdk`: the vector size (skips the probe call), the id recorded with
 * indexes, batch size and parallelism limits, and provider options and headers for every call.
 */
export interface EmbedderFromAiSdkOptions {
  /** The vector size. Given, no probe call is made; otherwise one short text is embedded to learn it. */
  dimensions?: number;
  /** Recorded with indexes; default `provider:modelId` ("openai.embedding:text-embedding-3-small"). */
  id?: string;
  /** Caps the batch size below the model's `maxEmbeddingsPerCall` (default that, or 2048 when the model sets none). */
  maxBatchSize?: number;
  /** Batches in flight at once when the model supports parallel calls. Default 4. */
  maxParallelCalls?: number;
  /** Passed to every `doEmbed` call (e.g. `{ openai: { dimensions: 512 } }`). */
  providerOptions?: Record<string, Record<string, unknown>>;
  headers?: Record<string, string>;
}

const DEFAULT_BATCH = 2048;
const PROBE_TEXT = "dimension probe";

/**
 * Wraps an AI SDK embedding model as an `Embedder`. Async because the model's batch limit may be a
 * promise and, without `dimensions`, one probe embedding learns the vector size.
 */
export async function embedderFromAiSdk(
  model: AiSdkEmbeddingModel,
  options: EmbedderFromAiSdkOptions = {},
): Promise<Embedder> {
  if (typeof model === "string") {
    throw new CtxError(
      "CTX_CONFIG",
      `embedderFromAiSdk takes an embedding model object, not the id ${JSON.stringify(model)}: pass e.g. openai.embedding("text-embedding-3-small").`,
    );
  }
  if (!model || typeof model.doEmbed !== "function") {
    throw new CtxError(
      "CTX_CONFIG",
      'embedderFromAiSdk takes an AI SDK embedding model (an object with doEmbed), e.g. openai.embedding("text-embedding-3-small").',
    );
  }
  const positive = (name: string, value: number | undefined) => {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new CtxError(
        "CTX_CONFIG",
        `embedderFromAiSdk: \`${name}\` must be a positive integer; got ${JSON.stringify(value)}.`,
      );
    }
  };
  positive("dimensions", options.dimensions);
  positive("maxBatchSize", options.maxBatchSize);
  positive("maxParallelCalls", options.maxParallelCalls);

  const id = options.id ?? `${model.provider}:${model.modelId}`;
  const modelLimit = await model.maxEmbeddingsPerCall;
  const maxBatchSize = Math.min(
    options.maxBatchSize ?? Number.POSITIVE_INFINITY,
    modelLimit ?? options.maxBatchSize ?? DEFAULT_BATCH,
  );
  const parallel = (await model.supportsParallelCalls) ? (options.maxParallelCalls ?? 4) : 1;

  async function callModel(values: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    const result = await model.doEmbed({
      values,
      ...(signal ? { abortSignal: signal } : {}),
      ...(options.providerOptions ? { providerOptions: options.providerOptions } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    if (!result || !Array.isArray(result.embeddings) || result.embeddings.length !== values.length) {
      throw new CtxError(
        "CTX_INVALID_VALUE",
        `Embedding model ${id} returned ${Array.isArray(result?.embeddings) ? result.embeddings.length : "no"} embeddings for ${values.length} texts; check the model and its provider options.`,
        { embedder: id, expected: values.length },
      );
    }
    return result.embeddings.map((embedding) => Array.from(embedding));
  }

  let dimensions = options.dimensions;
  if (dimensions === undefined) {
    const [probe] = await callModel([PROBE_TEXT], undefined);
    dimensions = probe?.length ?? 0;
    if (dimensions < 1)
      throw new CtxError(
        "CTX_INVALID_VALUE",
        `Embedding model ${id} returned an empty vector for a probe text.`,
        { embedder: id },
      );
  }
  const size = dimensions;

  return {
    id,
    dimensions: size,
    maxBatchSize,
    async embed(texts, embedOptions = {}) {
      if (!Array.isArray(texts) || texts.some((text) => typeof text !== "string")) {
        throw new CtxError("CTX_INVALID_REQUEST", `Embedder ${id}: embed() takes an array of strings.`, {
          embedder: id,
        });
      }
      const batches: string[][] = [];
      for (let start = 0; start < texts.length; start += maxBatchSize)
        batches.push(texts.slice(start, start + maxBatchSize));
      const results: number[][][] = new Array(batches.length);
      let next = 0;
      let failed = false;
      const worker = async () => {
        // After one batch fails the call is lost anyway: start no further (billed) batches.
        while (next < batches.length && !failed) {
          const index = next++;
          embedOptions.signal?.throwIfAborted();
          try {
            results[index] = await callModel(batches[index] as string[], embedOptions.signal);
          } catch (error) {
            failed = true;
            throw error;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallel, batches.length) }, worker));
      const vectors = results.flat();
      for (const [index, vector] of vectors.entries()) {
        if (vector.length !== size) {
          throw new CtxError(
            "CTX_DIMENSION_MISMATCH",
            `Embedding model ${id} returned a ${vector.length}-dimensional vector for text ${index}; expected ${size}. Pass the model's real size as \`dimensions\` (or drop it to probe).`,
            { embedder: id, expected: size, got: vector.length, index },
          );
        }
        if (vector.some((component) => !Number.isFinite(component))) {
          throw new CtxError(
            "CTX_INVALID_VALUE",
            `Embedding model ${id} returned a vector with a non-finite number for text ${index}.`,
            {
              embedder: id,
              index,
            },
          );
        }
      }
      return vectors;
    },
  };
}
