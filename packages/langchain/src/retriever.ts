// ContextStoreRetriever: a LangChain retriever over a ctxstore context store. `invoke(question)`
// assembles the packed context and returns one Document per source that reached the prompt (per
// passage for vector sources), whose metadata says what it is (source, tier, section), how much to
// trust it (status, event time, age) and what it costs (tokens). An unavailable source under the `note` policy comes back as a Document
// whose status says so: an empty result list would read like "nothing known", which is the phantom
// zero ctxstore exists to prevent.
import type { AssembleResult, ContextStore, Status, Tier, Tokenizer, VectorHit } from "@ctxstore/core";
import { CtxError, mergeRequestLayers } from "@ctxstore/core";
import { CallbackManager, type CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import { Document } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";
import { ensureConfig, type RunnableConfig } from "@langchain/core/runnables";
import { type ContextItem, contextItems } from "./items.js";
import {
  type ContextRequestOptions,
  checkAdapterOptions,
  type DefaultLayer,
  readCallOptions,
} from "./request.js";
import { emitTrace } from "./trace-event.js";

export interface ContextStoreRetrieverOptions extends ContextRequestOptions, BaseRetrieverInput {}

/** Metadata of every Document the retriever returns. */
export interface ContextDocumentMetadata {
  readonly source: string;
  readonly tier: Tier;
  readonly section: string;
  /** Only `ok` and `empty` are facts; any other status means the text is a note that the value is unknown. */
  readonly status: Status;
  /** What the text is: the value, a confirmed-empty line, an unknown-value note, or a labelled fallback. */
  readonly rendered: "value" | "empty" | "note" | "fallback";
  /** `truncated`: packing kept only part of the value to fit the budget. */
  readonly outcome: "included" | "truncated";
  /** When the value became true (epoch ms). */
  readonly eventTime?: number | undefined;
  /** Age of the value when assembled (ms). */
  readonly ageMs?: number | undefined;
  /** Exact tokens this text takes in the packed context (the store's encoding). */
  readonly tokens: number;
  /** Why the status is not `ok`, when it is not. */
  readonly reason?: string | undefined;
  /** The assembly trace id (the full trace is dispatched as the `ctxstore_trace` custom event). */
  readonly traceId: string;
  /** Vector sources (one Document per passage): similarity score and citation of the passage. */
  readonly score?: number;
  readonly documentId?: string;
  readonly chunkIndex?: number;
  readonly title?: string | undefined;
  readonly url?: string | undefined;
}

/** The BaseRetriever fields passed through to LangChain. */
const RETRIEVER_FIELDS = new Set(["callbacks", "tags", "metadata", "verbose"]);

/**
 * A LangChain retriever over a context store: `invoke(question)` assembles context and returns one
 * `Document` per source that reached the prompt (one per passage for vector sources), with status,
 * tier, section, age and exact tokens in its metadata; an unavailable value is a Document whose
 * `status` says so, never a missing one. Throws `CTX_INVALID_REQUEST` for an empty question.
 *
 * ```ts
 * const retriever = new ContextStoreRetriever({ contextStore: ctx, keys, budget: { maxTokens: 800 } });
 * const documents = await retriever.invoke("Where is my refund?");
 * ```
 */
export class ContextStoreRetriever extends BaseRetriever<ContextDocumentMetadata> {
  static override lc_name(): string {
    return "ContextStoreRetriever";
  }

  lc_namespace = ["ctxstore", "retrievers"];

  readonly contextStore: ContextStore;
  /** The request options given at construction: the first layer of every request. */
  readonly requestOptions: DefaultLayer;

  constructor(options: ContextStoreRetrieverOptions) {
    const { contextStore, keys, budget, deadline, sources, tenant, ...retrieverFields } =
      options ?? ({} as ContextStoreRetrieverOptions);
    const requestOptions = checkAdapterOptions(
      { contextStore, keys, budget, deadline, sources, tenant },
      "ContextStoreRetriever",
    );
    const unknown = Object.keys(retrieverFields).filter((field) => !RETRIEVER_FIELDS.has(field));
    if (unknown.length > 0) {
      throw new CtxError(
        "CTX_CONFIG",
        `ContextStoreRetriever does not know the option(s) ${unknown.map((field) => `"${field}"`).join(", ")}. Options: contextStore, budget, keys, deadline, sources, tenant, callbacks, tags, metadata, verbose.`,
        { unknown },
      );
    }
    super(retrieverFields);
    this.contextStore = contextStore;
    this.requestOptions = requestOptions;
  }

  /**
   * Same run lifecycle as `BaseRetriever.invoke`, but the config reaches the retrieval: per-call keys
   * come from `config.configurable.ctxstore`, and the trace event is dispatched under this run.
   */
  override async invoke(
    input: string,
    options?: RunnableConfig,
  ): Promise<Document<ContextDocumentMetadata>[]> {
    const config = ensureConfig(options);
    const callbackManager = await CallbackManager.configure(
      config.callbacks,
      this.callbacks,
      config.tags,
      this.tags,
      config.metadata,
      this.metadata,
      { verbose: this.verbose === true },
    );
    const runManager = await callbackManager?.handleRetrieverStart(
      this.toJSON(),
      input,
      config.runId,
      undefined,
      undefined,
      undefined,
      config.runName,
    );
    try {
      const documents = await this.retrieve(input, config, runManager);
      await runManager?.handleRetrieverEnd(documents);
      return documents;
    } catch (error) {
      await runManager?.handleRetrieverError(error);
      throw error;
    }
  }

  /** For callers that use the legacy entry point directly: options keys only, no per-call config. */
  override async _getRelevantDocuments(
    query: string,
    runManager?: CallbackManagerForRetrieverRun,
  ): Promise<Document<ContextDocumentMetadata>[]> {
    return this.retrieve(query, {}, runManager);
  }

  private async retrieve(
    input: unknown,
    config: RunnableConfig,
    runManager: CallbackManagerForRetrieverRun | undefined,
  ): Promise<Document<ContextDocumentMetadata>[]> {
    if (typeof input !== "string" || input.trim().length === 0) {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `ContextStoreRetriever needs the user's question as a non-empty string, e.g. retriever.invoke("Where is my refund?"); got ${describe(input)}. Vector sources search with it. For context without a question, use contextRunnable().`,
        { received: describe(input) },
      );
    }
    const request = mergeRequestLayers([
      this.requestOptions,
      readCallOptions(config.configurable, "config.configurable"),
      { query: input, signal: config.signal },
    ]);
    const result = await this.contextStore.assemble(request);
    if (runManager) await emitTrace(result.trace, { callbacks: runManager.getChild() });
    return contextItems(result).flatMap((item) => documentsFor(item, result, this.contextStore.tokenizer));
  }
}

