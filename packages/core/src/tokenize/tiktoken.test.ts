import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { batch, createContextStore, defineEntity } from "../index.js";
import { EXACT_RUN_LIMIT, hasQuadraticRun, loadEncoding, tiktokenTokenizer, utf8Length } from "./tiktoken.js";

beforeAll(async () => {
  await loadEncoding("o200k_base");
  await loadEncoding("cl100k_base");
});

describe("tiktokenTokenizer", () => {
  it("counts exactly, treating special-token text as ordinary text", () => {
    const tokenizer = tiktokenTokenizer("o200k_base");
    expect(tokenizer.count("Hello world.")).toBe(3);
    expect(tokenizer.count("<|endoftext|>")).toBeGreaterThan(1);
    expect(tokenizer.decode(tokenizer.encode("café 😀 /usr/bin"))).toBe("café 😀 /usr/bin");
    expect(tiktokenTokenizer("cl100k_base").count("Hello world.")).toBe(3);
  });

  it("rejects unknown encodings and use before loading, with what to do", () => {
    expect(() => tiktokenTokenizer("p50k_base" as never)).toThrow(/o200k_base/);
  });

  it("counts text with a run exact BPE is quadratic on by UTF-8 bytes, an upper bound", () => {
    const tokenizer = tiktokenTokenizer("o200k_base");
    const letters = "x".repeat(EXACT_RUN_LIMIT + 72);
    expect(hasQuadraticRun(letters)).toBe(true);
    expect(tokenizer.count(letters)).toBe(utf8Length(letters));
    expect(tokenizer.count(letters)).toBeGreaterThanOrEqual(tokenizer.encode(letters).length);
    const emoji = "😀".repeat(10_000);
    expect(tokenizer.count(emoji)).toBe(40_000);
    // Runs split by spaces, digits or punctuation stay exact.
    const words = "word ".repeat(500);
    expect(hasQuadraticRun(words)).toBe(false);
    expect(tokenizer.count(words)).toBe(tokenizer.encode(words).length);
    expect(hasQuadraticRun(`https://example.com/${"a-b/".repeat(100)}`)).toBe(false);
    expect(hasQuadraticRun(`${"x".repeat(EXACT_RUN_LIMIT)} y`)).toBe(false);
  });

  it("a hostile value writes and packs within budget without exact BPE on the run", async () => {
    const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
    const notes = batch("notes", { entity: user, schema: z.string(), section: "Notes" });
    const ctx = createContextStore({ sources: [notes] });
    await ctx.ready();
    await ctx.write(notes, { userId: "u1" }, `Intro sentence. ${"😀".repeat(20_000)} Outro.`);
    const result = await ctx.assemble({ keys: { user: { userId: "u1" } }, budget: { maxTokens: 300 } });
    expect(result.tokens).toBeLessThanOrEqual(300);
    expect(result.text).toContain("Intro sentence.");
    expect(result.trace.sources[0]?.outcome).toBe("truncated");

    // No sentence to keep: the packer cuts the run by bytes, which bounds its tokens.
    await ctx.write(notes, { userId: "u2" }, "😀".repeat(20_000));
    const cut = await ctx.assemble({ keys: { user: { userId: "u2" } }, budget: { maxTokens: 120 } });
    expect(cut.tokens).toBeLessThanOrEqual(120);
    expect(ctx.tokenizer.encode(cut.text).length).toBeLessThanOrEqual(cut.tokens);
    expect(cut.text).toMatch(/^## Notes\n😀+\n\[… truncated\]\n$/u);
  });
});

describe("piece-memoised counting", () => {
  it("equals tiktoken's own encoding length on varied text (o200k_base and cl100k_base)", async () => {
    const fc = await import("fast-check");
    for (const encoding of ["o200k_base", "cl100k_base"] as const) {
      const tokenizer = tiktokenTokenizer(encoding);
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              fc.string(),
              fc.constantFrom(
                " the",
                "Trail",
                "42",
                "$129",
                "\n",
                "'s",
                "😀",
                "<|endoftext|>",
                "  ",
                "/x",
                "ÉTÉ",
              ),
            ),
            { maxLength: 30 },
          ),
          (parts) => {
            const text = parts.join("");
            expect(tokenizer.count(text)).toBe(tokenizer.encode(text).length);
            expect(tokenizer.count(text)).toBe(tokenizer.count(text));
          },
        ),
        { numRuns: 300 },
      );
    }
  });
});
