// Property tests for the packer's promises, with real tiktoken counts: the recounted text never
// exceeds the budget and equals `tokens`; priority is respected; output is deterministic.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Tier } from "../definitions/source.js";
import type { Encoding } from "../envelope.js";
import { CtxError } from "../errors.js";
import { normalizeItem, normalizeLines } from "../render/normalize.js";
import { loadEncoding, tiktokenTokenizer } from "../tokenize/tiktoken.js";
import type { Tokenizer } from "../tokenize/types.js";
import { pack } from "./packer.js";
import type { PackBlock, PackOutput, PackSection } from "./types.js";

const TIERS: readonly Tier[] = ["batch", "stream", "vector", "realtime"];
const TIER_RANKS: Record<Tier, number> = { batch: 0, stream: 1, vector: 2, realtime: 3 };

/** Fragments chosen to stress the pre-tokenizer around line breaks, escaping and special tokens. */
const NASTY = [
  "end.",
  "really?!",
  "wait…",
  "/slash start",
  "//comment",
  "# heading",
  "## forged section",
  "<|endoftext|>",
  "<|im_start|>system",
  "🎉",
  "👩‍👩‍👧‍👦",
  "👍🏽",
  "東京都",
  "résumé",
  "naïve",
  "\u00a0",
  "\u2028",
  "\u0085",
  "\t",
  "   ",
  "\r\n",
  "\n",
  "\n\n",
  "'s",
  "'LL",
  "12345",
  "3.14",
  "-",
  "- item",
  "*",
  "```",
  "\\",
  ":)",
  "«quote»",
  "(paren)",
  "[link](x)",
  "\u200d",
  "\ufeff",
  "a",
  "The",
  " the",
  "shoes",
];

const fragment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 6 }) },
);
const separator = fc.constantFrom(" ", "", "\n", ". ", "! ", "? ", " / ", "\r\n", "\n/");
const nastyText = fc
  .array(fc.tuple(fragment, separator), { minLength: 1, maxLength: 14 })
  .map((parts) => parts.map(([text, sep]) => text + sep).join(""));

interface BlockShape {
  readonly kind: "text" | "list" | "note";
  readonly keep: "head" | "tail";
  readonly tier: Tier;
  readonly priority: number;
  readonly text: string;
  readonly items: readonly string[];
  readonly suffix: string | undefined;
  readonly required: boolean;
}

interface SectionShape {
  readonly title: string;
  readonly priority: number;
  readonly minTokens: number | undefined;
  readonly maxTokens: number | undefined;
  readonly blocks: readonly BlockShape[];
}

function blockShape(texts: fc.Arbitrary<string>, requiredRate: number): fc.Arbitrary<BlockShape> {
  return fc.record({
    kind: fc.constantFrom("text", "list", "note"),
    keep: fc.constantFrom("head", "tail"),
    tier: fc.constantFrom(...TIERS),
    priority: fc.integer({ min: 0, max: 100 }),
    text: texts,
    items: fc.array(texts, { maxLength: 8 }),
    suffix: fc.option(fc.constantFrom("(last known value, 3h old)", "(as of 2d ago)", "note: partial"), {
      nil: undefined,
    }),
    required: fc.double({ min: 0, max: 1, noNaN: true }).map((draw) => draw < requiredRate),
  });
}

function sectionShapes(options: {
  texts: fc.Arbitrary<string>;
  /** Section limits to generate: none, maxTokens caps only, or both minTokens and maxTokens. */
  limits: "none" | "caps" | "all";
  requiredRate: number;
}): fc.Arbitrary<SectionShape[]> {
  const limit = fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined });
  const none = fc.constant(undefined);
  return fc
    .array(
      fc.record({
        title: fc.oneof(fc.constantFrom("Profile", "Recent activity", "Articles"), nastyText),
        priority: fc.integer({ min: 0, max: 100 }),
        minTokens: options.limits === "all" ? limit : none,
        maxTokens: options.limits === "none" ? none : limit,
        blocks: fc.array(blockShape(options.texts, options.requiredRate), { minLength: 0, maxLength: 5 }),
      }),
      { minLength: 1, maxLength: 5 },
    )
    .map((sections) =>
      // Unique titles (the index prefix) keep the test about the packer, not about title collisions.
      sections.map((shape, index) => ({ ...shape, title: `${index} ${shape.title}` })),
    );
}

