// The embedded default VectorStore: exact cosine search in process memory, optionally persisted to a
// local directory so a corpus is indexed once and queried by later processes. Passes the
// `testVectorStore` contract suite; use `@ctxstore/qdrant` beyond one machine. Input checks, the
// closed state and rejected promises are `defineVectorStore`'s; this file is the storage.
import { CtxError } from "../errors.js";
import { defineVectorStore } from "./define-vector-store.js";
import { FlatIndex } from "./flat-index.js";
import { openVectorLog, type VectorLog } from "./persist.js";
import type { Embedder, VectorQuery, VectorRecord, VectorStore } from "./types.js";

/**
 * Options of `memoryVectorStore()`: vector size, the embedder it holds vectors of, tenancy, and an
 * optional directory to persist to (or to read only).
 */
export interface MemoryVectorStoreOptions {
  /** Vector size; every upsert and query must match it. Default: the `embedder`'s, else 384 (`localEmbedder()`). */
  dimensions?: number;
  /**
   * The embedder whose vectors this store holds. Its id is recorded in the `directory`, and opening
   * a directory indexed by another embedder fails (`CTX_CONFIG`) instead of returning nonsense.
   */
  embedder?: Pick<Embedder, "id" | "dimensions">;
  /** Require a `tenant` on every record, query and delete (`CTX_TENANT_REQUIRED` otherwise). */
  multiTenant?: boolean;
  /**
   * Persist to this directory (created if missing): every upsert/delete is appended to a log before
   * the call resolves, and a new store on the same directory loads it. One writing process at a time.
   */
  directory?: string;
  /**
   * Load `directory` for queries only: no lock, no writes, and the file is never modified, so a
   * serving process can open an index another process is still writing (it sees the entries present
   * when it opened; open a new store to see later ones). A missing index is an error, not an empty
   * store. Default false: the store takes the directory's write lock (one writer at a time).
   */
  readOnly?: boolean;
  /** Shown in errors and traces. Default "memory". */
  name?: string;
  /**
   * Dot-product kernel: WebAssembly SIMD when the runtime has it (default), or plain JS (the
   * benchmark's baseline and the fallback). Both give the same ranking.
   */
  kernel?: "wasm-simd" | "js";
  /**
   * Up to this many chunks every query scans all float32 rows. Above it, an int8 pass (a quarter of
   * the memory traffic) bounds every row's score, and only rows that can still reach the top k are
   * re-scored from float32: results stay exact either way. Default 20,000.
   */
  exactUpTo?: number;
}

export interface MemoryVectorStore extends VectorStore {
  readonly dimensions: number;
  readonly kernel: "wasm-simd" | "js";
  /** Number of stored chunks (after loading the directory, if any). */
  size(): Promise<number>;
  /** Rewrites the directory's log to hold only live records (also done automatically on open). */
  compact(): Promise<void>;
  /**
   * Waits for writes in flight, then releases the directory; later calls reject with
   * `CTX_STORE_UNAVAILABLE`.
   */
  close(): Promise<void>;
}

/** The embedded vector store: an exact flat scan in memory, optionally persisted to a `directory`. */
export function memoryVectorStore(options: MemoryVectorStoreOptions = {}): MemoryVectorStore {
  const dimensions = options.dimensions ?? options.embedder?.dimensions ?? 384;
  const name = options.name ?? "memory";
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 65_536) {
    throw new CtxError(
      "CTX_CONFIG",
      `memoryVectorStore: \`dimensions\` must be a positive integer; got ${String(dimensions)}.`,
      { dimensions },
    );
  }
  if (options.embedder && options.embedder.dimensions !== dimensions) {
    throw new CtxError(
      "CTX_DIMENSION_MISMATCH",
      `memoryVectorStore: \`dimensions\` is ${dimensions} but embedder "${options.embedder.id}" produces ${options.embedder.dimensions}; drop one of them.`,
      { expected: dimensions, actual: options.embedder.dimensions },
    );
  }
  const multiTenant = options.multiTenant === true;
  const readOnly = options.readOnly === true;
  if (readOnly && options.directory === undefined) {
    throw new CtxError("CTX_CONFIG", "memoryVectorStore: `readOnly` needs the `directory` to load.");
  }
  const index = new FlatIndex(dimensions, {
    ...(options.kernel !== undefined && { kernel: options.kernel }),
    ...(options.exactUpTo !== undefined && { exactUpTo: options.exactUpTo }),
  });
  let log: VectorLog | undefined;
  let closed = false;
  // Loading a directory is asynchronous; every operation waits for it (and rethrows its failure).
  const ready: Promise<void> =
    options.directory === undefined
      ? Promise.resolve()
      : openVectorLog(
          options.directory,
          { dimensions, multiTenant, embedder: options.embedder?.id },
          (entry) => {
            if (entry.op === "upsert") index.set(entry.record);
            else index.deleteDocument(entry.documentId, entry.tenant);
          },
          { readOnly },
        ).then(async (opened) => {
          log = opened;
          if (!readOnly && opened.replayedEntries > 2 * index.size + 1_000)
            await opened.compact(index.entries());
        });
  // Keep an unobserved load failure from crashing the process; callers see it on their next call.
  ready.catch(() => {});

  // Mutations are serialised so the log order is the apply order.
  let writes: Promise<unknown> = Promise.resolve();
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const next = writes.then(work, work);
    writes = next.catch(() => {});
    return next;
  };

  return defineVectorStore({
    name,
    dimensions,
    multiTenant,
    kernel: index.kernel,

    async upsert(records: readonly VectorRecord[]) {
      await ready;
      await serialised(async () => {
        await log?.appendUpserts(records);
        for (const record of records) index.set(record);
      });
    },

    async query(query: VectorQuery) {
      await ready;
      return index.search(query);
    },

    async deleteDocument(documentId, callOptions) {
      await ready;
      await serialised(async () => {
        await log?.appendDelete(documentId, callOptions?.tenant);
        index.deleteDocument(documentId, callOptions?.tenant);
      });
    },

    async forgetEntity(request: { entityKey: string; tenant?: string }) {
      await ready;
      return serialised(async () => {
        let removed = 0;
        for (const documentId of index.documentsOwnedBy(request.entityKey, request.tenant)) {
          await log?.appendDelete(documentId, request.tenant);
          removed += index.deleteDocument(documentId, request.tenant);
        }
        return removed;
      });
    },

    async size() {
      await ready;
      return index.size;
    },

    async compact() {
      // Not part of the VectorStore interface, so the wrapper does not guard it.
      if (closed)
        throw new CtxError("CTX_STORE_UNAVAILABLE", `${name}: the vector store is closed; create a new one.`);
      await ready;
      await serialised(async () => log?.compact(index.entries()));
    },

    async close() {
      closed = true;
      await ready.catch(() => {});
      await writes;
      await log?.close();
    },
  });
}
