// The vector lookup phase: for each planned vector source, embed the query and search its store, in
// parallel and within the request's remaining time (and the source's own timeout); hits become
// ranked list lines. A failure is `error`/`timeout`, never "no hits": only a search that answered
// with nothing is `empty`.

import type { VectorSource } from "../definitions/source.js";
import { vectorHitsToBlock } from "../render/vector-hits.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { VectorHit } from "../vector/types.js";
import { DEADLINE, raceDeadline } from "./deadline.js";
import { errorMessage, type KeyInfo, type PhaseResult, type Resolution } from "./resolution.js";

export async function searchVectors(options: {
  readonly plan: ReadonlyArray<{ readonly source: VectorSource; readonly key: KeyInfo | undefined }>;
  readonly query: string;
  /** `request.tenant`, for sources whose tenant reads it from the request. */
  readonly tenant: string | undefined;
  /** A multi-tenant store: the request tenant scopes every search, whatever the source declares. */
  readonly tenantRequired?: boolean;
  /** `performance.now()` time at which the request deadline is spent. */
  readonly deadlineAt: number;
  readonly signal: AbortSignal;
  readonly tokenizer: Tokenizer;
  /** Wraps each search (telemetry's `retrieval` span); absent, searches run bare. */
  readonly instrument?:
    | ((source: VectorSource, run: () => Promise<Resolution>) => Promise<Resolution>)
    | undefined;
}): Promise<PhaseResult> {
  let latencyMs = 0;
  const { instrument } = options;
  const resolutions = await Promise.all(
    options.plan.map(async ({ source, key }) => {
      const search = () => searchOne(source, key, options);
      const resolution = await (instrument ? instrument(source, search) : search());
      latencyMs = Math.max(latencyMs, resolution.latencyMs);
      return resolution;
    }),
  );
  return { resolutions, latencyMs };
}

async function searchOne(
  source: VectorSource,
  key: KeyInfo | undefined,
  options: {
    readonly query: string;
    readonly tenant: string | undefined;
    readonly tenantRequired?: boolean;
    readonly deadlineAt: number;
    readonly signal: AbortSignal;
    readonly tokenizer: Tokenizer;
  },
): Promise<Resolution> {
  const { query, deadlineAt, signal, tokenizer } = options;
  const requestTenant = options.tenant;
  const started = performance.now();
  const tenant = options.tenantRequired
    ? requestTenant
    : typeof source.tenant === "function"
      ? source.tenant({ tenant: requestTenant })
      : (source.tenant ?? requestTenant);
  const waitMs = Math.min(deadlineAt - started, source.timeoutMs ?? Number.POSITIVE_INFINITY);
  const base = { source, key: key?.canonical };
  if (waitMs <= 0) {
    return { ...base, status: "skipped", reason: "request deadline already spent", latencyMs: 0 };
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
    const latencyMs = performance.now() - started;
    if (hits === DEADLINE) {
      controller.abort(new Error("vector search timed out"));
      return {
        ...base,
        status: "timeout",
        reason: `vector search did not answer within ${Math.round(waitMs)}ms`,
        latencyMs,
      };
    }
    if (hits.length === 0) {
      return {
        ...base,
        status: "empty",
        emptyReason:
          source.minScore === undefined
            ? "the search returned no chunks"
            : `no chunk scored at or above ${source.minScore}`,
        latencyMs,
      };
    }
    const block = vectorHitsToBlock(hits, tokenizer);
    return {
      ...base,
      status: "ok",
      latencyMs,
      value: block.hits,
      kind: "list",
      lines: block.lines,
      tokens: block.tokens,
      scores: block.hits.map((hit) => hit.score),
    };
  } catch (error) {
    return {
      ...base,
      status: isTimeoutError(error) ? "timeout" : "error",
      reason:
        error instanceof EmbedFailure
          ? `embedder failed: ${error.message}`
          : `${source.store.name} search failed: ${errorMessage(error)}`,
      latencyMs: performance.now() - started,
    };
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
