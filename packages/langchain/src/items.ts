// Splits an assembly into its context items: one per source that reached the prompt, carrying the
// exact text that source occupies in the packed context and the facts about it (status, tier, age,
// tokens). The retriever turns each item into a LangChain Document. The packer reports each
// section's per-source text (`sections[].blocks`), so no re-tokenizing or guessing is needed.
import { type AssembleResult, CtxError, type SourceTrace } from "@ctxstore/core";

/**
 * One source's part of an assembly's packed context (one per passage for vector sources), with its trace.
 */
export interface ContextItem {
  /** The lines this source contributed to the packed context (a note for unavailable values). */
  readonly text: string;
  readonly trace: SourceTrace;
}

/**
 * The items of an `assemble` result in prompt order: each source's exact text in the packed context
 * (a note for an unavailable value), without section headings, and its trace; sources that took no
 * tokens are left out. Throws `CTX_CONFIG` for a result from an older `@ctxstore/core` without
 * per-source blocks.
 */
export function contextItems(result: AssembleResult): ContextItem[] {
  const traces = new Map(result.trace.sources.map((trace) => [trace.source, trace]));
  const items: ContextItem[] = [];
  for (const section of result.sections) {
    if (!Array.isArray(section.blocks)) {
      throw new CtxError(
        "CTX_CONFIG",
        `Section "${section.title}" carries no per-source blocks: this result comes from an older @ctxstore/core than @ctxstore/langchain expects; install the same version of both. (contextRunnable, which returns the packed text whole, is unaffected.)`,
        { section: section.title, traceId: result.trace.id },
      );
    }
    for (const block of section.blocks) {
      const trace = traces.get(block.source);
      if (!trace || block.tokens === 0) continue;
      items.push({ text: block.text.replace(/\n$/, ""), trace });
    }
  }
  return items;
}
