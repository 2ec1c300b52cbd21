// What a `ctxstore.config.ts` exports: the context store the commands operate on, and optionally the
// offline store (materialize, dataset), vector stores for `index`, sample requests and a freshness
// snapshot provider. The default export is the config object or a (possibly async) function
// returning it, so a config can connect to its stores only when a command runs.
import type { AssembleRequest, ContextStore, Embedder, VectorStore } from "@ctxstore/core";
import type { FreshnessSnapshot } from "../freshness/snapshot.js";

/** The structural part of `@ctxstore/duckdb`'s `DuckdbOfflineStore` the CLI relies on. */
export interface OfflineStoreLike {
  readonly name: string;
  readonly path: string;
  /** Closes the DuckDB connection (the CLI calls it when a command ends, unless the config has `close`). */
  close(): Promise<void>;
}

/** A request the config names, so `ctxstore explain --request <name>`, `validate` and the inspector can use it. */
export interface SampleRequest {
  /** Shown in the inspector's preset list. */
  readonly title?: string;
  readonly keys: AssembleRequest["keys"];
  readonly query?: string;
  readonly maxTokens: number;
}

/**
 * What a `ctxstore.config.ts` provides: the context store the commands operate on (required) and,
 * optionally, the offline store, vector stores for `index`, named sample requests, a freshness
 * provider, a state directory and a `close` hook.
 */
export interface CtxstoreConfig {
  /** The context store: definitions, online store, tokenizer. */
  readonly context: ContextStore;
  /** `@ctxstore/duckdb`'s offline store, for `materialize`, `dataset` and the freshness report. */
  readonly offline?: OfflineStoreLike;
  /**
   * Where `ctxstore index --source <name>` writes, per vector source. Default: the store and embedder
   * the vector source was defined with.
   */
  readonly vectors?: Readonly<Record<string, { readonly store: VectorStore; readonly embedder: Embedder }>>;
  /** Named sample requests (the first one is `validate`'s token-mix sample and the inspector's default). */
  readonly requests?: Readonly<Record<string, SampleRequest>>;
  /** A freshness snapshot provider (the freshness monitor); without it, `freshness` reports what it can. */
  readonly freshness?: () => Promise<FreshnessSnapshot> | FreshnessSnapshot;
  /** Where commands keep local state (index content hashes). Default: `.ctxstore` next to the config file. */
  readonly stateDir?: string;
  /** Called once when the command ends (close connections the config opened). */
  readonly close?: () => Promise<void> | void;
}

/**
 * A config file's default export: the config, a promise of it, or a function (possibly async)
 * returning it, so stores are connected only when a command runs.
 */
export type CtxstoreConfigExport =
  | CtxstoreConfig
  | (() => CtxstoreConfig | Promise<CtxstoreConfig>)
  | Promise<CtxstoreConfig>;

/** Identity helper that gives a config file its types: `export default defineConfig(async () => ({ context }))`. */
export function defineConfig<T extends CtxstoreConfigExport>(config: T): T {
  return config;
}
