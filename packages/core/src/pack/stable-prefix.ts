// The stable prefix of a packed context: where a provider prompt cache can stop. Sections are
// ordered from the most stable tier to the most volatile, so the leading sections whose sources are
// all batch-tier change only when a batch value does (a nightly job), not with session events or
// realtime lookups. The AI SDK middleware puts Anthropic's cache breakpoint there, and the
// prompt.cache bench prices the same boundary; both call this one function.
import type { AnySource } from "../definitions/source.js";
import type { PackedSection } from "./types.js";

/** A packed text cut after its leading batch-only sections. `stable + rest` is the text, byte for byte. */
export interface StablePrefix {
  /** The leading sections whose sources are all batch-tier: the part that repeats across requests. */
  readonly stable: string;
  /** Everything after it (the first section with a stream, realtime or vector source, and on). */
  readonly rest: string;
}

/**
 * Splits a packed context (an `assemble` result, or anything with its `text` and `sections`) after
 * its leading batch-only sections. A section with any non-batch source, or a source `sources` does
 * not know, ends the prefix. When the sections do not spell out the text from its start (text between
 * sections), the prefix ends there rather than at a guessed boundary. Pass the context store's
 * `sources` (`ctx.sources`).
 *
 * The prefix is byte-identical between two assemblies that differ only in stream or realtime values
 * (the core property test holds it to that), which is what makes it worth caching.
 */
export function splitStablePrefix(
  packed: { readonly text: string; readonly sections: readonly PackedSection[] },
  sources: ReadonlyMap<string, AnySource>,
): StablePrefix {
  let end = 0;
  for (const section of packed.sections) {
    const batchOnly =
      section.sources.length > 0 && section.sources.every((name) => sources.get(name)?.tier === "batch");
    if (!batchOnly || !packed.text.startsWith(section.text, end)) break;
    end += section.text.length;
  }
  return { stable: packed.text.slice(0, end), rest: packed.text.slice(end) };
}
