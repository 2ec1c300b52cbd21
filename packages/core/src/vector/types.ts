// Vector tier interfaces. `VectorStore` implementations: the embedded `memoryVectorStore()` and
// `@ctxstore/qdrant`; each must pass `testVectorStore` from `@ctxstore/core/testing`.
// `Embedder` implementations: the offline `localEmbedder()` and any AI SDK model via
// `embedderFromAiSdk` in `@ctxstore/ai-sdk`.
import type { Encoding } from "../envelope.js";

/**
 * One chunk as a vector store keeps it: its id, document and position, vector, the text it renders,
 * its token counts, citation, tenant/entity/source scope and filterable metadata.
 */
export interface VectorRecord {
  /** Deterministic point id: derive it from `documentId` + `chunkIndex` so re-indexing is idempotent. */
  readonly id: string;
  readonly documentId: string;
  readonly chunkIndex: number;
  readonly vector: readonly number[] | Float32Array;
  /** The chunk text as it will be rendered. */
  readonly text: string;
  /** Token counts of `text` per encoding, computed once at index time. */
  readonly tokens?: Readonly<Partial<Record<Encoding, number>>>;
  readonly title?: string;
  readonly url?: string;
  /** Required by multi-tenant stores; every query filters on it. */
  readonly tenant?: string;
  /** Canonical entity key when a chunk belongs to one entity (e.g. one customer's tickets). */
  readonly entityKey?: string;
  /** Name of the vector source or corpus this chunk belongs to. */
  readonly source?: string;
  readonly eventTime?: number;
  /** Extra payload fields usable in equality filters. */
  readonly metadata?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * One similarity search: the query vector, how many hits (`topK`), a score floor and the filters
 * (tenant, entity, source, metadata equality).
 */
export interface VectorQuery {
  readonly vector: readonly number[] | Float32Array;
  readonly topK: number;
  /** Hits scoring below this are not returned (cosine similarity, -1..1). */
  readonly minScore?: number;
  /** Scopes the search to one tenant; without it only records without a tenant match. */
  readonly tenant?: string;
  readonly entityKey?: string;
  readonly source?: string;
  /** Equality filters on `metadata` fields. */
  readonly filter?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * One search result: the chunk's id, document, position, text and citation, with its cosine
 * similarity `score` (-1..1, higher is closer).
 */
export interface VectorHit {
  readonly id: string;
  readonly documentId: string;
  readonly chunkIndex: number;
  readonly score: number;
  readonly text: string;
  readonly tokens?: Readonly<Partial<Record<Encoding, number>>>;
  readonly title?: string;
  readonly url?: string;
  readonly eventTime?: number;
  readonly metadata?: Readonly<Record<string, string | number | boolean>>;
}

/** Where vector sources search (memory, Qdrant...): the interface a vector store implements, checked by `testVectorStore`. */
export interface VectorStore {
  readonly name: string;
  /** Inserts or replaces records by id. Throws `CTX_DIMENSION_MISMATCH` on a vector of the wrong size. */
  upsert(records: readonly VectorRecord[], options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Best hits first. Rejects on failure (timeout, unreachable): an error is never "no results".
   * Multi-tenant stores throw `CTX_TENANT_REQUIRED` for a query without `tenant`.
   */
  query(query: VectorQuery, options?: { signal?: AbortSignal }): Promise<VectorHit[]>;
  /** Removes every chunk of a document (re-indexing a changed document replaces its chunks). */
  deleteDocument(documentId: string, options?: { tenant?: string; signal?: AbortSignal }): Promise<void>;
  /**
   * Right to erasure: removes every chunk owned by `entityKey` (the chunks' `entityKey`) in one
   * tenant's namespace, or the tenant-less one; resolves to how many chunks were removed. A store may
   * remove the whole documents those chunks belong to (the embedded one does: a document is indexed
   * for one owner). Optional: `ctx.forget` reports a vector store without it as not erased.
   */
  forgetEntity?(
    request: { readonly entityKey: string; readonly tenant?: string },
    options?: { signal?: AbortSignal },
  ): Promise<number>;
  /** Releases the store's resources; later calls reject with `CTX_STORE_UNAVAILABLE`. */
  close?(): Promise<void>;
}

/** Turns texts into vectors, for indexing and for a vector source's query. */
export interface Embedder {
  /** Stable id of the model, recorded with indexes ("local-hash-384", "openai:text-embedding-3-small"). */
  readonly id: string;
  readonly dimensions: number;
  /** Largest batch one `embed` call accepts; callers split larger inputs. */
  readonly maxBatchSize: number;
  /**
   * One vector of `dimensions` numbers per text, in input order; at most `maxBatchSize` texts per call.
   * Rejects on failure (never returns fewer vectors).
   */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<number[][]>;
}
