// The reserve rule (packer.ts header): `minTokens` guarantees at most that many tokens to its
// section; beyond it, blocks compete by priority across sections. And the nothing-fits warning.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { batch, createContextStore, defineEntity } from "../index.js";
import { loadEncoding, tiktokenTokenizer } from "../tokenize/tiktoken.js";
import { expectWellFormed, listBlock, section, textBlock } from "./packer.fixtures.js";
import { pack } from "./packer.js";
import { NOTHING_FITS_PREFIX } from "./warnings.js";

beforeAll(async () => {
  await loadEncoding("o200k_base");
});
const tokenizer = tiktokenTokenizer("o200k_base");

/** A one-line text of exactly `tokens` tokens with its "\n" (o200k: " a" is one token each). */
function lineOf(tokens: number): string {
  return `a${" a".repeat(tokens - 2)}`;
}

describe("reserves", () => {
  it("a 10-token reserve does not carry a low-priority block in ahead of a higher-priority one (#15)", () => {
    // One-item lists: a list is cut by whole items, so neither can be shortened to fit.
    const high = listBlock(tokenizer, "high", [lineOf(100)], { priority: 90 });
    const low = listBlock(tokenizer, "low", [lineOf(100)], { priority: 10 });
    const sections = [section("Alpha", [high]), section("Beta", [low], { minTokens: 10 })];
    const output = pack({ sections, maxTokens: 108, tokenizer });
    const outcome = Object.fromEntries(output.blocks.map((block) => [block.source, block]));
    // Neither fits beside the 10 reserved tokens; the priority-10 block may not take them plus the pool.
    expect(outcome.high?.outcome).toBe("dropped");
    expect(outcome.low?.outcome).toBe("dropped");
    // Without the reserve, the priority-90 block fits.
    const unreserved = pack({
      sections: [section("Alpha", [high]), section("Beta", [low])],
      maxTokens: 108,
      tokenizer,
    });
    expect(unreserved.blocks.map((block) => block.outcome)).toEqual(["included", "dropped"]);
    expectWellFormed(output, tokenizer, 108);
  });

  it("property: outside reserved tokens, a higher-priority block is never dropped while a lower-priority block of the same or larger size is kept", () => {
    const blockSpec = fc.record({
      tokens: fc.integer({ min: 2, max: 60 }),
      priority: fc.integer({ min: 0, max: 100 }),
      list: fc.boolean(),
    });
    const sectionSpec = fc.record({
      blocks: fc.array(blockSpec, { minLength: 1, maxLength: 3 }),
      minTokens: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(sectionSpec, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 200 }),
        (specs, maxTokens) => {
          let counter = 0;
          const sections = specs.map((spec, sectionIndex) =>
            section(
              `S${sectionIndex}`,
              spec.blocks.map((block) => {
                const name = `b${counter++}`;
                return block.list
                  ? listBlock(
                      tokenizer,
                      name,
                      Array.from({ length: block.tokens >> 2 || 1 }, () => "x y"),
                      {
                        priority: block.priority,
                      },
                    )
                  : textBlock(tokenizer, name, lineOf(block.tokens), { priority: block.priority });
              }),
              spec.minTokens === undefined ? {} : { minTokens: spec.minTokens },
            ),
          );
          const output = pack({ sections, maxTokens, tokenizer });
          expectWellFormed(output, tokenizer, maxTokens);
          const blocks = sections.flatMap((packSection) =>
            packSection.blocks.map((block) => ({ block, minTokens: packSection.minTokens ?? 0 })),
          );
          const packed = new Map(output.blocks.map((block) => [block.source, block]));
          for (const dropped of blocks) {
            const droppedOut = packed.get(dropped.block.source);
            if (droppedOut?.outcome !== "dropped" || droppedOut.reason !== "budget") continue;
            for (const kept of blocks) {
              const keptOut = packed.get(kept.block.source);
              if (keptOut === undefined || keptOut.outcome === "dropped") continue;
              if (kept.block.priority >= dropped.block.priority) continue;
              if (keptOut.candidateTokens < droppedOut.candidateTokens) continue;
              // Only possible inside the kept block's own reserve.
              expect(keptOut.tokens).toBeLessThanOrEqual(kept.minTokens);
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("nothing fits", () => {
  it("warns, naming every dropped source, when the budget leaves out every source (#15)", () => {
    const output = pack({
      sections: [
        section("Profile", [textBlock(tokenizer, "profile", "Runs trails every weekend.")]),
        section("Recent", [listBlock(tokenizer, "events", ["viewed shoes", "bought socks"])]),
      ],
      maxTokens: 5,
      tokenizer,
    });
    expect(output.text).toBe("");
    expect(output.warnings).toHaveLength(1);
    expect(output.warnings[0]).toMatch(new RegExp(`^${NOTHING_FITS_PREFIX}`));
    expect(output.warnings[0]).toContain("profile (");
    expect(output.warnings[0]).toContain("events (");
    expect(output.warnings[0]).toContain("budget of 5 tokens");
  });

  it("does not warn when something fits or there was nothing to pack", () => {
    const fits = pack({
      sections: [section("Profile", [textBlock(tokenizer, "profile", "Runs.")])],
      maxTokens: 100,
      tokenizer,
    });
    expect(fits.warnings).toEqual([]);
    expect(pack({ sections: [], maxTokens: 5, tokenizer }).warnings).toEqual([]);
  });
});

describe("nothing fits, through assemble", () => {
  it("the result and the trace carry the warning; the text is empty", async () => {
    const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
    const profile = batch("profile", { entity: user, schema: z.string(), section: "Profile" });
    const ctx = createContextStore({ sources: [profile] });
    await ctx.write(profile, { userId: "u1" }, "Ana Lima, trail runner training for a 50 km race.");
    const result = await ctx.assemble({ keys: { user: { userId: "u1" } }, budget: { maxTokens: 5 } });
    expect(result.text).toBe("");
    expect(result.warnings.some((warning) => warning.startsWith(NOTHING_FITS_PREFIX))).toBe(true);
    expect(result.warnings.join(" ")).toContain("profile (");
    expect(result.trace.warnings).toEqual(result.warnings);
  });
});
