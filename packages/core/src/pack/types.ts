// The packer's input and output. `pack()` is a pure function: the same input always gives
// byte-identical output, and the exact token count of `text` never exceeds `maxTokens`.
import type { Tier } from "../definitions/source.js";
import type { Tokenizer } from "../tokenize/types.js";

/** One source's contribution to a section. */
export interface PackBlock {
  readonly source: string;
  readonly tier: Tier;
  /** 0..100, higher is packed first. */
  readonly priority: number;
  /** Required content must fit whole, or `pack` throws `CTX_BUDGET_TOO_SMALL` naming it. */
  readonly required: boolean;
  /**
   * `text`: truncated by whole lines, then whole sentences, then token boundary.
   * `list`: truncated by whole items, keeping the end named by `keep`.
   * `note`: a status line (unknown value, confirmed empty); never truncated.
   */
  readonly kind: "text" | "list" | "note";
  /** `tail` keeps the last items (stream windows: newest last); `head` keeps the first (ranked lists). */
  readonly keep: "head" | "tail";
  /** Normalised prompt lines (see render/normalize.ts), without trailing newlines. */
  readonly lines: readonly string[];
  /** Token count of each line including its trailing "\n"; same length as `lines`. */
  readonly tokens: readonly number[];
  /** Lines always emitted after the content when any content is kept (e.g. a fallback age label). */
  readonly suffix?: readonly string[];
}

export interface PackSection {
  readonly title: string;
  readonly priority: number;
  /** TIER_RANK of the most stable tier among its sources: sections are ordered by it, then title. */
  readonly tierRank: number;
  readonly minTokens?: number;
  readonly maxTokens?: number;
  readonly blocks: readonly PackBlock[];
}

/**
 * How the packed text marks its sections: `markdown` (`## Title` headings, values escaped so they
 * cannot open Markdown structure) or `xml` (each section a `<section name tier status>` element,
 * values escaped so they cannot open or close a tag). See docs/concepts.md#rendering.
 */
export type RenderFormat = "markdown" | "xml";

export interface PackInput {
  readonly sections: readonly PackSection[];
  /** Positive integer. */
  readonly maxTokens: number;
  readonly tokenizer: Tokenizer;
  /** Default `markdown`. */
  readonly format?: RenderFormat;
}

/**
 * What the packer did with a source's block: put it in whole, cut it to fit (lists keep the newest
 * items, text whole sentences where it can), or left it out.
 */
export type BlockOutcome = "included" | "truncated" | "dropped";

export interface PackedBlock {
  readonly source: string;
  readonly section: string;
  readonly outcome: BlockOutcome;
  /** Tokens this block occupies in `text` (markers and suffix included). */
  readonly tokens: number;
  /** Tokens it would have taken whole. */
  readonly candidateTokens: number;
  readonly keptLines: number;
  readonly totalLines: number;
  /** Why it was truncated or dropped: "budget", "section maxTokens"... */
  readonly reason?: string;
}

/**
 * One section of the packed prompt: its title, its full text (heading included) and exact token
 * count, and each source's part of it, in prompt order.
 */
export interface PackedSection {
  readonly title: string;
  /** The section's full text in the prompt, heading included. */
  readonly text: string;
  readonly tokens: number;
  readonly sources: readonly string[];
  /** Each source's part of `text`, in order (its lines, markers and labels, without the heading). */
  readonly blocks: ReadonlyArray<{ readonly source: string; readonly text: string; readonly tokens: number }>;
}

export interface PackOutput {
  readonly text: string;
  /** Exact token count of `text`. */
  readonly tokens: number;
  readonly sections: readonly PackedSection[];
  /** One per input block, in input order. */
  readonly blocks: readonly PackedBlock[];
  /** Tokenizer calls made while packing (0 when nothing is truncated and all counts were given). */
  readonly tokenizerCalls: number;
  /** What the caller must hear about: every source left out by the budget (the text is then empty). */
  readonly warnings: readonly string[];
}