/**
 * One Document per context item; a vector source's item is split further into one Document per
 * passage (with its score and citation), which is what a retriever's caller expects from a search.
 */
function documentsFor(
  item: ContextItem,
  result: AssembleResult,
  tokenizer: Tokenizer,
): Document<ContextDocumentMetadata>[] {
  const { trace } = item;
  const metadata: ContextDocumentMetadata = {
    source: trace.source,
    tier: trace.tier,
    section: trace.section,
    status: trace.status,
    rendered: trace.rendered as ContextDocumentMetadata["rendered"],
    outcome: trace.outcome as ContextDocumentMetadata["outcome"],
    eventTime: trace.eventTime,
    ageMs: trace.ageMs,
    tokens: trace.tokens,
    reason: trace.reason,
    traceId: result.trace.id,
  };
  const id = `${result.trace.id}/${trace.source}`;
  const passages =
    trace.tier === "vector" && trace.rendered === "value" ? vectorPassages(item, result) : undefined;
  if (!passages) return [new Document({ id, pageContent: item.text, metadata })];
  return passages.map(({ line, hit }, index) => {
    const tokens = tokenizer.count(`${line}\n`);
    return new Document({
      id: `${id}/${index}`,
      pageContent: line,
      metadata: {
        ...metadata,
        tokens,
        score: hit.score,
        documentId: hit.documentId,
        chunkIndex: hit.chunkIndex,
        title: hit.title,
        url: hit.url,
      },
    });
  });
}

/**
 * Pairs a vector item's passage lines with the hits they render (one line per hit, best first; a
 * truncated list ends with a "[… n more items not shown]" marker, which belongs to no hit). Returns
 * undefined when the lines and hits do not pair up, and the item stays one Document.
 */
function vectorPassages(
  item: ContextItem,
  result: AssembleResult,
): { line: string; hit: VectorHit }[] | undefined {
  const hits = result.values[item.trace.source]?.value;
  if (!Array.isArray(hits)) return undefined;
  const lines = item.text.split("\n");
  const passages = lines.filter((line) => line.startsWith("- "));
  const markers = lines.length - passages.length;
  if (
    passages.length === 0 ||
    passages.length > hits.length ||
    markers > (item.trace.outcome === "truncated" ? 1 : 0)
  ) {
    return undefined;
  }
  return passages.map((line, index) => ({ line, hit: hits[index] as VectorHit }));
}

function describe(input: unknown): string {
  if (typeof input === "string") return JSON.stringify(input);
  if (input === undefined || input === null) return String(input);
  return `a ${Array.isArray(input) ? "array" : typeof input}`;
}
