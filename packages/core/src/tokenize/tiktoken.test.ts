import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { batch, createContextStore, defineEntity } from "../index.js";
import {
  EXACT_RUN_LIMIT,
  hasQuadraticRun,
  loadEncoding,
  PieceCounts,
  tiktokenTokenizer,
  utf8Length,
} from "./tiktoken.js";

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

describe("piece count table", () => {
  it("property: answers exactly like a Map, looked up inside longer text, with probing and a full table", () => {
    fc.assert(
      fc.property(
        // Few distinct characters: many pieces share prefixes, lengths and (with 50,000+) hash slots.
        fc.array(
          fc.tuple(
            fc.string({ unit: fc.constantFrom("a", "b", " ", "1", "é"), minLength: 1, maxLength: 6 }),
            fc.nat(9),
          ),
          {
            maxLength: 300,
          },
        ),
        fc.string({ unit: fc.constantFrom("a", "b", " ", "1", "é"), maxLength: 6 }),
        (entries, probe) => {
          const table = new PieceCounts();
          const model = new Map<string, number>();
          for (const [piece, count] of entries) {
            if (model.has(piece)) continue;
            table.set(piece, count);
            model.set(piece, count);
          }
          for (const [piece, count] of model) {
            const text = `xx${piece}yy`;
            expect(table.get(text, 2, 2 + piece.length)).toBe(count);
          }
          expect(table.get(`<${probe}>`, 1, 1 + probe.length)).toBe(model.get(probe) ?? -1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps answering exactly past its size limit (it starts over)", () => {
    const table = new PieceCounts();
    for (let index = 0; index < 50_000; index++) table.set(`p${index}`, index % 7);
    expect(table.size).toBe(50_000);
    expect(table.get("p49999", 0, 6)).toBe(49_999 % 7);
    table.set("next", 3);
    expect(table.size).toBe(1);
    expect(table.get("next", 0, 4)).toBe(3);
    expect(table.get("p49999", 0, 6)).toBe(-1);
    // Counting agrees with encoding across the shared table starting over: 60,000 distinct pieces.
    const tokenizer = tiktokenTokenizer("o200k_base");
    const word = (index: number) =>
      Array.from({ length: 4 }, (_, digit) =>
        String.fromCharCode(97 + (Math.floor(index / 26 ** digit) % 26)),
      ).join("");
    const text = Array.from({ length: 60_000 }, (_, index) => word(index)).join(" ");
    expect(tokenizer.count(text)).toBe(tokenizer.encode(text).length);
  });
});
