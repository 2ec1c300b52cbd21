// `annVectorStore`: the embedded vector store with an approximate (HNSW) index, for corpora where the
// exact flat scan of `memoryVectorStore` grows too slow (around a million chunks). Same records,
// filters, tenancy and directory format as `memoryVectorStore`: the directory's log is the truth and
// either store opens it; the graph is saved beside it so a reopen need not rebuild. usearch is an
// optional peer dependency, loaded only when this store is created.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { CtxError } from "../errors.js";
import { AnnIndex, type GraphSettings, type UsearchModule } from "./ann-index.js";
import { defineVectorStore } from "./define-vector-store.js";
import { openVectorLog, type VectorLog } from "./persist.js";
import type { Embedder, VectorQuery, VectorRecord, VectorStore } from "./types.js";

export type { UsearchModule } from "./ann-index.js";

/** Options of `annVectorStore()`: those of `memoryVectorStore()` plus the graph's settings. */
export interface AnnVectorStoreOptions extends Partial<GraphSettings> {
  /** Vector size; every upsert and query must match it. Default: the `embedder`'s, else 384. */
  dimensions?: number;
  /** The embedder whose vectors this store holds (recorded in the `directory`, as `memoryVectorStore` does). */
  embedder?: Pick<Embedder, "id" | "dimensions">;
  /** Require a `tenant` on every record, query and delete (`CTX_TENANT_REQUIRED` otherwise). */
  multiTenant?: boolean;
  /**
   * Persist to this directory: the same append-only log as `memoryVectorStore` (either store opens
   * the other's directory), plus the graph, saved on `close()` and `compact()` and reloaded on open
   * when it matches the log (otherwise rebuilt from it).
   */
  directory?: string;
  /** Load `directory` for queries only (no lock, no writes), as in `memoryVectorStore`. */
  readOnly?: boolean;
  /** Shown in errors and traces. Default "ann". */
  name?: string;
  /**
   * Stores (or filters) with at most this many rows are answered by an exact scan instead of the
   * graph: below it a scan is about as fast and exact. Default 1,000.
   */
  exactUpTo?: number;
  /** The `usearch` module to use. Default: the installed `usearch` package. */
  usearch?: UsearchModule;
}

/** A VectorStore answered through an HNSW graph, with the embedded store's extras (size, compact). */
export interface AnnVectorStore extends VectorStore {
  readonly dimensions: number;
  /** Number of stored chunks (after loading the directory, if any). */
  size(): Promise<number>;
  /** How the last query was answered: through the graph, or by an exact scan (small store or selective filter). */
  lastQueryPath(): "graph" | "exact";
  /**
   * Changes `expansionSearch` for the queries that follow: a larger candidate list buys recall with
   * query time, on the same graph (nothing is rebuilt or saved). `CTX_CONFIG` unless an integer from
   * 2 to 4096.
   */
  setExpansionSearch(expansionSearch: number): void;
  /** Where the graph came from on open: the one saved in `directory`, or built from the records. */
  graphOrigin(): Promise<"saved" | "built">;
  /** Rewrites the directory's log to hold only live records, and saves the graph beside it. */
  compact(): Promise<void>;
  /** Saves the graph beside the log when it changed, then releases the directory's write lock. */
  close(): Promise<void>;
}

const GRAPH_FILE = "vectors.usearch";
const GRAPH_META_FILE = "vectors.usearch.json";
const GRAPH_FORMAT = "ctxstore-ann-graph";
const GRAPH_FORMAT_VERSION = 1;

/** What a saved graph was built from: it is reloaded only when all of it still holds. */
interface GraphMeta {
  format: typeof GRAPH_FORMAT;
  version: number;
  dimensions: number;
  rows: number;
  logEntries: number;
  logBytes: number;
  /** SHA-256 of the graph file: a damaged graph is rebuilt, never handed to the native loader. */
  graphSha256: string;
  settings: GraphSettings;
}

const DEFAULT_SETTINGS: GraphSettings = {
  connectivity: 16,
  expansionAdd: 128,
  expansionSearch: 128,
  quantization: "f16",
};

