// qdrantStore: core's VectorStore on a Qdrant collection, through the official REST client. Every
// query carries a tenant condition (tenant-less records live under tenant ""), point ids are UUIDs
// derived from (tenant, chunk id) so re-indexing overwrites instead of duplicating, and every
// failure REJECTS with a typed error (CTX_TIMEOUT / CTX_STORE_UNAVAILABLE): an unreachable Qdrant
// must never look like "no relevant documents". Input checks, the closed state and rejected promises
// are core's `defineVectorStore`; this file is the storage.
import { createHash } from "node:crypto";
import {
  CtxError,
  defineVectorStore,
  type Embedder,
  type VectorHit,
  type VectorQuery,
  type VectorRecord,
  type VectorStore,
} from "@ctxstore/core/store";
import { QdrantClient } from "@qdrant/js-client-rest";

/**
 * Options of `qdrantStore`: the client (or URL and API key), the collection and its vector size,
 * tenancy, whether to create the collection, batch size, per-request timeout (ms) and write retries.
 */
export interface QdrantStoreOptions {
  /** A client you configured (auth, TLS, headers). Give this or `url`. */
  client?: QdrantClient;
  /** Qdrant's REST URL, e.g. "http://localhost:6333"; a client is created with `apiKey`. */
  url?: string;
  apiKey?: string;
  collection: string;
  /** Vector size; or pass the `embedder` and its `dimensions` are used. */
  dimensions?: number;
  embedder?: Pick<Embedder, "dimensions">;
  /** Require a tenant on every record, query and delete (`CTX_TENANT_REQUIRED` otherwise). */
  multiTenant?: boolean;
  /** Create the collection (cosine distance) and its payload indexes when missing. Default true. */
  createCollection?: boolean;
  /** Points per upsert request. Default 256. */
  batchSize?: number;
  /** Per-request limit in milliseconds, enforced on our side (the call rejects with CTX_TIMEOUT). Default 5000. */
  timeoutMs?: number;
  /**
   * Retries of an upsert or delete batch after a timeout, a 5xx or a lost connection (with 200 ms,
   * 800 ms... backoff). Safe because point ids are deterministic. Queries are never retried: the
   * request deadline decides. Default 2.
   */
  writeRetries?: number;
  /** Shown in errors and traces. Default `qdrant:<collection>`. */
  name?: string;
}

/** Fixed namespace for point ids: the same (tenant, chunk id) gives the same UUID everywhere. */
const POINT_NAMESPACE = "ctxstore/qdrant/point/v1";

