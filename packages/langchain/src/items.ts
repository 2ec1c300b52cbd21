// Splits an assembly into its context items: one per source that reached the prompt, carrying the
// exact text that source occupies in the packed context and the facts about it (status, tier, age,
// tokens). The retriever turns each item into a LangChain Document.
//
// Why a token walk: `assemble` returns the packed text per section, and the trace gives each source's
// token count within it. Core keeps prompt lines token-additive (see render/normalize.ts in core: the
// count of a concatenation of lines is the sum of the lines' counts), so walking a section's lines in
// block order and counting them reproduces each block's boundary exactly. A mismatch means the packer's
// layout is not the one this adapter knows (mismatched versions), and the split refuses to guess.
import { type AssembleResult, CtxError, type SourceTrace, type Tokenizer } from "@ctxstore/core";

export interface ContextItem {
  /** The lines this source contributed to the packed context (a note for unavailable values). */
  readonly text: string;
  readonly trace: SourceTrace;
}

export function contextItems(result: AssembleResult, tokenizer: Tokenizer): ContextItem[] {
  const traces = new Map(result.trace.sources.map((trace) => [trace.source, trace]));
  const items: ContextItem[] = [];
  for (const section of result.sections) {
    // The first line is the section heading; blank lines separate sections and belong to no block.
    const lines = section.text.split("\n").slice(1);
    let cursor = 0;
    for (const name of section.sources) {
      const trace = traces.get(name);
      if (!trace || trace.tokens === 0) continue;
      const taken: string[] = [];
      let tokens = 0;
      while (tokens < trace.tokens && cursor < lines.length) {
        const line = lines[cursor++] as string;
        if (line.length === 0) continue;
        taken.push(line);
        tokens += tokenizer.count(`${line}\n`);
      }
      if (tokens !== trace.tokens) {
        throw new CtxError(
          "CTX_CONFIG",
          `Could not split section "${section.title}" into per-source items: "${name}" should take ${trace.tokens} tokens, its lines count ${tokens}. The packed text is laid out differently than this adapter expects, which means @ctxstore/langchain and @ctxstore/core versions do not match: install the same version of both. (contextRunnable, which returns the packed text whole, is unaffected.)`,
          {
            section: section.title,
            source: name,
            expected: trace.tokens,
            counted: tokens,
            traceId: result.trace.id,
          },
        );
      }
      items.push({ text: taken.join("\n"), trace });
    }
  }
  return items;
}
