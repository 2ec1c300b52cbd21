// The packer's working state (one SectionState per section, one Candidate per block) and the
// orders it places and writes them in. Shared by packer.ts and warnings.ts.
import type { BlockOutcome, PackBlock, PackSection } from "./types.js";

export interface SectionState {
  readonly index: number;
  readonly input: PackSection;
  readonly heading: string;
  /** The closing tag in the `xml` format ("" in markdown). */
  readonly closing: string;
  readonly headingTokens: number;
  readonly cap: number;
  /** Tokens this section occupies so far, heading included once it is opened. */
  used: number;
  opened: boolean;
  /** Tokens held back for this section's blocks by `minTokens`. */
  reserve: number;
  /** Optional blocks of this section not yet placed (the reserve is released after the last). */
  pending: number;
}

export interface Candidate {
  readonly index: number;
  readonly block: PackBlock;
  readonly section: SectionState;
  readonly lines: readonly string[];
  readonly counts: readonly number[];
  readonly contentTokens: number;
  readonly suffix: readonly string[];
  readonly suffixTokens: number;
  /** Content plus suffix: what the block costs whole (heading excluded). */
  readonly wholeTokens: number;
  placement?: Placement;
  dropReason?: string;
}

export interface Placement {
  readonly outcome: Exclude<BlockOutcome, "dropped">;
  /** Emitted lines: kept content, marker, suffix. */
  readonly lines: readonly string[];
  readonly tokens: number;
  readonly keptLines: number;
  readonly reason?: string;
}

/** Priority desc, then the most stable tier, then source name: deterministic whatever the input order. */
export function compareForPlacement(a: Candidate, b: Candidate): number {
  return (
    b.block.priority - a.block.priority ||
    a.section.input.tierRank - b.section.input.tierRank ||
    compareText(a.block.source, b.block.source) ||
    a.index - b.index
  );
}

/** Order of blocks inside a section's text. */
export function compareWithinSection(a: Candidate, b: Candidate): number {
  return (
    b.block.priority - a.block.priority || compareText(a.block.source, b.block.source) || a.index - b.index
  );
}

/** Order of sections in the prompt: stable tiers first so provider prompt caches hit on the prefix. */
export function compareSectionsForOutput(a: SectionState, b: SectionState): number {
  return (
    a.input.tierRank - b.input.tierRank ||
    b.input.priority - a.input.priority ||
    compareText(a.heading, b.heading) ||
    a.index - b.index
  );
}

export function compareSectionsByPriority(a: SectionState, b: SectionState): number {
  return b.input.priority - a.input.priority || compareSectionsForOutput(a, b);
}

/** Code-unit order: locale-independent, so output does not depend on the machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
