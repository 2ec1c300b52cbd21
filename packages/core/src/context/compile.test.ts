// compile(): the one rule for section limits. createContextStore (at definition time) and the packer
// (on what it is handed) accept exactly the same minTokens/maxTokens values: absent, or a whole
// number of tokens >= 0.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { batch, createContextStore, section } from "../index.js";
import { pack } from "../pack/packer.js";
import { loadEncoding, tiktokenTokenizer } from "../tokenize/tiktoken.js";
import { user } from "./assemble.fixtures.js";

const tokenizer = tiktokenTokenizer("o200k_base");
beforeAll(() => loadEncoding("o200k_base"));

function definitionAccepts(limit: "minTokens" | "maxTokens", value: unknown): boolean {
  const source = batch("profile", {
    entity: user,
    schema: z.object({ summary: z.string() }),
    section: section("User profile", { [limit]: value as number }),
    render: (profile) => profile.summary,
  });
  try {
    createContextStore({ sources: [source] });
    return true;
  } catch (error) {
    expect(error).toMatchObject({ code: "CTX_INVALID_DEFINITION" });
    return false;
  }
}

function packerAccepts(limit: "minTokens" | "maxTokens", value: unknown): boolean {
  const sections = [
    { title: "User profile", priority: 50, tierRank: 0, [limit]: value as number, blocks: [] },
  ];
  try {
    pack({ sections, maxTokens: 100, tokenizer });
    return true;
  } catch (error) {
    expect(error).toMatchObject({ code: "CTX_INVALID_BUDGET" });
    return false;
  }
}

const limitValues = fc.oneof(
  fc.integer({ min: -3, max: 5_000 }),
  fc.double({ noNaN: false }),
  fc.constantFrom<unknown>(0, 1, -0, 2.5, Number.NaN, Number.POSITIVE_INFINITY, "10", null),
);

describe("section limits", () => {
  it("are accepted by createContextStore exactly when the packer accepts them", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("minTokens" as const, "maxTokens" as const),
        limitValues,
        (limit, value) => {
          expect(definitionAccepts(limit, value)).toBe(packerAccepts(limit, value));
        },
      ),
    );
  });

  it("accept 0 and whole numbers, and refuse fractions, negatives and non-numbers", () => {
    for (const limit of ["minTokens", "maxTokens"] as const) {
      for (const value of [0, 1, 300]) expect(definitionAccepts(limit, value)).toBe(true);
      for (const value of [-1, 2.5, Number.NaN, "10"]) expect(definitionAccepts(limit, value)).toBe(false);
    }
  });

  it("maxTokens 0 keeps a section out of the prompt, its sources dropped with the reason", async () => {
    const schema = z.object({ summary: z.string() });
    const muted = batch("muted", {
      entity: user,
      schema,
      section: section("Muted", { maxTokens: 0 }),
      render: (value) => value.summary,
    });
    const shown = batch("shown", {
      entity: user,
      schema,
      section: "Shown",
      render: (value) => value.summary,
    });
    const ctx = createContextStore({ sources: [muted, shown] });
    await ctx.write(muted, { userId: "u1" }, { summary: "Never in the prompt." });
    await ctx.write(shown, { userId: "u1" }, { summary: "In the prompt." });
    const result = await ctx.assemble({ keys: { user: { userId: "u1" } }, budget: { maxTokens: 100 } });
    expect(result.text).toBe("## Shown\nIn the prompt.\n");
    expect(result.trace.sources.find((source) => source.source === "muted")).toMatchObject({
      outcome: "dropped",
      outcomeReason: "section maxTokens 0",
    });
  });
});
