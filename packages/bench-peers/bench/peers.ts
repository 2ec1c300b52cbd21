// Each peer builds the fixture's prompt its own way and returns the prompt text. Each is written the
// way its documentation shows (or, for "by hand", the way a team without a context store does),
// with the same timeouts: 50 ms on realtime lookups, and on store reads the 200 ms that ctxstore's
// request deadline gives its own read; how each handles a failure is its own.

import { seedAssembleBench } from "@ctxstore/bench-fixtures";
import { createContextStore, memoryStore, type OnlineStore, type VectorStore } from "@ctxstore/core";
import { createElement, Fragment, type PromptElement, render } from "@impowering/priompt";
import { O200K } from "@impowering/priompt/dist/tokenizer.js";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import { Document } from "@langchain/core/documents";
import { Embeddings } from "@langchain/core/embeddings";
import { type BaseMessage, SystemMessage, trimMessages } from "@langchain/core/messages";
import { type Runnable, RunnableLambda, RunnableParallel } from "@langchain/core/runnables";
import { createMemory, staticBlock } from "@llamaindex/core/memory";
import { Redis } from "ioredis";
import type { Tiktoken } from "js-tiktoken/lite";
import {
  BENCH_KEYS,
  BUDGET,
  type Chunk,
  ctxstoreSources,
  embedder,
  LOOKUP_TIMEOUT_MS,
  lookup,
  plainSources,
  QUERY,
  STORE_TIMEOUT_MS,
  TOP_K,
} from "./fixture.js";

export interface Peer {
  readonly name: string;
  /** The libraries doing the work, pinned (package@version). */
  readonly versions: string;
  /** What the peer cannot do of the job, in its own terms (shown in the table). */
  readonly limits: string;
  prompt(): Promise<string>;
  /** The peer's vector search alone, for the query embedded once. */
  search(): Promise<unknown>;
  close(): Promise<void>;
}

/** The query's vector, embedded once (for `search()`). */
const queryVector = embedder.embed([QUERY]).then(([vector]) => vector as number[]);

/** The shared embedded search (ctxstore's `memoryVectorStore`), used by every peer but LangChain. */
const sharedSearch = (chunks: VectorStore) => async () =>
  chunks.query({ vector: await queryVector, topK: TOP_K });

export async function ctxstorePeer(
  name: string,
  online: OnlineStore,
  chunks: VectorStore,
  versions: string,
): Promise<Peer> {
  const sources = ctxstoreSources(chunks);
  const ctx = createContextStore({ sources, online, deadline: `${STORE_TIMEOUT_MS}ms` });
  await ctx.ready();
  await seedAssembleBench(ctx, sources);
  return {
    name,
    versions,
    limits: "none found",
    prompt: async () =>
      (await ctx.assemble({ keys: BENCH_KEYS, query: QUERY, budget: { maxTokens: BUDGET } })).text,
    search: sharedSearch(chunks),
    close: () => ctx.close(),
  };
}

export function ctxstoreMemoryPeer(chunks: VectorStore, versions: string): Promise<Peer> {
  return ctxstorePeer("ctxstore (memory)", memoryStore(), chunks, versions);
}

