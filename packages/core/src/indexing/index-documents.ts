// The indexing pipeline: documents -> token-bounded chunks (counted once) -> embeddings in batches
// through any Embedder -> upserts into any VectorStore, with progress reports. Chunk ids derive from
// (document id, chunk index), so running it again is idempotent, and re-indexing a changed document
// replaces all of its old chunks. A document's old chunks are only removed once its new chunks are
// embedded, so an embedder failure never leaves a document unindexed.
import { toEpochMs } from "../definitions/duration.js";
import type { Encoding } from "../envelope.js";
import { CtxError } from "../errors.js";
import { loadEncoding, tiktokenTokenizer } from "../tokenize/tiktoken.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { Embedder, VectorRecord, VectorStore } from "../vector/types.js";
import { type Chunk, chunkText } from "./chunk.js";

/**
 * A document to index with `indexDocuments`: a stable id and its text, with optional citation
 * (title, url), tenant, owning entity, event time and equality-filterable metadata.
 */
export interface IndexDocument {
  /** Stable id: indexing the same id again replaces that document's chunks. */
  readonly id: string;
  readonly text: string;
  readonly title?: string;
  readonly url?: string;
  /** Defaults to `IndexOptions.tenant`. */
  readonly tenant?: string;
  /**
   * Canonical entity key when the document belongs to one entity (e.g. one customer's tickets):
   * `canonicalize({ userId: "u1" })`, the string `assemble` matches for vector sources with an entity.
   */
  readonly entityKey?: string;
  readonly eventTime?: Date | number | string;
  /** Copied onto every chunk; usable in equality filters. */
  readonly metadata?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Counts `indexDocuments` reports through `onProgress` after each step (a batch embedded, a chunk
 * written, a document done).
 */
export interface IndexProgress {
  readonly documentsTotal: number;
  /** Documents whose chunks are all written. */
  readonly documentsDone: number;
  readonly chunksTotal: number;
  readonly chunksEmbedded: number;
  readonly chunksWritten: number;
}

/**
 * Options of `indexDocuments`: where chunks go (`store`) and how they are embedded (`embedder`), chunk
 * size and overlap (tokens), batch sizes, tenant, progress callback and abort signal.
 */
export interface IndexOptions {
  store: VectorStore;
  embedder: Embedder;
  /** Counts chunk tokens (stored with each chunk). Default: tiktoken for `encoding`. */
  tokenizer?: Tokenizer;
  /** Default `o200k_base`; ignored when `tokenizer` is given. */
  encoding?: Encoding;
  /** Largest chunk in tokens. Default 256. */
  maxTokens?: number;
  /** Tokens of whole sentences repeated between consecutive chunks. Default 32. */
  overlapTokens?: number;
  /** Name of the vector source / corpus, stored on every chunk (`VectorQuery.source` filters on it). */
  source?: string;
  /** Tenant for documents that do not name one. */
  tenant?: string;
  /** Texts per `embed` call. Default `embedder.maxBatchSize` (at most 256). */
  embedBatchSize?: number;
  /** Records per `upsert` call. Default 256. */
  upsertBatchSize?: number;
  /** Called with a copy of the running counts at the start and after each step. */
  onProgress?: (progress: IndexProgress) => void;
  signal?: AbortSignal;
}

/**
 * What `indexDocuments` indexed: documents, chunks, their total tokens and the embedder id used
 * (name the store or collection after it: vectors of different embedders are not comparable).
 */
export interface IndexResult {
  readonly documents: number;
  readonly chunks: number;
  /** Sum of the chunks' token counts. */
  readonly tokens: number;
  readonly embedder: string;
}

/** Deterministic chunk id: the same document id and chunk index always give the same id. */
export function chunkId(documentId: string, chunkIndex: number): string {
  return `${documentId}#${chunkIndex}`;
}

interface Pending {
  readonly document: IndexDocument;
  readonly tenant: string | undefined;
  readonly eventTime: number | undefined;
  readonly chunks: readonly Chunk[];
  readonly vectors: Array<number[] | undefined>;
  embedded: number;
}

/**
 * Indexes `documents` into `store`. Validates every document before any work (empty text, missing
 * or duplicate ids are `CTX_INVALID_DOCUMENT`), so bad input changes nothing.
 */
export async function indexDocuments(
  documents: readonly IndexDocument[],
  options: IndexOptions,
): Promise<IndexResult> {
  const { store, embedder, signal } = options;
  if (!store || typeof store.upsert !== "function")
    throw new CtxError("CTX_CONFIG", "indexDocuments: `store` must be a VectorStore.");
  if (!embedder || typeof embedder.embed !== "function")
    throw new CtxError("CTX_CONFIG", "indexDocuments: `embedder` must be an Embedder.");
  const embedBatchSize = options.embedBatchSize ?? Math.min(256, Math.max(1, embedder.maxBatchSize));
  const upsertBatchSize = options.upsertBatchSize ?? 256;
  for (const [name, value] of [
    ["embedBatchSize", embedBatchSize],
    ["upsertBatchSize", upsertBatchSize],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new CtxError(
        "CTX_CONFIG",
        `indexDocuments: \`${name}\` must be a positive integer; got ${String(value)}.`,
        { [name]: value },
      );
    }
  }
  if (embedBatchSize > embedder.maxBatchSize) {
    throw new CtxError(
      "CTX_CONFIG",
      `indexDocuments: \`embedBatchSize\` ${embedBatchSize} exceeds the embedder's maxBatchSize ${embedder.maxBatchSize}.`,
      {
        embedBatchSize,
        maxBatchSize: embedder.maxBatchSize,
      },
    );
  }
  validateDocuments(documents, options.tenant);
  signal?.throwIfAborted();

  let tokenizer = options.tokenizer;
  if (!tokenizer) {
    const encoding = options.encoding ?? "o200k_base";
    await loadEncoding(encoding);
    tokenizer = tiktokenTokenizer(encoding);
  }
  const chunking = {
    tokenizer,
    ...(options.maxTokens !== undefined && { maxTokens: options.maxTokens }),
    ...(options.overlapTokens !== undefined && { overlapTokens: options.overlapTokens }),
  };
  const pending: Pending[] = documents.map((document) => {
    const chunks = chunkText(document.text, chunking);
    return {
      document,
      tenant: document.tenant ?? options.tenant,
      eventTime:
        document.eventTime === undefined
          ? undefined
          : toEpochMs(document.eventTime, `eventTime of document ${JSON.stringify(document.id)}`),
      chunks,
      vectors: new Array(chunks.length).fill(undefined),
      embedded: 0,
    };
  });
  const chunksTotal = pending.reduce((sum, entry) => sum + entry.chunks.length, 0);
  const tokens = pending.reduce(
    (sum, entry) => sum + entry.chunks.reduce((inner, chunk) => inner + chunk.tokens, 0),
    0,
  );
  const progress = {
    documentsTotal: documents.length,
    documentsDone: 0,
    chunksTotal,
    chunksEmbedded: 0,
    chunksWritten: 0,
  };
  const report = () => options.onProgress?.({ ...progress });
  report();

  // Chunks flow through fixed-size embedding batches regardless of document boundaries; a document is
  // written as soon as its last chunk has a vector.
  const queue: Array<{ entry: Pending; chunk: Chunk }> = pending.flatMap((entry) =>
    entry.chunks.map((chunk) => ({ entry, chunk })),
  );
  let nextToWrite = 0;
  for (let offset = 0; offset < queue.length; offset += embedBatchSize) {
    signal?.throwIfAborted();
    const batch = queue.slice(offset, offset + embedBatchSize);
    const vectors = await embedder.embed(
      batch.map(({ chunk }) => chunk.text),
      signal ? { signal } : undefined,
    );
    checkEmbeddings(vectors, batch.length, embedder);
    batch.forEach(({ entry, chunk }, position) => {
      entry.vectors[chunk.index] = vectors[position];
      entry.embedded++;
    });
    progress.chunksEmbedded += batch.length;
    report();
    while (
      nextToWrite < pending.length &&
      (pending[nextToWrite] as Pending).embedded === (pending[nextToWrite] as Pending).chunks.length
    ) {
      await writeDocument(
        pending[nextToWrite] as Pending,
        options,
        tokenizer.encoding,
        upsertBatchSize,
        progress,
        report,
      );
      nextToWrite++;
    }
  }
  // Documents with no chunks left (none here: empty documents are rejected) and any trailing ones.
  while (nextToWrite < pending.length) {
    await writeDocument(
      pending[nextToWrite++] as Pending,
      options,
      tokenizer.encoding,
      upsertBatchSize,
      progress,
      report,
    );
  }
  return { documents: documents.length, chunks: chunksTotal, tokens, embedder: embedder.id };
}

async function writeDocument(
  entry: Pending,
  options: IndexOptions,
  encoding: Encoding,
  upsertBatchSize: number,
  progress: { documentsDone: number; chunksWritten: number },
  report: () => void,
): Promise<void> {
  const { document, tenant } = entry;
  const signal = options.signal;
  const records: VectorRecord[] = entry.chunks.map((chunk) => ({
    id: chunkId(document.id, chunk.index),
    documentId: document.id,
    chunkIndex: chunk.index,
    vector: entry.vectors[chunk.index] as number[],
    text: chunk.text,
    tokens: { [encoding]: chunk.tokens } as Partial<Record<Encoding, number>>,
    ...(document.title !== undefined && { title: document.title }),
    ...(document.url !== undefined && { url: document.url }),
    ...(tenant !== undefined && { tenant }),
    ...(document.entityKey !== undefined && { entityKey: document.entityKey }),
    ...(options.source !== undefined && { source: options.source }),
    ...(entry.eventTime !== undefined && { eventTime: entry.eventTime }),
    ...(document.metadata !== undefined && { metadata: document.metadata }),
  }));
  // Old chunks go first: a shorter new version must not leave stale tail chunks behind.
  await options.store.deleteDocument(document.id, {
    ...(tenant !== undefined && { tenant }),
    ...(signal && { signal }),
  });
  for (let offset = 0; offset < records.length; offset += upsertBatchSize) {
    const batch = records.slice(offset, offset + upsertBatchSize);
    await options.store.upsert(batch, signal ? { signal } : undefined);
    progress.chunksWritten += batch.length;
    report();
  }
  progress.documentsDone++;
  report();
}

function validateDocuments(documents: readonly IndexDocument[], defaultTenant: string | undefined): void {
  if (!Array.isArray(documents))
    throw new CtxError("CTX_INVALID_DOCUMENT", "indexDocuments: `documents` must be an array.");
  const seen = new Set<string>();
  documents.forEach((document, position) => {
    const where = `document ${position}${document && typeof document.id === "string" ? ` (${JSON.stringify(document.id)})` : ""}`;
    if (document === null || typeof document !== "object")
      throw new CtxError("CTX_INVALID_DOCUMENT", `${where} must be an object.`, { position });
    if (typeof document.id !== "string" || document.id.length === 0) {
      throw new CtxError(
        "CTX_INVALID_DOCUMENT",
        `${where} needs a non-empty string \`id\` (it keys re-indexing).`,
        { position },
      );
    }
    if (typeof document.text !== "string" || document.text.trim().length === 0) {
      throw new CtxError(
        "CTX_INVALID_DOCUMENT",
        `${where} has empty text; nothing would be searchable. Skip it, or call store.deleteDocument(id) to remove an emptied document.`,
        { position, documentId: document.id },
      );
    }
    if (document.eventTime !== undefined) {
      try {
        toEpochMs(document.eventTime, "eventTime");
      } catch {
        throw new CtxError(
          "CTX_INVALID_DOCUMENT",
          `${where} has an invalid eventTime ${JSON.stringify(document.eventTime)}; use a Date, epoch milliseconds or an ISO-8601 string.`,
          { position, documentId: document.id },
        );
      }
    }
    const key = `${document.tenant ?? defaultTenant ?? ""}\u0000${document.id}`;
    if (seen.has(key)) {
      throw new CtxError(
        "CTX_INVALID_DOCUMENT",
        `${where} appears twice in one call; the second would silently replace the first.`,
        {
          position,
          documentId: document.id,
        },
      );
    }
    seen.add(key);
  });
}

function checkEmbeddings(
  vectors: unknown,
  expectedCount: number,
  embedder: Embedder,
): asserts vectors is number[][] {
  if (!Array.isArray(vectors) || vectors.length !== expectedCount) {
    throw new CtxError(
      "CTX_INVALID_VALUE",
      `Embedder ${embedder.id} returned ${Array.isArray(vectors) ? vectors.length : typeof vectors} vectors for ${expectedCount} texts; it must return one per text.`,
      { embedder: embedder.id, expected: expectedCount },
    );
  }
  for (const vector of vectors as unknown[]) {
    const length = (vector as { length?: unknown })?.length;
    if (length !== embedder.dimensions) {
      throw new CtxError(
        "CTX_DIMENSION_MISMATCH",
        `Embedder ${embedder.id} returned a vector of ${String(length)} dimensions, expected ${embedder.dimensions} (its declared \`dimensions\`). Fix the embedder's dimensions setting.`,
        { embedder: embedder.id, expected: embedder.dimensions, actual: length },
      );
    }
  }
}