/** Loads the optional `usearch` peer dependency, or says how to install it. */
export function loadUsearch(
  load: (specifier: string) => unknown = createRequire(import.meta.url),
): UsearchModule {
  try {
    const loaded = load("usearch") as UsearchModule & { default?: UsearchModule };
    return typeof loaded.Index === "function" ? loaded : (loaded.default as UsearchModule);
  } catch (error) {
    throw new CtxError(
      "CTX_CONFIG",
      `annVectorStore needs the optional peer dependency "usearch" (${(error as Error).message.split("\n")[0]}). Install it with \`npm install usearch\`, or use memoryVectorStore(), the exact flat scan.`,
    );
  }
}

/**
 * The embedded vector store with an approximate (HNSW) index, for about a million chunks in one
 * process: same records, filters, tenancy and directory format as `memoryVectorStore()`, scores
 * re-computed exactly, recall@10 against the flat scan >= 0.95 in the `vector.ann` benchmark.
 * Needs the optional peer dependency `usearch` (`CTX_CONFIG` without it).
 */
export function annVectorStore(options: AnnVectorStoreOptions = {}): AnnVectorStore {
  const dimensions = options.dimensions ?? options.embedder?.dimensions ?? 384;
  const name = options.name ?? "ann";
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 65_536) {
    throw new CtxError(
      "CTX_CONFIG",
      `annVectorStore: \`dimensions\` must be a positive integer; got ${String(dimensions)}.`,
      { dimensions },
    );
  }
  if (options.embedder && options.embedder.dimensions !== dimensions) {
    throw new CtxError(
      "CTX_DIMENSION_MISMATCH",
      `annVectorStore: \`dimensions\` is ${dimensions} but embedder "${options.embedder.id}" produces ${options.embedder.dimensions}; drop one of them.`,
      { expected: dimensions, actual: options.embedder.dimensions },
    );
  }
  const settings = checkSettings(name, options);
  const exactUpTo = options.exactUpTo ?? 1_000;
  if (!(exactUpTo >= 0)) {
    throw new CtxError(
      "CTX_CONFIG",
      `${name}: \`exactUpTo\` must be a number >= 0; got ${String(exactUpTo)}.`,
    );
  }
  const multiTenant = options.multiTenant === true;
  const readOnly = options.readOnly === true;
  const directory = options.directory;
  if (readOnly && directory === undefined) {
    throw new CtxError("CTX_CONFIG", "annVectorStore: `readOnly` needs the `directory` to load.");
  }
  // A missing usearch fails here, at creation, not at the first query.
  const index = new AnnIndex(options.usearch ?? loadUsearch(), dimensions, { ...settings, exactUpTo });
  let log: VectorLog | undefined;
  /** Entries in the log now (replayed + appended): a saved graph records it. */
  let logEntries = 0;
  let closed = false;
  let graphOrigin: "saved" | "built" = "built";

  const graphPath = directory === undefined ? "" : join(directory, GRAPH_FILE);
  const metaPath = directory === undefined ? "" : join(directory, GRAPH_META_FILE);

  async function logBytes(): Promise<number> {
    return log === undefined ? 0 : (await stat(log.path)).size;
  }

  async function saveGraph(): Promise<void> {
    if (log === undefined || readOnly) return;
    // The old description goes first: a crash mid-save leaves a graph without one, which is rebuilt.
    await unlink(metaPath).catch(() => {});
    index.saveGraph(`${graphPath}.tmp`);
    await rename(`${graphPath}.tmp`, graphPath);
    const meta: GraphMeta = {
      format: GRAPH_FORMAT,
      version: GRAPH_FORMAT_VERSION,
      dimensions,
      rows: index.size,
      logEntries,
      logBytes: await logBytes(),
      graphSha256: await sha256(graphPath),
      settings,
    };
    await writeFile(`${metaPath}.tmp`, JSON.stringify(meta));
    await rename(`${metaPath}.tmp`, metaPath);
    index.changed = false;
  }

  /** Reloads the saved graph when it was built from exactly the log just replayed. */
  async function loadSavedGraph(): Promise<boolean> {
    let meta: GraphMeta;
    try {
      meta = JSON.parse(await readFile(metaPath, "utf8")) as GraphMeta;
    } catch {
      return false;
    }
    const current =
      meta.format === GRAPH_FORMAT &&
      meta.version === GRAPH_FORMAT_VERSION &&
      meta.dimensions === dimensions &&
      meta.rows === index.size &&
      meta.logEntries === logEntries &&
      meta.logBytes === (await logBytes()) &&
      sameGraphBuild(meta.settings, settings) &&
      meta.graphSha256 === (await sha256(graphPath).catch(() => undefined));
    if (!current) return false;
    try {
      return index.loadGraph(graphPath);
    } catch {
      return false;
    }
  }

  const ready: Promise<void> =
    directory === undefined
      ? Promise.resolve()
      : openVectorLog(
          directory,
          { dimensions, multiTenant, embedder: options.embedder?.id },
          (entry) => {
            if (entry.op === "upsert") index.set(entry.record);
            else index.deleteDocument(entry.documentId, entry.tenant);
          },
          { readOnly },
        ).then(async (opened) => {
          log = opened;
          logEntries = opened.replayedEntries;
          if (!readOnly && opened.replayedEntries > 2 * index.size + 1_000) {
            await opened.compact(index.entries());
            logEntries = index.size;
          } else if (await loadSavedGraph()) {
            graphOrigin = "saved";
            return;
          }
          // One multi-threaded build of the whole graph, saved so the next open can skip it.
          index.flush();
          await saveGraph();
        });
  ready.catch(() => {});

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

    async upsert(records: readonly VectorRecord[]) {
      await ready;
      await serialised(async () => {
        await log?.appendUpserts(records);
        logEntries += records.length;
        for (const record of records) index.set(record);
        index.flush();
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
        logEntries += 1;
        index.deleteDocument(documentId, callOptions?.tenant);
      });
    },

    async size() {
      await ready;
      return index.size;
    },

    lastQueryPath() {
      return index.lastPath;
    },

    setExpansionSearch(expansionSearch: number) {
      checkGraphNumber(name, "expansionSearch", expansionSearch);
      index.setExpansionSearch(expansionSearch);
    },

    async graphOrigin() {
      await ready;
      return graphOrigin;
    },

    async compact() {
      if (closed)
        throw new CtxError("CTX_STORE_UNAVAILABLE", `${name}: the vector store is closed; create a new one.`);
      await ready;
      await serialised(async () => {
        if (log === undefined) return;
        await log.compact(index.entries());
        logEntries = index.size;
        await saveGraph();
      });
    },

    async close() {
      closed = true;
      const loaded = await ready.then(
        () => true,
        () => false,
      );
      await writes;
      if (loaded && index.changed) await saveGraph();
      await log?.close();
    },
  });
}

