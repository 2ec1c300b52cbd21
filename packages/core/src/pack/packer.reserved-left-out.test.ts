// The reserved-section warning (#15): when the budget leaves out the whole of a section its author
// marked as mattering (`minTokens` > 0, or a required source), the output says so by name, even
// though other sections went in. The rule is written in packer.ts (reservedSectionsLeftOut).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  batch,
  createContextStore,
  defineEntity,
  isContextLeftOutWarning,
  section as sectionOf,
} from "../index.js";
import { loadEncoding, tiktokenTokenizer } from "../tokenize/tiktoken.js";
import { expectWellFormed, listBlock, noteBlock, section, textBlock } from "./packer.fixtures.js";
import { pack } from "./packer.js";
import { NOTHING_FITS_PREFIX, RESERVED_LEFT_OUT_PREFIX } from "./warnings.js";

beforeAll(async () => {
  await loadEncoding("o200k_base");
});
const tokenizer = tiktokenTokenizer("o200k_base");

/** A one-line text of exactly `tokens` tokens with its "\n" (o200k: " a" is one token each). */
function lineOf(tokens: number): string {
  return `a${" a".repeat(tokens - 2)}`;
}

/** The section titles a reserved-section warning names. */
function namedSections(warnings: readonly string[]): string[] {
  return warnings
    .filter((warning) => warning.startsWith(RESERVED_LEFT_OUT_PREFIX))
    .map((warning) => /section "([^"]*)"/.exec(warning)?.[1] ?? "?");
}

describe("a reserved section left out whole", () => {
  it("is named with its sources when the required content leaves no room for its reserve", () => {
    const output = pack({
      sections: [
        section("Policy", [textBlock(tokenizer, "policy", lineOf(40), { required: true, priority: 90 })]),
        section(
          "Compliance",
          [noteBlock(tokenizer, "sanctions", "Sanctions check: unknown, ask before shipping.")],
          {
            minTokens: 20,
          },
        ),
      ],
      maxTokens: 48,
      tokenizer,
    });
    expectWellFormed(output, tokenizer, 48);
    expect(output.text).toContain("## Policy");
    expect(output.text).not.toContain("Compliance");
    expect(output.warnings).toHaveLength(1);
    const [warning = ""] = output.warnings;
    expect(warning.startsWith(RESERVED_LEFT_OUT_PREFIX)).toBe(true);
    expect(isContextLeftOutWarning(warning)).toBe(true);
    expect(warning).toContain('section "Compliance" (minTokens 20)');
    expect(warning).toMatch(/Dropped: sanctions \(\d+ tokens, budget\)/);
    expect(warning).toContain("budget of 48 tokens");
  });

  it("stays quiet when the reserved section went in, and for sections that reserve nothing", () => {
    const truncated = pack({
      sections: [
        section("Policy", [textBlock(tokenizer, "policy", lineOf(30), { priority: 90 })]),
        section(
          "Recent",
          [listBlock(tokenizer, "events", ["viewed shoes", "bought socks", "asked about sizes"])],
          {
            minTokens: 8,
          },
        ),
        section("Extra", [textBlock(tokenizer, "extra", lineOf(30), { priority: 5 })]),
      ],
      maxTokens: 50,
      tokenizer,
    });
    const outcomes = Object.fromEntries(truncated.blocks.map((block) => [block.source, block.outcome]));
    expect(outcomes).toEqual({ policy: "included", events: "included", extra: "dropped" });
    expect(truncated.warnings).toEqual([]);
  });

  it("leaves the all-dropped case to the nothing-fits warning alone", () => {
    const output = pack({
      sections: [section("Compliance", [noteBlock(tokenizer, "sanctions", lineOf(30))], { minTokens: 10 })],
      maxTokens: 5,
      tokenizer,
    });
    expect(output.warnings).toHaveLength(1);
    expect(output.warnings[0]?.startsWith(NOTHING_FITS_PREFIX)).toBe(true);
  });

  it("property: the warnings name exactly the reserved sections with content of which nothing went in", () => {
    const blockSpec = fc.record({
      tokens: fc.integer({ min: 2, max: 60 }),
      priority: fc.integer({ min: 0, max: 100 }),
      kind: fc.constantFrom("text", "list", "note"),
    });
    const sectionSpec = fc.record({
      blocks: fc.array(blockSpec, { minLength: 1, maxLength: 3 }),
      minTokens: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      maxTokens: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(sectionSpec, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 200 }),
        (specs, maxTokens) => {
          let counter = 0;
          const sections = specs.map((spec, index) =>
            section(
              `S${index}`,
              spec.blocks.map((block) => {
                const name = `b${counter++}`;
                const overrides = { priority: block.priority };
                if (block.kind === "list")
                  return listBlock(
                    tokenizer,
                    name,
                    Array.from({ length: block.tokens >> 2 || 1 }, () => "x y"),
                    overrides,
                  );
                if (block.kind === "note") return noteBlock(tokenizer, name, lineOf(block.tokens), overrides);
                return textBlock(tokenizer, name, lineOf(block.tokens), overrides);
              }),
              {
                ...(spec.minTokens === undefined ? {} : { minTokens: spec.minTokens }),
                ...(spec.maxTokens === undefined ? {} : { maxTokens: spec.maxTokens }),
              },
            ),
          );
          const output = pack({ sections, maxTokens, tokenizer });
          expectWellFormed(output, tokenizer, maxTokens);
          const kept = new Set(
            output.blocks.filter((block) => block.outcome !== "dropped").map((block) => block.section),
          );
          if (kept.size === 0) {
            expect(namedSections(output.warnings)).toEqual([]);
            return;
          }
          const expected = sections
            .filter((packSection) => (packSection.minTokens ?? 0) > 0 && !kept.has(packSection.title))
            .map((packSection) => packSection.title);
          expect(namedSections(output.warnings).sort()).toEqual(expected.sort());
          expect(output.warnings.every((warning) => !warning.startsWith(NOTHING_FITS_PREFIX))).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("a reserved section left out, through assemble", () => {
  it("the result and the trace carry the warning beside the context that did fit", async () => {
    const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
    const profile = batch("profile", {
      entity: user,
      schema: z.string(),
      section: "Profile",
      priority: 90,
      required: true,
    });
    const terms = batch("terms", {
      entity: user,
      schema: z.string(),
      section: sectionOf("Account terms", { minTokens: 30 }),
      priority: 40,
    });
    const ctx = createContextStore({ sources: [profile, terms] });
    await ctx.write(
      profile,
      { userId: "u1" },
      "Ana Lima, trail runner training for a 50 km race in the spring.",
    );
    await ctx.write(terms, { userId: "u1" }, "Returns accepted within 60 days. Free exchanges on shoes.");
    const result = await ctx.assemble({ keys: { user: { userId: "u1" } }, budget: { maxTokens: 24 } });
    expect(result.text).toContain("## Profile");
    expect(result.text).not.toContain("Account terms");
    const warning = result.warnings.find((text) => text.startsWith(RESERVED_LEFT_OUT_PREFIX));
    expect(warning).toContain('section "Account terms" (minTokens 30)');
    expect(warning).toContain("terms (");
    expect(result.trace.warnings).toEqual(result.warnings);
    expect(result.trace.sources.find((source) => source.source === "terms")?.outcome).toBe("dropped");
  });
});