/** Deterministic UUID (version 5 layout, SHA-1) for a chunk id within a tenant. */
export function pointId(tenant: string | undefined, chunkId: string): string {
  const digest = createHash("sha1")
    .update(POINT_NAMESPACE)
    .update("\u0000")
    .update(tenant ?? "")
    .update("\u0000")
    .update(chunkId)
    .digest();
  digest[6] = ((digest[6] as number) & 0x0f) | 0x50;
  digest[8] = ((digest[8] as number) & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

type Condition =
  | { key: string; match: { value: string | number | boolean } }
  | { key: string; range: { gte: number; lte: number } };

interface Payload {
  tenant: string;
  id: string;
  documentId: string;
  chunkIndex: number;
  text: string;
  tokens?: VectorRecord["tokens"];
  title?: string;
  url?: string;
  entityKey?: string;
  source?: string;
  eventTime?: number;
  metadata?: Record<string, string | number | boolean>;
}

export interface QdrantVectorStore extends VectorStore {
  readonly collection: string;
  readonly dimensions: number;
  readonly client: QdrantClient;
}

/**
 * A `VectorStore` on a Qdrant collection (cosine distance), for vector sources and `indexDocuments`
 * beyond one machine. Point ids derive from (tenant, chunk id), so re-indexing is idempotent and
 * write retries are safe; queries are never retried. Throws `CTX_CONFIG` for a bad collection name,
 * vector size or batch/timeout setting, or without `client` or `url`.
 *
 * ```ts
 * const store = qdrantStore({ url: "http://localhost:6333", collection: "help_center", embedder });
 * const kb = vector("help_center", { store, embedder, topK: 5, section: "Relevant articles" });
 * ```
 */
export function qdrantStore(options: QdrantStoreOptions): QdrantVectorStore {
  const dimensions = options.dimensions ?? options.embedder?.dimensions;
  if (typeof options.collection !== "string" || !/^[A-Za-z0-9_.-]{1,255}$/.test(options.collection)) {
    throw new CtxError(
      "CTX_CONFIG",
      `qdrantStore: \`collection\` must be a Qdrant collection name (letters, digits, _ . -); got ${JSON.stringify(options.collection)}.`,
    );
  }
  if (!Number.isInteger(dimensions) || (dimensions as number) < 1) {
    throw new CtxError(
      "CTX_CONFIG",
      "qdrantStore: pass `dimensions` (the vector size) or the `embedder` whose vectors it will store.",
      {
        dimensions,
      },
    );
  }
  const size = dimensions as number;
  const batchSize = options.batchSize ?? 256;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const writeRetries = options.writeRetries ?? 2;
  if (!Number.isInteger(writeRetries) || writeRetries < 0) {
    throw new CtxError(
      "CTX_CONFIG",
      `qdrantStore: \`writeRetries\` must be a non-negative integer; got ${String(writeRetries)}.`,
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new CtxError(
      "CTX_CONFIG",
      `qdrantStore: \`batchSize\` must be a positive integer; got ${String(batchSize)}.`,
    );
  if (!(timeoutMs > 0))
    throw new CtxError(
      "CTX_CONFIG",
      `qdrantStore: \`timeoutMs\` must be positive; got ${String(timeoutMs)}.`,
    );
  if (!options.client && !options.url)
    throw new CtxError("CTX_CONFIG", "qdrantStore: pass a `client` (QdrantClient) or the server `url`.");
  const collection = options.collection;
  const name = options.name ?? `qdrant:${collection}`;
  const multiTenant = options.multiTenant === true;
  // The version check would cost a request at start-up and only logs; our errors carry the details.
  const client: QdrantClient =
    options.client ??
    new QdrantClient({
      url: options.url as string,
      ...(options.apiKey !== undefined && { apiKey: options.apiKey }),
      timeout: timeoutMs,
      checkCompatibility: false,
    });

  /** `call` for idempotent writes: retried after transient failures, never after bad input (4xx). */
  async function write<T>(
    operation: string,
    signal: AbortSignal | undefined,
    work: (client: QdrantClient) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call(operation, signal, work);
      } catch (error) {
        const status = error instanceof CtxError ? error.details.status : undefined;
        const transient =
          error instanceof CtxError &&
          (error.code === "CTX_TIMEOUT" ||
            (error.code === "CTX_STORE_UNAVAILABLE" && (status === undefined || (status as number) >= 500)));
        if (!transient || attempt >= writeRetries || signal?.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 4 ** attempt));
      }
    }
  }

  /** Runs one Qdrant call under our timeout and the caller's signal; maps every failure to a CtxError. */
  async function call<T>(
    operation: string,
    signal: AbortSignal | undefined,
    work: (client: QdrantClient) => Promise<T>,
  ): Promise<T> {
    signal?.throwIfAborted();
    const qdrant = client;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CtxError(
              "CTX_TIMEOUT",
              `${name}: ${operation} did not answer within ${timeoutMs}ms; check Qdrant's health or raise timeoutMs.`,
              { store: name, operation, timeoutMs },
            ),
          ),
        timeoutMs,
      );
      if (signal) {
        onAbort = () =>
          reject(
            signal.reason ?? new CtxError("CTX_TIMEOUT", `${name}: ${operation} was aborted by the caller.`),
          );
        signal.addEventListener("abort", onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([
        work(qdrant).catch((error: unknown) => Promise.reject(translate(error, operation))),
        guard,
      ]);
    } finally {
      clearTimeout(timer);
      if (signal && onAbort) signal.removeEventListener("abort", onAbort);
    }
  }

  function translate(error: unknown, operation: string): Error {
    if (error instanceof CtxError) return error;
    const err = error as {
      name?: string;
      message?: string;
      status?: number;
      data?: { status?: { error?: string } };
    };
    const detail = err?.data?.status?.error ?? err?.message ?? String(error);
    if (
      err?.name === "QdrantClientTimeoutError" ||
      err?.name === "TimeoutError" ||
      err?.name === "AbortError"
    ) {
      return new CtxError(
        "CTX_TIMEOUT",
        `${name}: ${operation} timed out (${detail}); check Qdrant's health or raise timeoutMs.`,
        { store: name, operation },
        { cause: error },
      );
    }
    const status = typeof err?.status === "number" ? err.status : undefined;
    return new CtxError(
      "CTX_STORE_UNAVAILABLE",
      `${name}: ${operation} failed${status ? ` with HTTP ${status}` : ""}: ${detail}. Check that Qdrant is reachable and the collection is healthy.`,
      { store: name, operation, ...(status !== undefined && { status }) },
      { cause: error },
    );
  }

  // The collection is checked (or created) once; a failed attempt is retried by the next call.
  let ready: Promise<void> | undefined;
  const ensureCollection = (signal: AbortSignal | undefined): Promise<void> => {
    ready ??= (async () => {
      const { exists } = await call("collection check", signal, (qdrant) =>
        qdrant.collectionExists(collection),
      );
      if (exists) {
        const info = await call("collection info", signal, (qdrant) => qdrant.getCollection(collection));
        const vectors = info.config?.params?.vectors as { size?: number; distance?: string } | undefined;
        if (vectors && typeof vectors.size === "number" && vectors.size !== size) {
          throw new CtxError(
            "CTX_DIMENSION_MISMATCH",
            `${name}: collection "${collection}" holds vectors of ${vectors.size} dimensions, expected ${size}. Use another collection or the embedder it was built with.`,
            { store: name, expected: size, actual: vectors.size },
          );
        }
        return;
      }
      if (options.createCollection === false) {
        throw new CtxError(
          "CTX_STORE_UNAVAILABLE",
          `${name}: collection "${collection}" does not exist (createCollection is false); create it or enable createCollection.`,
          {
            store: name,
          },
        );
      }
      try {
        await call("create collection", signal, (qdrant) =>
          qdrant.createCollection(collection, { vectors: { size, distance: "Cosine" } }),
        );
      } catch (error) {
        // Another process created it between our check and our create: that is fine.
        if (!(error instanceof CtxError && error.details.status === 409)) throw error;
      }
      // Tenant first: Qdrant co-locates a tenant's points when the field is marked `is_tenant`.
      await call("create tenant index", signal, (qdrant) =>
        qdrant.createPayloadIndex(collection, {
          field_name: "tenant",
          field_schema: { type: "keyword", is_tenant: true },
          wait: true,
        }),
      );
      // documentId: re-indexing deletes by it; entityKey and source: the optional query filters.
      for (const field of ["documentId", "entityKey", "source"]) {
        await call(`create ${field} index`, signal, (qdrant) =>
          qdrant.createPayloadIndex(collection, { field_name: field, field_schema: "keyword", wait: true }),
        );
      }
    })();
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  };

  function toPoint(record: VectorRecord) {
    const payload: Payload = {
      tenant: record.tenant ?? "",
      id: record.id,
      documentId: record.documentId,
      chunkIndex: record.chunkIndex,
      text: record.text,
      ...(record.tokens !== undefined && { tokens: record.tokens }),
      ...(record.title !== undefined && { title: record.title }),
      ...(record.url !== undefined && { url: record.url }),
      ...(record.entityKey !== undefined && { entityKey: record.entityKey }),
      ...(record.source !== undefined && { source: record.source }),
      ...(record.eventTime !== undefined && { eventTime: record.eventTime }),
      ...(record.metadata !== undefined && { metadata: { ...record.metadata } }),
    };
    return {
      id: pointId(record.tenant, record.id),
      // The plain array the REST client sends.
      vector: Array.from(record.vector),
      payload: payload as unknown as Record<string, unknown>,
    };
  }

  function conditions(query: Pick<VectorQuery, "tenant" | "entityKey" | "source" | "filter">): Condition[] {
    const must: Condition[] = [{ key: "tenant", match: { value: query.tenant ?? "" } }];
    if (query.entityKey !== undefined) must.push({ key: "entityKey", match: { value: query.entityKey } });
    if (query.source !== undefined) must.push({ key: "source", match: { value: query.source } });
    for (const [field, value] of Object.entries(query.filter ?? {})) {
      // Qdrant's `match` takes strings, integers and booleans; other numbers match by a closed range.
      const key = `metadata.${field}`;
      must.push(
        typeof value === "number" && !Number.isInteger(value)
          ? { key, range: { gte: value, lte: value } }
          : { key, match: { value } },
      );
    }
    return must;
  }

  return defineVectorStore({
    name,
    collection,
    dimensions: size,
    multiTenant,
    client,

    async upsert(records, callOptions) {
      const signal = callOptions?.signal;
      const points = records.map(toPoint);
      await ensureCollection(signal);
      for (let offset = 0; offset < points.length; offset += batchSize) {
        const batch = points.slice(offset, offset + batchSize);
        await write("upsert", signal, (qdrant) => qdrant.upsert(collection, { wait: true, points: batch }));
      }
    },

    async query(query, callOptions) {
      const signal = callOptions?.signal;
      const vector = Array.from(query.vector);
      await ensureCollection(signal);
      const response = await call("query", signal, (qdrant) =>
        qdrant.query(collection, {
          query: vector,
          limit: query.topK,
          filter: { must: conditions(query) },
          with_payload: true,
          ...(query.minScore !== undefined && { score_threshold: query.minScore }),
        }),
      );
      const points = (response as { points?: unknown }).points;
      if (!Array.isArray(points)) {
        throw new CtxError(
          "CTX_STORE_UNAVAILABLE",
          `${name}: query answered without a \`points\` list; is this a Qdrant server of version 1.10 or later?`,
          { store: name },
        );
      }
      return points.map((point: { score: number; payload?: Record<string, unknown> | null }) => toHit(point));
    },

    async deleteDocument(documentId, callOptions) {
      const signal = callOptions?.signal;
      await ensureCollection(signal);
      const tenant = callOptions?.tenant;
      await write("delete", signal, (qdrant) =>
        qdrant.delete(collection, {
          wait: true,
          filter: {
            must: [
              ...conditions(tenant === undefined ? {} : { tenant }),
              { key: "documentId", match: { value: documentId } },
            ],
          },
        }),
      );
    },

    async forgetEntity(request, callOptions) {
      const signal = callOptions?.signal;
      await ensureCollection(signal);
      // The tenant condition is always there (conditions() puts it first), so an erasure never
      // reaches past its tenant; the count comes first so the receipt says what went.
      const scope = request.tenant === undefined ? {} : { tenant: request.tenant };
      const filter = { must: conditions({ ...scope, entityKey: request.entityKey }) };
      const counted = await call("count", signal, (qdrant) =>
        qdrant.count(collection, { filter, exact: true }),
      );
      await write("forget", signal, (qdrant) => qdrant.delete(collection, { wait: true, filter }));
      return (counted as { count?: number }).count ?? 0;
    },

    async close() {
      // The REST client holds no connection that needs closing.
    },
  });

  function toHit(point: { score: number; payload?: Record<string, unknown> | null }): VectorHit {
    const payload = (point.payload ?? {}) as unknown as Payload;
    if (
      typeof payload.id !== "string" ||
      typeof payload.documentId !== "string" ||
      typeof payload.text !== "string"
    ) {
      throw new CtxError(
        "CTX_STORE_UNAVAILABLE",
        `${name}: a point in "${collection}" lacks the ctxstore payload (id, documentId, text); was the collection written by another tool?`,
        { store: name },
      );
    }
    return {
      id: payload.id,
      documentId: payload.documentId,
      chunkIndex: payload.chunkIndex,
      score: point.score,
      text: payload.text,
      ...(payload.tokens !== undefined && { tokens: payload.tokens }),
      ...(payload.title !== undefined && { title: payload.title }),
      ...(payload.url !== undefined && { url: payload.url }),
      ...(payload.eventTime !== undefined && { eventTime: payload.eventTime }),
      ...(payload.metadata !== undefined && { metadata: payload.metadata }),
    };
  }
}
