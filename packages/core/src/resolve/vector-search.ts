// The vector side of an assembly: embed the query, search, classify. A failure is never "no hits".

import type { VectorSource } from "../definitions/source.js";
import type { Tokenizer } from "../tokenize/types.js";
import { vectorHitsToBlock } from "../vector/results.js";
import type { VectorHit } from "../vector/types.js";
import { DEADLINE, errorMessage, raceDeadline } from "./realtime.js";
import type { KeyInfo, Resolution } from "./resolution.js";

export async function searchVector(
  source: VectorSource,
  key: KeyInfo | undefined,
  query: string,
  requestTenant: string | undefined,
  deadlineAt: number,
  signal: AbortSignal,
  tokenizer: Tokenizer,
): Promise<Resolution> {
  const started = performance.now();
  const tenant =
    typeof source.tenant === "function"
      ? source.tenant({ tenant: requestTenant })
      : (source.tenant ?? requestTenant);
  const waitMs = Math.min(deadlineAt - started, source.timeoutMs ?? Number.POSITIVE_INFINITY);
  const resolution: Resolution = { source, key: key?.canonical, status: "missing", latencyMs: 0 };
  if (waitMs <= 0) {
    return { ...resolution, status: "skipped", reason: "request deadline already spent" };
  }
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  const search = (async (): Promise<VectorHit[]> => {
    let vectors: number[][];
    try {
      vectors = await source.embedder.embed([query], { signal: controller.signal });
    } catch (error) {
      throw new EmbedFailure(errorMessage(error));
    }
    const vectorValue = vectors[0];
    if (!vectorValue) throw new EmbedFailure("embedder returned no vector");
    return source.store.query(
      {
        vector: vectorValue,
        topK: source.topK,
        ...(source.minScore === undefined ? {} : { minScore: source.minScore }),
        ...(tenant === undefined ? {} : { tenant }),
        ...(key ? { entityKey: key.canonical } : {}),
        ...(source.filter === undefined ? {} : { filter: source.filter }),
      },
      { signal: controller.signal },
    );
  })();
  try {
    const hits = await raceDeadline(search, waitMs, controller.signal);
    resolution.latencyMs = performance.now() - started;
    if (hits === DEADLINE) {
      controller.abort(new Error("vector search timed out"));
      resolution.status = "timeout";
      resolution.reason = `vector search did not answer within ${Math.round(waitMs)}ms`;
      return resolution;
    }
    if (hits.length === 0) {
      resolution.status = "empty";
      resolution.emptyReason =
        source.minScore === undefined
          ? "the search returned no chunks"
          : `no chunk scored at or above ${source.minScore}`;
      return resolution;
    }
    const block = vectorHitsToBlock(hits, tokenizer);
    resolution.status = "ok";
    resolution.value = block.hits;
    resolution.kind = "list";
    resolution.lines = block.lines;
    resolution.tokens = block.tokens;
    resolution.scores = block.hits.map((hit) => hit.score);
    return resolution;
  } catch (error) {
    resolution.latencyMs = performance.now() - started;
    const timedOut = isTimeoutError(error);
    resolution.status = timedOut ? "timeout" : "error";
    resolution.reason =
      error instanceof EmbedFailure
        ? `embedder failed: ${error.message}`
        : `${source.store.name} search failed: ${errorMessage(error)}`;
    return resolution;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

class EmbedFailure extends Error {}

function isTimeoutError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    error.name === "TimeoutError" ||
    code === "CTX_TIMEOUT" ||
    code === "ETIMEDOUT" ||
    /timed? ?out/i.test(error.message)
  );
}