/** Builds packer input the way the write path does: normalise, then count each line with its "\n". */
function toSections(shapes: readonly SectionShape[], tokenizer: Tokenizer): PackSection[] {
  return shapes.map((shape, sectionIndex) => {
    const blocks = shape.blocks.map((block, blockIndex): PackBlock => {
      const lines =
        block.kind === "list"
          ? block.items.map(normalizeItem).filter((line): line is string => line !== undefined)
          : normalizeLines(block.text);
      return {
        source: `source_${sectionIndex}_${blockIndex}`,
        tier: block.tier,
        priority: block.priority,
        required: block.required,
        kind: block.kind,
        keep: block.keep,
        lines,
        tokens: lines.map((line) => tokenizer.count(`${line}\n`)),
        ...(block.suffix === undefined ? {} : { suffix: [block.suffix] }),
      };
    });
    return {
      title: shape.title,
      priority: shape.priority,
      tierRank: Math.min(3, ...shape.blocks.map((block) => TIER_RANKS[block.tier])),
      ...(shape.minTokens === undefined ? {} : { minTokens: shape.minTokens }),
      ...(shape.maxTokens === undefined ? {} : { maxTokens: shape.maxTokens }),
      blocks,
    };
  });
}

function packOrBudgetError(
  sections: readonly PackSection[],
  maxTokens: number,
  tokenizer: Tokenizer,
): PackOutput | CtxError {
  try {
    return pack({ sections, maxTokens, tokenizer });
  } catch (error) {
    if (error instanceof CtxError && error.code === "CTX_BUDGET_TOO_SMALL") return error;
    throw error;
  }
}

const RUNS = { numRuns: 250 };

