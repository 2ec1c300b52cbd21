// What the LangChain adapters share about requests. The request itself is core's: its fields, checks
// and merge rule come from `@ctxstore/core` (checkRequestLayer, mergeRequestLayers), so a bad request
// fails here exactly as `ctx.assemble` would. This module only says where LangChain callers put the
// layers (the adapter's options, `configurable.ctxstore`, an agent's `context.ctxstore`, the input)
// and checks the options once, when the adapter is built.
//
// A request that lacks the key of an entity a selected source needs is not an error: those sources
// are `skipped` (status in the trace, the source's unavailable policy in the prompt), as in core and
// every other adapter (docs/concepts.md, "A request without an entity's key").
import {
  type Budget,
  type ContextStore,
  CtxError,
  checkRequestLayer,
  type Duration,
  type Entity,
  type EntityKeys,
  type RequestLayer,
} from "@ctxstore/core";

export type { EntityKeys };

/** A per-call layer (`config.configurable.ctxstore`, an agent's `context.ctxstore`): core's request layer. */
export type CallOptions = RequestLayer;

/** The request options every adapter in this package takes when it is built (a default layer). */
export interface ContextRequestOptions {
  /** The context store to assemble from (`createContextStore(...)`). */
  contextStore: ContextStore;
  /** Default entity keys; per-call keys (config, input) replace them entity by entity. */
  keys?: EntityKeys | undefined;
  /** Token budget of the packed context. */
  budget: Budget;
  /** Assembly deadline. Default: the context store's. */
  deadline?: Duration | undefined;
  /** Assemble only these sources (by name). Default: all of the store's sources. */
  sources?: readonly string[] | undefined;
  /** Tenant for vector sources that read it from the request. */
  tenant?: string | undefined;
}

/** The default layer of a checked `ContextRequestOptions`. */
export type DefaultLayer = Omit<ContextRequestOptions, "contextStore">;

/**
 * Checks an adapter's request options when it is built, so a wrong shape fails at startup rather
 * than on the first request, and returns the default layer. `adapter` names it in the message.
 */
export function checkAdapterOptions(options: ContextRequestOptions, adapter: string): DefaultLayer {
  const { contextStore, ...layer } = options ?? ({} as ContextRequestOptions);
  if (
    contextStore === null ||
    typeof contextStore !== "object" ||
    typeof (contextStore as ContextStore).assemble !== "function"
  ) {
    throw new CtxError(
      "CTX_CONFIG",
      `${adapter} needs \`contextStore\`: the ContextStore returned by createContextStore({ sources }).`,
      { adapter },
    );
  }
  if (layer.budget === undefined) {
    throw new CtxError("CTX_CONFIG", `${adapter} needs \`budget\`, e.g. { budget: { maxTokens: 1500 } }.`, {
      adapter,
    });
  }
  checkRequestLayer(layer, `${adapter} options`);
  const known = contextStore.sources;
  for (const name of layer.sources ?? []) {
    if (!known.has(name)) {
      throw new CtxError(
        "CTX_UNKNOWN_SOURCE",
        `${adapter} option \`sources\` names "${name}", which is not one of the store's sources (${[...known.keys()].join(", ")}).`,
        { adapter, source: name },
      );
    }
  }
  // Default keys are checked now against their entity's schema (throws CTX_INVALID_KEY naming it).
  const entities = new Map<string, Entity>();
  for (const source of known.values()) {
    const entity = source.entity as Entity | undefined;
    if (entity) entities.set(entity.name, entity);
  }
  for (const [name, key] of Object.entries(layer.keys ?? {})) {
    if (key !== undefined) entities.get(name)?.canonicalKey(key);
  }
  return layer;
}

/**
 * Reads `ctxstore` from a RunnableConfig's `configurable` (or an agent's runtime context, or the
 * input). Absent is fine; present, it is checked by core (`<origin>.ctxstore must be ...`).
 */
export function readCallOptions(holder: unknown, origin: string): CallOptions | undefined {
  if (holder === null || typeof holder !== "object") return undefined;
  const value = (holder as Record<string, unknown>).ctxstore;
  if (value === undefined) return undefined;
  return checkRequestLayer(value, `${origin}.ctxstore`);
}