function checkGraphNumber(name: string, field: keyof GraphSettings, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 2 || (value as number) > 4_096) {
    throw new CtxError(
      "CTX_CONFIG",
      `${name}: \`${field}\` must be an integer from 2 to 4096; got ${String(value)}.`,
      { [field]: value },
    );
  }
}

/**
 * Whether a saved graph was built with these settings. `expansionSearch` is read at query time only,
 * so changing it reuses the saved graph (at a million chunks a rebuild takes many minutes).
 */
function sameGraphBuild(saved: Partial<GraphSettings> | undefined, wanted: GraphSettings): boolean {
  return (
    saved?.connectivity === wanted.connectivity &&
    saved.expansionAdd === wanted.expansionAdd &&
    saved.quantization === wanted.quantization
  );
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function checkSettings(name: string, options: AnnVectorStoreOptions): GraphSettings {
  const settings: GraphSettings = {
    connectivity: options.connectivity ?? DEFAULT_SETTINGS.connectivity,
    expansionAdd: options.expansionAdd ?? DEFAULT_SETTINGS.expansionAdd,
    expansionSearch: options.expansionSearch ?? DEFAULT_SETTINGS.expansionSearch,
    quantization: options.quantization ?? DEFAULT_SETTINGS.quantization,
  };
  for (const field of ["connectivity", "expansionAdd", "expansionSearch"] as const)
    checkGraphNumber(name, field, settings[field]);
  if (!["f32", "f16", "i8"].includes(settings.quantization)) {
    throw new CtxError(
      "CTX_CONFIG",
      `${name}: \`quantization\` must be "f32", "f16" or "i8"; got ${String(settings.quantization)}.`,
    );
  }
  return settings;
}
