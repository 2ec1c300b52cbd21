// `ctxstore index <files...> --source <vector source>`: chunk, embed and upsert files (Markdown and
// plain text) with core's indexDocuments, with progress. A state file next to the config
// (.ctxstore/index/<source>.json) records each file's content hash once its chunks are written, so
// unchanged files are skipped, a changed file's chunks are replaced, and an interrupted run resumes
// where it stopped (files are indexed in small batches; each finished batch is recorded at once).
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { glob, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Embedder, VectorSource, VectorStore } from "@ctxstore/core";
import { CtxError, indexDocuments } from "@ctxstore/core";
import type { LoadedConfig } from "../config/load.js";
import { EXIT } from "../output/exit-codes.js";
import { createProgress } from "../output/progress.js";
import { count } from "../output/units.js";
import type { CommandContext } from "./run.js";

export interface IndexCommandOptions {
  source?: string;
  tenant?: string;
  chunkTokens?: string;
  urlPrefix?: string;
  prune?: boolean;
  base?: string;
}

export interface IndexState {
  readonly format: "ctxstore.index-state/v1";
  readonly source: string;
  readonly store: string;
  readonly embedder: string;
  readonly files: Record<string, { sha256: string; indexedAt: string }>;
}

export interface IndexReport {
  readonly source: string;
  readonly store: string;
  readonly embedder: string;
  readonly files: number;
  readonly indexed: readonly string[];
  readonly unchanged: readonly string[];
  readonly pruned: readonly string[];
  readonly chunks: number;
  readonly tokens: number;
  readonly stateFile: string | undefined;
  readonly interrupted: boolean;
}

/** Files per indexDocuments call: the unit of resumption. */
const FILES_PER_BATCH = 8;

function usage(message: string, details: Record<string, unknown> = {}): CtxError {
  return new CtxError("CTX_INVALID_REQUEST", message, { ...details, usage: true });
}

export async function indexCommand(
  command: CommandContext,
  patterns: readonly string[],
  options: IndexCommandOptions,
): Promise<number> {
  const loaded = await command.config();
  const { source, store, embedder } = vectorTarget(loaded, options.source);
  if (patterns.length === 0)
    throw usage("Name the files to index, e.g. ctxstore index 'docs/**/*.md' --source help_center.");
  const files = await expand(patterns);
  if (files.length === 0) throw usage(`No files match ${patterns.join(" ")}.`, { patterns });
  const chunkTokens = options.chunkTokens === undefined ? undefined : Number(options.chunkTokens);
  if (chunkTokens !== undefined && (!Number.isInteger(chunkTokens) || chunkTokens < 16))
    throw usage(`--chunk-tokens must be an integer of at least 16; got ${options.chunkTokens}.`);

  // A memory vector store lives only in this process: recording state would claim an index that is gone.
  const persistent = store.name !== "memory";
  const stateFile = persistent
    ? join(loaded.config.stateDir ?? join(loaded.dir, ".ctxstore"), "index", `${source.name}.json`)
    : undefined;
  if (!persistent)
    command.terminal.note(
      `note: ${source.name}'s vector store is in-process memory: the index lasts only for this command, so every file is indexed and no state is recorded.`,
    );
  let state = stateFile ? readState(stateFile, source.name, store.name, embedder.id) : undefined;
  if (state && state.embedder !== embedder.id) {
    command.terminal.note(
      `note: the embedder changed (${state.embedder} -> ${embedder.id}): every file is indexed again.`,
    );
    state = undefined;
  }
  const recorded: IndexState = state ?? {
    format: "ctxstore.index-state/v1",
    source: source.name,
    store: store.name,
    embedder: embedder.id,
    files: {},
  };

  const documents = await Promise.all(
    files.map(async (file) => {
      const text = await readFile(file, "utf8");
      const id = documentId(
        file,
        options.base === undefined ? [loaded.dir, process.cwd()] : [resolve(options.base)],
      );
      return { file, id, text, sha256: createHash("sha256").update(text).digest("hex") };
    }),
  );
  const unchanged = documents.filter((document) => recorded.files[document.id]?.sha256 === document.sha256);
  const pending = documents.filter((document) => recorded.files[document.id]?.sha256 !== document.sha256);
  const empty = pending.filter((document) => document.text.trim() === "");
  if (empty.length > 0)
    throw usage(
      `These files are empty, nothing to index: ${empty.map((document) => document.id).join(", ")}.`,
    );

  const progress = createProgress(command.terminal);
  const task =
    pending.length > 0 ? progress.task(`index ${source.name}`, "files") : { update() {}, finish() {} };
  const indexed: string[] = [];
  let chunks = 0;
  let tokens = 0;
  let interrupted = false;
  task.update(0, pending.length);
  try {
    for (let start = 0; start < pending.length; start += FILES_PER_BATCH) {
      if (command.signal.aborted) {
        interrupted = true;
        break;
      }
      const batch = pending.slice(start, start + FILES_PER_BATCH);
      let result: Awaited<ReturnType<typeof indexDocuments>>;
      try {
        result = await indexDocuments(
          batch.map((document) => ({
            id: document.id,
            text: document.text,
            title: titleOf(document.text, document.id),
            ...(options.urlPrefix ? { url: `${options.urlPrefix}${document.id}` } : {}),
          })),
          {
            store,
            embedder,
            source: source.name,
            encoding: loaded.config.context.encoding,
            signal: command.signal,
            ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
            ...(chunkTokens === undefined ? {} : { maxTokens: chunkTokens }),
          },
        );
      } catch (error) {
        if (command.signal.aborted) {
          interrupted = true;
          break;
        }
        throw error;
      }
      chunks += result.chunks;
      tokens += result.tokens;
      const indexedAt = new Date().toISOString();
      for (const document of batch) {
        recorded.files[document.id] = { sha256: document.sha256, indexedAt };
        indexed.push(document.id);
      }
      if (stateFile) await writeState(stateFile, recorded);
      task.update(indexed.length, pending.length);
    }
    task.finish(indexed.length, pending.length);
  } finally {
    progress.stop();
  }
  const pruned: string[] = [];
  if (options.prune && !interrupted) {
    const present = new Set(documents.map((document) => document.id));
    for (const id of Object.keys(recorded.files)) {
      if (present.has(id)) continue;
      await store.deleteDocument(id, options.tenant === undefined ? {} : { tenant: options.tenant });
      delete recorded.files[id];
      pruned.push(id);
    }
    if (stateFile && pruned.length > 0) await writeState(stateFile, recorded);
  }
  const report: IndexReport = {
    source: source.name,
    store: store.name,
    embedder: embedder.id,
    files: documents.length,
    indexed,
    unchanged: unchanged.map((document) => document.id),
    pruned,
    chunks,
    tokens,
    stateFile,
    interrupted,
  };
  const { terminal } = command;
  if (terminal.json) terminal.printJson(report);
  else {
    const { colors } = terminal;
    terminal.print(
      [
        `${colors.bold("indexed")} ${count(indexed.length)} file(s) into ${source.name} (${store.name}, ${embedder.id}): ${count(chunks)} chunks, ${count(tokens)} tokens`,
        `unchanged (skipped): ${count(unchanged.length)}${pruned.length > 0 ? ` · pruned: ${pruned.join(", ")}` : ""}`,
        ...(interrupted
          ? [
              colors.yellow(
                `interrupted: ${count(pending.length - indexed.length)} file(s) not indexed yet; run the same command again to resume.`,
              ),
            ]
          : []),
      ].join("\n"),
    );
  }
  return interrupted ? EXIT.interrupted : EXIT.ok;
}

