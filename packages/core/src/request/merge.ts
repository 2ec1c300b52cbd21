// Merging request layers into the one request `ctx.assemble` takes. Adapters collect layers from
// where their framework puts them (defaults given when the adapter is built, per-call options, the
// framework's own parts such as the question and the abort signal) and merge them here, so the rule
// for which one wins is the same in every adapter.
import type { AssembleRequest, Budget, EntityKeys, RequestLayer } from "./types.js";

/** The budget of a request no layer gives one: 1500 tokens. */
export const DEFAULT_BUDGET: Readonly<Budget> = Object.freeze({ maxTokens: 1500 });

const SCALAR_FIELDS = [
  "query",
  "budget",
  "deadline",
  "sources",
  "tenant",
  "purpose",
  "principal",
  "signal",
] as const;

/**
 * Later layers win: field by field, and `keys` entity by entity. A field or entity key that is
 * `undefined` (or a layer that is `undefined`/`null`) gives nothing. Without any budget, the request
 * gets `DEFAULT_BUDGET`. The layers are not checked here: check untrusted ones with
 * `checkRequestLayer` (so the error names where they came from); `ctx.assemble` checks the result.
 */
export function mergeRequestLayers<Keys extends object = EntityKeys>(
  layers: ReadonlyArray<RequestLayer<Keys> | null | undefined>,
): AssembleRequest<Keys> {
  const keys: Record<string, unknown> = {};
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [entity, key] of Object.entries(layer.keys ?? {})) if (key !== undefined) keys[entity] = key;
    for (const field of SCALAR_FIELDS) if (layer[field] !== undefined) merged[field] = layer[field];
  }
  merged.keys = keys;
  merged.budget ??= { maxTokens: DEFAULT_BUDGET.maxTokens };
  return merged as unknown as AssembleRequest<Keys>;
}