describe.each(["o200k_base", "cl100k_base"] as const)("pack properties (%s)", (encoding: Encoding) => {
  let tokenizer: Tokenizer;
  beforeAll(async () => {
    await loadEncoding(encoding);
    tokenizer = tiktokenTokenizer(encoding);
  });

  it("normalised lines add up: the count of the joined lines is the sum of per-line counts", () => {
    fc.assert(
      fc.property(fc.array(nastyText, { minLength: 1, maxLength: 6 }), fc.boolean(), (texts, asItems) => {
        const lines = asItems
          ? texts.map(normalizeItem).filter((line): line is string => line !== undefined)
          : texts.flatMap(normalizeLines);
        const perLine = lines.reduce((sum, line) => sum + tokenizer.count(`${line}\n`), 0);
        expect(tokenizer.count(lines.map((line) => `${line}\n`).join(""))).toBe(perLine);
      }),
      { numRuns: 1_000 },
    );
  });

  it("the recounted text equals `tokens` and never exceeds the budget", () => {
    fc.assert(
      fc.property(
        sectionShapes({ texts: nastyText, limits: "all", requiredRate: 0.1 }),
        // Small budgets land on exact boundaries more often; large ones exercise whole inclusion.
        fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 400 })),
        (shapes, maxTokens) => {
          const sections = toSections(shapes, tokenizer);
          const result = packOrBudgetError(sections, maxTokens, tokenizer);
          if (result instanceof CtxError) {
            // Either the budget or a section cap is too small for the required content.
            const capped = (result.details.sections ?? []) as Array<{ needed: number; maxTokens: number }>;
            expect((result.details.needed as number) > maxTokens || capped.length > 0).toBe(true);
            for (const entry of capped) expect(entry.needed).toBeGreaterThan(entry.maxTokens);
            expect((result.details.sources as string[]).length).toBeGreaterThan(0);
            return;
          }
          expect(tokenizer.count(result.text)).toBe(result.tokens);
          expect(result.tokens).toBeLessThanOrEqual(maxTokens);
          expect(result.text).not.toMatch(/\n\n/);
          if (result.text !== "") expect(result.text.endsWith("\n")).toBe(true);
          expect(result.text).not.toContain("\uFFFD\n");
          // Only the packer writes headings: exactly one "## " line per packed section.
          expect(result.text.match(/^## /gm)?.length ?? 0).toBe(result.sections.length);
          for (const packed of result.sections) expect(tokenizer.count(packed.text)).toBe(packed.tokens);
          // Required content is whole; nothing is reported kept that has no tokens in the text.
          const flat = sections.flatMap((entry) => entry.blocks);
          result.blocks.forEach((block, index) => {
            const input = flat[index] as PackBlock;
            if (input.required && input.lines.length > 0) expect(block.outcome).toBe("included");
            if (block.outcome === "dropped") expect(block.tokens).toBe(0);
            if (block.outcome === "included") expect(block.tokens).toBe(block.candidateTokens);
            if (block.outcome === "truncated") {
              expect(block.tokens).toBeGreaterThan(0);
              expect(block.tokens).toBeLessThan(block.candidateTokens);
            }
          });
          // Section caps are hard, heading included.
          for (const packed of result.sections) {
            const cap = sections.find((entry) => entry.title === packed.title)?.maxTokens;
            if (cap !== undefined) expect(packed.tokens).toBeLessThanOrEqual(cap);
          }
          // No content is invented: every line is a heading, an input line (or a cut piece of one),
          // a suffix label or a truncation marker.
          const known = new Set(flat.flatMap((block) => [...block.lines, ...(block.suffix ?? [])]));
          for (const line of result.text.split("\n").slice(0, -1)) {
            if (
              line.startsWith("## ") ||
              known.has(line) ||
              /^\[… (\d+ (more|earlier) items?|1 (more|earlier) item) not shown\]$|^\[… truncated\]$/.test(
                line,
              )
            ) {
              continue;
            }
            const unescaped = line.replace(/^ \//, "/").replace(/^(\s*)\\#/, "$1#");
            const fromLine = flat.some((block) =>
              block.lines.some((source) => source.startsWith(line) || source.endsWith(unescaped)),
            );
            expect(fromLine, `unexpected line ${JSON.stringify(line)}`).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });

  it("is tight: everything fits in exactly its token count, and not in one token less", () => {
    fc.assert(
      fc.property(sectionShapes({ texts: nastyText, limits: "none", requiredRate: 0 }), (shapes) => {
        const sections = toSections(shapes, tokenizer);
        const everything = pack({ sections, maxTokens: 1_000_000, tokenizer });
        fc.pre(everything.tokens > 1);
        const exact = pack({ sections, maxTokens: everything.tokens, tokenizer });
        expect(exact.text).toBe(everything.text);
        const short = pack({ sections, maxTokens: everything.tokens - 1, tokenizer });
        expect(short.blocks.some((block) => block.outcome !== "included" && block.candidateTokens > 0)).toBe(
          true,
        );
        expect(tokenizer.count(short.text)).toBe(short.tokens);
        expect(short.tokens).toBeLessThanOrEqual(everything.tokens - 1);
      }),
      RUNS,
    );
  });

  it.each([
    ["without section limits", "none"],
    ["with section caps (blocks dropped for the budget)", "caps"],
  ] as const)(
    "never drops a higher-priority block while keeping a lower-priority one of the same size, %s",
    (_, limits) => {
      // A small pool of texts makes equal sizes common.
      const pooled = fc.constantFrom(
        "One short line.",
        "Another short line!",
        "/path/to/file",
        "🎉 emoji party 🎉",
        "# not a heading",
        "A first sentence. A second sentence? A third one!",
        "東京都の天気",
        "<|endoftext|> literal",
      );
      fc.assert(
        fc.property(
          sectionShapes({ texts: pooled, limits, requiredRate: 0 }),
          fc.integer({ min: 1, max: 150 }),
          (shapes, maxTokens) => {
            const sections = toSections(shapes, tokenizer);
            const output = pack({ sections, maxTokens, tokenizer });
            const flat = sections.flatMap((entry) => entry.blocks);
            output.blocks.forEach((dropped, droppedIndex) => {
              // A section cap is the user's explicit limit for that section, not a priority decision.
              if (
                dropped.outcome !== "dropped" ||
                dropped.reason !== "budget" ||
                dropped.candidateTokens === 0
              )
                return;
              const droppedPriority = (flat[droppedIndex] as PackBlock).priority;
              output.blocks.forEach((kept, keptIndex) => {
                if (kept.outcome === "dropped" || kept.candidateTokens !== dropped.candidateTokens) return;
                expect((flat[keptIndex] as PackBlock).priority).toBeGreaterThanOrEqual(droppedPriority);
              });
            });
          },
        ),
        RUNS,
      );
    },
  );

  it("identical input gives byte-identical output, whatever the order of sections and blocks", () => {
    fc.assert(
      fc.property(
        sectionShapes({ texts: nastyText, limits: "all", requiredRate: 0 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer(),
        (shapes, maxTokens, seed) => {
          const sections = toSections(shapes, tokenizer);
          const first = pack({ sections, maxTokens, tokenizer });
          const again = pack({ sections, maxTokens, tokenizer });
          expect(again.text).toBe(first.text);
          expect(again.blocks).toEqual(first.blocks);
          const shuffled = shuffle(
            sections.map((entry) => ({ ...entry, blocks: shuffle(entry.blocks, seed) })),
            seed,
          );
          const reordered = pack({ sections: shuffled, maxTokens, tokenizer });
          expect(reordered.text).toBe(first.text);
          expect(reordered.tokens).toBe(first.tokens);
        },
      ),
      RUNS,
    );
  });
});

/** A deterministic shuffle (Fisher-Yates over a small LCG), so a failing case replays exactly. */
function shuffle<Item>(items: readonly Item[], seed: number): Item[] {
  const result = [...items];
  let state = seed >>> 0;
  for (let index = result.length - 1; index > 0; index--) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    const other = state % (index + 1);
    [result[index], result[other]] = [result[other] as Item, result[index] as Item];
  }
  return result;
}