function vectorTarget(
  loaded: LoadedConfig,
  name: string | undefined,
): { source: VectorSource; store: VectorStore; embedder: Embedder } {
  const vectors = [...loaded.config.context.sources.values()].filter((source) => source.tier === "vector");
  const names = vectors.map((source) => source.name).join(", ") || "none";
  if (name === undefined)
    throw usage(`--source <name> is required: the vector source to index into (${names}).`);
  const source = loaded.config.context.sources.get(name);
  if (!source)
    throw new CtxError(
      "CTX_UNKNOWN_SOURCE",
      `Unknown source "${name}". Vector sources of this config: ${names}.`,
      {
        usage: true,
      },
    );
  if (source.tier !== "vector")
    throw usage(`"${name}" is a ${source.tier} source; index writes into vector sources: ${names}.`);
  const override = loaded.config.vectors?.[name];
  const vector = source as VectorSource;
  return {
    source: vector,
    store: override?.store ?? vector.store,
    embedder: override?.embedder ?? vector.embedder,
  };
}

async function expand(patterns: readonly string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const pattern of patterns) {
    if (existsSync(pattern) && (await stat(pattern)).isFile()) {
      files.add(resolve(pattern));
      continue;
    }
    for await (const match of glob(pattern)) {
      const path = resolve(match);
      if ((await stat(path)).isFile()) files.add(path);
    }
  }
  return [...files].sort();
}

/**
 * A file's document id: its path relative to the first of `bases` that contains it (the config's
 * directory, then the working directory, or --base), with forward slashes; else its absolute path.
 * The same file therefore keeps its id wherever the command is run from.
 */
export function documentId(file: string, bases: readonly string[]): string {
  for (const base of bases) {
    const path = relative(base, file);
    if (path !== "" && !path.startsWith("..") && !isAbsolute(path)) return path.split(sep).join("/");
  }
  return file.split(sep).join("/");
}

function titleOf(text: string, id: string): string {
  const heading = /^#\s+(.+)$/m.exec(text)?.[1]?.trim();
  return heading || id;
}

function readState(path: string, source: string, store: string, embedder: string): IndexState | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: IndexState;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as IndexState;
  } catch (error) {
    throw new CtxError(
      "CTX_CONFIG",
      `The index state file ${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}). Delete it to index every file again.`,
      { path },
    );
  }
  if (
    parsed.format !== "ctxstore.index-state/v1" ||
    parsed.source !== source ||
    typeof parsed.files !== "object"
  )
    throw new CtxError(
      "CTX_CONFIG",
      `${path} is not an index state file for ${source}. Delete it to index every file again.`,
      {
        path,
      },
    );
  // A different store (another Qdrant collection, say) has none of these files.
  return parsed.store === store ? { ...parsed, embedder: parsed.embedder ?? embedder } : undefined;
}

async function writeState(path: string, state: IndexState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(state, null, 2)}\n`);
  await rename(partial, path);
}
