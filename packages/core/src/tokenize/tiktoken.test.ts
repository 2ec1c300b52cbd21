import fc from "fast-check";
import { get_encoding } from "tiktoken";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { batch, createContextStore, defineEntity } from "../index.js";
import { loadEncoding, PieceCounts, tiktokenTokenizer } from "./tiktoken.js";

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

  it("counts long runs without a break exactly, as OpenAI's tokenizer does (no byte fallback)", () => {
    // Changed by #15: these were counted by UTF-8 bytes (an overcount: 200 × "-" was 201, not 4).
    const reference = get_encoding("o200k_base");
    const tokenizer = tiktokenTokenizer("o200k_base");
    try {
      for (const text of [
        "x".repeat(200),
        "😀".repeat(2_000),
        "-".repeat(200),
        "กรุงเทพมหานครอมรรัตนโกสินทร์มหินทรายุธยามหาดิลกภพนพรัตน์ราชธานีบุรีรมย์".repeat(2),
        "中文文本没有标点符号也没有空格所以整段是一个片段".repeat(6),
        `a${" ".repeat(3_000)}b`,
        `a${"\t".repeat(3_000)}b`,
      ]) {
        const expected = Array.from(reference.encode_ordinary(text));
        expect(tokenizer.count(text)).toBe(expected.length);
        expect(tokenizer.encode(text)).toEqual(expected);
        expect(tokenizer.decode(expected)).toBe(text);
      }
    } finally {
      reference.free();
    }
  });

  it("a hostile value writes and packs within budget", async () => {
    const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
    const notes = batch("notes", { entity: user, schema: z.string(), section: "Notes" });
    const ctx = createContextStore({ sources: [notes] });
    await ctx.ready();
    await ctx.write(notes, { userId: "u1" }, `Intro sentence. ${"😀".repeat(20_000)} Outro.`);
    const result = await ctx.assemble({ keys: { user: { userId: "u1" } }, budget: { maxTokens: 300 } });
    expect(result.tokens).toBeLessThanOrEqual(300);
    expect(result.text).toContain("Intro sentence.");
    expect(result.trace.sources[0]?.outcome).toBe("truncated");

    // No sentence to keep: the packer cuts the run at a token boundary.
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
