// The last resolve phase: resolutions into the packer's sections. A fact becomes a block (an `ok`
// value's lines; an `empty` value's confirmed-empty line), an unavailable value takes the block its
// policy chose (see unavailable-policies.ts), and blocks are grouped under their section's title
// with the section's priority, limits and most stable tier. It also records, per source, what was
// rendered and how many tokens it offered, for the trace.

import type { SectionDefinition } from "../definitions/source.js";
import { TIER_RANK } from "../definitions/source.js";
import type { PackBlock, PackSection } from "../pack/types.js";
import { countedLines } from "../render/request-time.js";
import { cachedCount } from "../tokenize/cache.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { RenderedBlockInfo } from "../trace/build.js";
import type { SourceTrace } from "../trace/types.js";
import { noteBlock, valueBlock } from "./blocks.js";
import type { Resolution } from "./resolution.js";
import type { PolicyOutcome } from "./unavailable-policies.js";

export function buildSections(options: {
  /** In request order: blocks of one section keep it. */
  readonly resolutions: readonly Resolution[];
  /** What the unavailable policies chose, by source name, for every resolution that is not a fact. */
  readonly unavailable: ReadonlyMap<string, PolicyOutcome>;
  /** Section options by title (priority, minTokens, maxTokens). */
  readonly sections: ReadonlyMap<string, SectionDefinition>;
  readonly tokenizer: Tokenizer;
  readonly onTokenize: () => void;
}): { readonly sections: PackSection[]; readonly rendered: Map<string, RenderedBlockInfo> } {
  const { tokenizer, onTokenize } = options;
  const bySection = new Map<string, { blocks: PackBlock[]; tierRank: number; priority: number }>();
  const rendered = new Map<string, RenderedBlockInfo>();
  for (const resolution of options.resolutions) {
    const { source } = resolution;
    let block: PackBlock | undefined;
    let how: SourceTrace["rendered"] = "none";
    if (resolution.status === "ok") {
      if (resolution.lines && resolution.tokens) {
        block = valueBlock(resolution, {
          lines: resolution.lines,
          tokens: resolution.tokens,
          kind: resolution.kind ?? "text",
        });
        how = "value";
      }
    } else if (resolution.status === "empty") {
      const text = source.renderEmpty(resolution.emptyReason);
      block = noteBlock(resolution, countedLines(text, tokenizer, onTokenize));
      how = "empty";
    } else {
      const outcome = options.unavailable.get(source.name);
      block = outcome?.block;
      how = outcome?.rendered ?? "none";
    }
    if (!block || block.lines.length === 0) {
      rendered.set(source.name, { rendered: how === "value" ? "value" : "none", candidateTokens: 0 });
      continue;
    }
    const suffixTokens = (block.suffix ?? []).reduce(
      (total, line) => total + cachedCount(tokenizer, `${line}\n`, onTokenize),
      0,
    );
    rendered.set(source.name, { rendered: how, candidateTokens: sum(block.tokens) + suffixTokens });
    const title = source.section.title;
    const entry = bySection.get(title) ?? {
      blocks: [],
      tierRank: TIER_RANK[source.tier],
      priority: source.priority,
    };
    entry.blocks.push(block);
    entry.tierRank = Math.min(entry.tierRank, TIER_RANK[source.tier]);
    entry.priority = Math.max(entry.priority, source.priority);
    bySection.set(title, entry);
  }
  const sections: PackSection[] = [];
  for (const [title, entry] of bySection) {
    const definition = options.sections.get(title);
    sections.push({
      title,
      priority: definition?.priority ?? entry.priority,
      tierRank: entry.tierRank,
      ...(definition?.minTokens === undefined ? {} : { minTokens: definition.minTokens }),
      ...(definition?.maxTokens === undefined ? {} : { maxTokens: definition.maxTokens }),
      blocks: entry.blocks,
    });
  }
  return { sections, rendered };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
