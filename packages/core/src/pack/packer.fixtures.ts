// Shared builders and checks for the packer's example-based tests (packer.test.ts and
// packer.truncation.test.ts): blocks and sections built the way assembly builds them, with real counts.
import { expect } from "vitest";
import type { Tier } from "../definitions/source.js";
import { CtxError } from "../errors.js";
import { normalizeItem, normalizeLines } from "../render/normalize.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { PackBlock, PackOutput, PackSection } from "./types.js";

type BlockOverrides = Partial<Omit<PackBlock, "lines" | "tokens">>;
const TIER_RANKS: Record<Tier, number> = { batch: 0, stream: 1, vector: 2, realtime: 3 };

function counted(tokenizer: Tokenizer, lines: readonly string[]): number[] {
  return lines.map((line) => tokenizer.count(`${line}\n`));
}

export function textBlock(
  tokenizer: Tokenizer,
  source: string,
  text: string,
  overrides: BlockOverrides = {},
): PackBlock {
  const lines = normalizeLines(text);
  const base = { source, tier: "batch", priority: 50, required: false, kind: "text", keep: "head" } as const;
  return { ...base, ...overrides, lines, tokens: counted(tokenizer, lines) };
}

export function listBlock(
  tokenizer: Tokenizer,
  source: string,
  items: readonly string[],
  overrides: BlockOverrides = {},
): PackBlock {
  const lines = items.map(normalizeItem).filter((line): line is string => line !== undefined);
  const base = { source, tier: "stream", priority: 50, required: false, kind: "list", keep: "tail" } as const;
  return { ...base, ...overrides, lines, tokens: counted(tokenizer, lines) };
}

export function noteBlock(
  tokenizer: Tokenizer,
  source: string,
  note: string,
  overrides: BlockOverrides = {},
): PackBlock {
  return textBlock(tokenizer, source, note, { kind: "note", tier: "realtime", ...overrides });
}

export function section(
  title: string,
  blocks: readonly PackBlock[],
  overrides: Partial<PackSection> = {},
): PackSection {
  const tierRank = Math.min(3, ...blocks.map((block) => TIER_RANKS[block.tier]));
  return { title, priority: 50, tierRank, blocks, ...overrides };
}

export function catchError(run: () => unknown): CtxError {
  try {
    run();
  } catch (error) {
    if (error instanceof CtxError) return error;
    throw error;
  }
  throw new Error("expected a CtxError");
}

/** The invariants every output must hold, whatever the input. */
export function expectWellFormed(output: PackOutput, tokenizer: Tokenizer, maxTokens: number): void {
  expect(tokenizer.count(output.text)).toBe(output.tokens);
  expect(output.tokens).toBeLessThanOrEqual(maxTokens);
  if (output.text.length > 0) expect(output.text.endsWith("\n")).toBe(true);
  expect(output.text).not.toMatch(/\n\n/);
  expect(output.text.startsWith("\n")).toBe(false);
  expect(output.sections.map((packed) => packed.text).join("")).toBe(output.text);
  expect(output.sections.reduce((sum, packed) => sum + packed.tokens, 0)).toBe(output.tokens);
}

export const LONG_ARTICLE =
  "Trail shoes need a firm heel counter. The outsole should have deep lugs for mud! " +
  "Do you run on rocks? Then pick a rock plate. Sizes run small, so order half a size up.";
