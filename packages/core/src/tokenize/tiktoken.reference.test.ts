// Counting against OpenAI's tokenizer (the `tiktoken` package: its Rust code compiled to WASM) on
// random text from the whole code-point range, and packing recounted by it. The exhaustive
// single-code-point checks are in exhaustive-*.test.ts.
import fc from "fast-check";
import { get_encoding, type Tiktoken } from "tiktoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { batch, createContextStore, defineEntity } from "../index.js";
import { loadEncoding, tiktokenTokenizer } from "./tiktoken.js";

const ENCODINGS = ["o200k_base", "cl100k_base"] as const;
const references = new Map<string, Tiktoken>();

beforeAll(async () => {
  for (const encoding of ENCODINGS) {
    await loadEncoding(encoding);
    references.set(encoding, get_encoding(encoding));
  }
});
afterAll(() => {
  for (const reference of references.values()) reference.free();
});

function referenceCount(encoding: string, text: string): number {
  return (references.get(encoding) as Tiktoken).encode_ordinary(text).length;
}

/** Characters a tokenizer can disagree on: every plane, new letters, space and format characters. */
const character = fc.oneof(
  fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
  fc.integer({ min: 0, max: 0x2fff }).map((code) => String.fromCodePoint(code)),
  fc.constantFrom(
    // White space and format characters (U+FEFF and U+180E are not white space to Rust; U+0085 is)
    ..." \t\n\r\u000b\u000c\u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\u180e\u200b\u200c\u200d\u2060\u00ad\u061c\u200e\u202e\u2066",
    // Letters new in Unicode 16 (letters to OpenAI's tokenizer) and 17 (not yet)
    "\u{105c0}",
    "\u{16d43}",
    "\u{10d4a}",
    "\u088f",
    "\u0c5c",
    "\u1acf",
    "\u{323b0}",
    "\u{33479}",
    // Combining sequences, ZWJ emoji, case and contractions
    "e\u0301",
    "\u0915\u094d\u0937",
    "👩‍👩‍👧‍👦",
    "🏳️‍🌈",
    "👍🏽",
    "'s",
    "'S",
    "'ſ",
    "'ll",
    "'RE",
    "ſ",
    "İ",
    "ǅ",
    "a",
    "A",
    " ",
    "1",
    "٣",
    "²",
    "-",
    "/",
    "😀",
    "ก",
    "中",
    "\ud800",
    "\udfff",
  ),
);
const run = fc.tuple(character, fc.integer({ min: 1, max: 300 })).map(([text, times]) => text.repeat(times));
const text = fc
  .array(fc.oneof(character, character, run, fc.string()), { maxLength: 40 })
  .map((parts) => parts.join(""));

describe.each(ENCODINGS)("against OpenAI's tokenizer (%s)", (encoding) => {
  it("property: the count and the tokens of random text equal OpenAI's", () => {
    const tokenizer = tiktokenTokenizer(encoding);
    fc.assert(
      fc.property(text, (value) => {
        const expected = Array.from((references.get(encoding) as Tiktoken).encode_ordinary(value));
        expect(tokenizer.count(value)).toBe(expected.length);
        expect(tokenizer.encode(value)).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it("property: packed text recounted by OpenAI's tokenizer equals the reported tokens and fits the budget", async () => {
    const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
    const notes = batch("notes", { entity: user, schema: z.string(), section: "Notes" });
    const facts = batch("facts", { entity: user, schema: z.array(z.string()), section: "Facts" });
    const ctx = createContextStore({ sources: [notes, facts], encoding });
    await ctx.ready();
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.array(text, { maxLength: 5 }),
        fc.integer({ min: 1, max: 400 }),
        async (note, list, maxTokens) => {
          const userId = `u${round++}`;
          await ctx.write(notes, { userId }, note);
          await ctx.write(facts, { userId }, list);
          const result = await ctx.assemble({ keys: { user: { userId } }, budget: { maxTokens } });
          const real = referenceCount(encoding, result.text);
          expect(real).toBe(result.tokens);
          expect(real).toBeLessThanOrEqual(maxTokens);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("the reproducers of #15", () => {
  it("counts U+FEFF, Unicode 16/17 letters and long runs as OpenAI's tokenizer does", () => {
    for (const encoding of ENCODINGS) {
      const tokenizer = tiktokenTokenizer(encoding);
      for (const value of [
        "## Notes\nx\ufeff'e\n",
        "x\ufeff'e".repeat(100),
        "A\u088F's".repeat(400),
        "ภาษาไทยเป็นภาษาที่ไม่มีการเว้นวรรคระหว่างคำจึงทำให้ทั้งประโยคเป็นชิ้นเดียว".repeat(2),
        "-".repeat(200),
      ])
        expect(tokenizer.count(value)).toBe(referenceCount(encoding, value));
    }
  });
});

describe("loading ranks", () => {
  it("the sliced parse equals the one-go parse, and timers keep firing while it runs", async () => {
    const { parseRanks, parseRanksSliced } = await import("./bpe.js");
    const o200k = (await import("js-tiktoken/ranks/o200k_base")).default;
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 1);
    const sliced = await parseRanksSliced(o200k.bpe_ranks);
    clearInterval(ticker);
    // The timer fired between slices: the loop was not blocked for the whole parse. (How many times
    // depends on the machine's speed: on a quick machine the whole parse is a few slices.)
    expect(ticks).toBeGreaterThanOrEqual(3);
    const whole = parseRanks(o200k.bpe_ranks);
    expect(sliced.maxTokenBytes).toBe(whole.maxTokenBytes);
    expect(sliced.ranks.size).toBe(whole.ranks.size);
    expect(sliced.tokens).toEqual(whole.tokens);
    for (const [bytes, rank] of whole.ranks) if (sliced.ranks.get(bytes) !== rank) expect(bytes).toBe("");
  });
});