/** An ioredis client whose connection errors surface as rejected commands, not logged events. */
function quietClient(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  return redis;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Reads the sources the way teams do without a store: one GET each, a failed read treated as "nothing". */
async function readPlain(redis: Redis, sequential: boolean) {
  const sources = plainSources();
  const read = async (source: (typeof sources)[number]) => {
    const raw = await withTimeout(redis.get(source.key), STORE_TIMEOUT_MS).catch(() => null);
    return { source, lines: raw ? source.render(JSON.parse(raw)) : [] };
  };
  if (!sequential) return Promise.all(sources.map(read));
  const results = [];
  for (const source of sources) results.push(await read(source));
  return results;
}

async function realtimeLines(): Promise<{ section: string; priority: number; lines: string[] }[]> {
  const values = await Promise.all(
    (["inventory", "loyalty"] as const).map((name) =>
      withTimeout(lookup(name), LOOKUP_TIMEOUT_MS).catch(() => undefined),
    ),
  );
  return [{ section: "Live", priority: 40, lines: values.filter((value) => value !== undefined) }];
}

interface Block {
  section: string;
  priority: number;
  lines: string[];
}

function sectionsOf(blocks: readonly Block[]): { title: string; priority: number; lines: string[] }[] {
  const sections = new Map<string, { title: string; priority: number; lines: string[] }>();
  for (const block of blocks) {
    const section = sections.get(block.section) ?? {
      title: block.section,
      priority: block.priority,
      lines: [],
    };
    section.priority = Math.max(section.priority, block.priority);
    section.lines.push(...block.lines);
    sections.set(block.section, section);
  }
  return [...sections.values()]
    .filter((section) => section.lines.length > 0)
    .sort((a, b) => b.priority - a.priority);
}

/** By hand: GET per source, a template string, and a tiktoken recount per section to stay in budget. */
export function byHandPeer(url: string, chunks: VectorStore, encoder: Tiktoken, versions: string): Peer {
  const redis = quietClient(url);
  return {
    name: "by hand (ioredis GET + template + tiktoken)",
    versions,
    limits:
      "whatever the team writes: here a failed read is an absent line, and trimming drops whole sections",
    search: sharedSearch(chunks),
    async prompt() {
      const [values, live, hits] = await Promise.all([
        readPlain(redis, true),
        realtimeLines(),
        embedder.embed([QUERY]).then(([query]) => chunks.query({ vector: query as number[], topK: TOP_K })),
      ]);
      const blocks: Block[] = [
        ...values.map(({ source, lines }) => ({ section: source.section, priority: source.priority, lines })),
        ...live,
        { section: "Articles", priority: 30, lines: hits.map((hit) => hit.text) },
      ];
      let prompt = "";
      for (const section of sectionsOf(blocks)) {
        const next = `${prompt}## ${section.title}\n${section.lines.join("\n")}\n\n`;
        if (encoder.encode(next).length > BUDGET) break;
        prompt = next;
      }
      return prompt;
    },
    close: async () => {
      redis.disconnect();
    },
  };
}

class LocalEmbeddings extends Embeddings {
  embedDocuments(texts: string[]): Promise<number[][]> {
    return embedder.embed(texts);
  }
  async embedQuery(text: string): Promise<number[]> {
    return (await embedder.embed([text]))[0] as number[];
  }
}

/** LangChain.js: the lookups as one RunnableParallel, a MemoryVectorStore retriever, trimMessages. */
export async function langchainPeer(
  url: string,
  chunks: readonly Chunk[],
  encoder: Tiktoken,
  versions: string,
): Promise<Peer> {
  const redis = quietClient(url);
  const store = new MemoryVectorStore(new LocalEmbeddings({}));
  await store.addVectors(
    chunks.map((chunk) => chunk.vector),
    chunks.map((chunk) => new Document({ pageContent: chunk.text, metadata: { id: chunk.id } })),
  );
  const retriever = store.asRetriever({ k: TOP_K });
  const sources = plainSources();
  // The documented pattern for a step that may fail: a timeout in its config and a fallback value.
  const steps: Record<string, Runnable> = {};
  for (const source of sources) {
    steps[source.name] = RunnableLambda.from(async () => {
      const raw = await redis.get(source.key);
      return raw ? source.render(JSON.parse(raw)) : [];
    })
      .withConfig({ timeout: STORE_TIMEOUT_MS })
      .withFallbacks([RunnableLambda.from(() => [] as string[])]);
  }
  for (const name of ["inventory", "loyalty"] as const) {
    steps[name] = RunnableLambda.from(async () => [await lookup(name)])
      .withConfig({ timeout: LOOKUP_TIMEOUT_MS })
      .withFallbacks([RunnableLambda.from(() => [] as string[])]);
  }
  steps.articles = retriever.pipe(
    RunnableLambda.from((documents: Document[]) => documents.map((d) => d.pageContent)),
  );
  const parallel = RunnableParallel.from(steps);
  const countTokens = (messages: BaseMessage[]) =>
    messages.reduce((total, message) => total + encoder.encode(String(message.content)).length, 0);
  return {
    name: "LangChain.js (RunnableParallel + MemoryVectorStore + trimMessages)",
    versions,
    limits:
      "no status per step: a step that fails or times out becomes its fallback value, indistinguishable from an empty one; MemoryVectorStore scans and sorts every chunk in JavaScript on the event loop (its search alone is in vector_search_p50_ms), which delays every other step's reply",
    search: async () => store.similaritySearchVectorWithScore(await queryVector, TOP_K),
    async prompt() {
      const values = (await parallel.invoke(QUERY)) as Record<string, string[]>;
      const blocks: Block[] = [
        ...sources.map((source) => ({
          section: source.section,
          priority: source.priority,
          lines: values[source.name] ?? [],
        })),
        { section: "Live", priority: 40, lines: [...(values.inventory ?? []), ...(values.loyalty ?? [])] },
        { section: "Articles", priority: 30, lines: values.articles ?? [] },
      ];
      const messages = sectionsOf(blocks).map(
        (section) => new SystemMessage(`## ${section.title}\n${section.lines.join("\n")}\n\n`),
      );
      const trimmed = await trimMessages(messages, {
        maxTokens: BUDGET,
        strategy: "first",
        tokenCounter: countTokens,
      });
      return trimmed.map((message) => String(message.content)).join("");
    },
    close: async () => {
      redis.disconnect();
    },
  };
}

/** priompt: each source a scope with its priority, rendered under the budget by priompt itself. */
export function priomptPeer(url: string, chunks: VectorStore, versions: string): Peer {
  const redis = quietClient(url);
  const scope = (priority: number, ...children: PromptElement[]): PromptElement =>
    createElement("scope", { p: priority }, ...children);
  return {
    name: "priompt (scopes + render)",
    versions,
    limits: "renders only: fetching, timeouts and failures are the caller's code (here as by hand)",
    search: sharedSearch(chunks),
    async prompt() {
      const [values, live, hits] = await Promise.all([
        readPlain(redis, false),
        realtimeLines(),
        embedder.embed([QUERY]).then(([query]) => chunks.query({ vector: query as number[], topK: TOP_K })),
      ]);
      const blocks: Block[] = [
        ...values.map(({ source, lines }) => ({ section: source.section, priority: source.priority, lines })),
        ...live,
        { section: "Articles", priority: 30, lines: hits.map((hit) => hit.text) },
      ];
      const bySection = new Map<string, Block[]>();
      for (const block of blocks)
        bySection.set(block.section, [...(bySection.get(block.section) ?? []), block]);
      const elements: PromptElement[] = [];
      for (const [section, members] of bySection) {
        const present = members.filter((member) => member.lines.length > 0);
        if (present.length === 0) continue;
        const top = Math.max(...present.map((member) => member.priority));
        elements.push(
          scope(
            top,
            `## ${section}\n`,
            ...present.map((member) => scope(member.priority, `${member.lines.join("\n")}\n`)),
            "\n",
          ),
        );
      }
      const output = await render(createElement(Fragment as never, null, ...elements), {
        tokenLimit: BUDGET,
        tokenizer: O200K,
      });
      return typeof output.prompt === "string" ? output.prompt : JSON.stringify(output.prompt);
    },
    close: async () => {
      redis.disconnect();
    },
  };
}

/**
 * LlamaIndex.TS memory: each section a `staticBlock` of a `createMemory({ tokenLimit })`, the query
 * as a transient message, read back with `getLLM()`. What it cannot do here: static blocks have no
 * priorities (all are "always included"; one that does not fit is left out, whatever its
 * importance), it counts with its own default tokenizer rather than o200k_base, and the articles
 * come from the shared embedded search rather than a `vectorBlock` (that needs a LlamaIndex vector
 * store and embedding model, not wired in this bench).
 */
export function llamaindexPeer(url: string, chunks: VectorStore, versions: string): Peer {
  const redis = quietClient(url);
  return {
    name: "LlamaIndex.TS (createMemory + staticBlock)",
    versions,
    limits:
      "static blocks have no priorities (a block that does not fit is left out whatever its importance); counts with its default tokenizer, not o200k_base; articles from the shared search, not a vectorBlock (needs a LlamaIndex vector store and embedding model, not wired)",
    search: sharedSearch(chunks),
    async prompt() {
      const [values, live, hits] = await Promise.all([
        readPlain(redis, false),
        realtimeLines(),
        embedder.embed([QUERY]).then(([query]) => chunks.query({ vector: query as number[], topK: TOP_K })),
      ]);
      const blocks: Block[] = [
        ...values.map(({ source, lines }) => ({ section: source.section, priority: source.priority, lines })),
        ...live,
        { section: "Articles", priority: 30, lines: hits.map((hit) => hit.text) },
      ];
      const memory = createMemory({
        tokenLimit: BUDGET,
        memoryBlocks: sectionsOf(blocks).map((section) =>
          staticBlock({ content: `## ${section.title}\n${section.lines.join("\n")}\n\n` }),
        ),
      });
      const messages = await memory.getLLM(undefined, [{ role: "user", content: QUERY }]);
      return messages
        .slice(0, -1)
        .map((message) =>
          typeof message.content === "string" ? message.content : JSON.stringify(message.content),
        )
        .join("");
    },
    close: async () => {
      redis.disconnect();
    },
  };
}
