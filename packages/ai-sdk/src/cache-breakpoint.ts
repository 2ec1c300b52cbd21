// The provider prompt-cache breakpoint: core orders sections from the most stable tier to the most
// volatile, so the packed text starts with the sections that only change when a batch job runs.
// Splitting the context there into two system messages lets a provider that caches explicitly
// (Anthropic, through `cacheControl`) cache everything up to the end of that stable prefix. Where
// the prefix ends is core's `splitStablePrefix`, the same boundary the prompt.cache bench prices.
import { type AnySource, type PackedSection, splitStablePrefix } from "@ctxstore/core";

/**
 * `"anthropic"`: mark the end of the stable prefix with Anthropic's `cacheControl` (the context is
 * split into two system messages). `"none"` (default): one unmarked system message; OpenAI and other
 * providers that cache long prefixes automatically need nothing more, since the prefix is byte-stable.
 */
export type CacheBreakpoint = "anthropic" | "none";

export const CACHE_BREAKPOINTS: readonly CacheBreakpoint[] = ["anthropic", "none"];

/**
 * The provider options `@ai-sdk/anthropic` reads from a system message (`providerOptions.anthropic
 * .cacheControl`) and sends as that text block's `cache_control`. Anthropic caches the prompt up to
 * and including the marked block, the caller's own leading system messages included.
 */
export const ANTHROPIC_CACHE_CONTROL = { anthropic: { cacheControl: { type: "ephemeral" } } } as const;

/** A system message as the provider prompt spells it (identical in specification v3 and v4). */
export interface ContextSystemMessage {
  readonly role: "system";
  readonly content: string;
  readonly providerOptions?: { anthropic: { cacheControl: { type: "ephemeral" } } };
}

/** The system messages that carry the context: one, or the marked stable prefix and the rest. */
export function contextSystemMessages(
  packed: { readonly text: string; readonly sections: readonly PackedSection[] },
  sources: ReadonlyMap<string, AnySource>,
  breakpoint: CacheBreakpoint,
): ContextSystemMessage[] {
  if (breakpoint === "none") return [{ role: "system", content: packed.text }];
  const { stable, rest } = splitStablePrefix(packed, sources);
  // Nothing stable: nothing worth a breakpoint (Anthropic would cache a volatile prefix in vain).
  if (stable.length === 0) return [{ role: "system", content: rest }];
  // A fresh object per call: the SDK and other middlewares may extend a message's provider options.
  const marked: ContextSystemMessage = {
    role: "system",
    content: stable,
    providerOptions: { anthropic: { cacheControl: { type: "ephemeral" } } },
  };
  return rest.length === 0 ? [marked] : [marked, { role: "system", content: rest }];
}
