// chunkText: chunks within maxTokens, cut between sentences, overlapping as configured.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { isCtxError } from "../errors.js";
import { loadEncoding, tiktokenTokenizer } from "../tokenize/tiktoken.js";
import { type Chunk, chunkText } from "./chunk.js";

const tokenizer = tiktokenTokenizer("o200k_base");
beforeAll(async () => {
  await loadEncoding("o200k_base");
});

const word = fc.stringMatching(/^[a-zA-Z]{1,12}$/);
const sentence = fc
  .tuple(
    fc.array(word, { minLength: 1, maxLength: 25 }),
    fc.constantFrom(". ", "! ", "? ", ".\n", ".\n\n", "; "),
  )
  .map(([words, end]) => `${words.join(" ")}${end}`);
const prose = fc.array(sentence, { minLength: 1, maxLength: 40 }).map((sentences) => sentences.join(""));
// Anything at all: long runs without spaces, emoji, CJK, stray whitespace.
const anyText = fc.oneof(
  prose,
  fc.string({ unit: "binary", minLength: 1, maxLength: 400 }),
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 600 }),
);
const limits = fc
  .integer({ min: 8, max: 120 })
  .chain((maxTokens) => fc.tuple(fc.constant(maxTokens), fc.integer({ min: 0, max: maxTokens - 1 })));

function checkInvariants(
  text: string,
  chunks: readonly Chunk[],
  maxTokens: number,
  overlapTokens: number,
): void {
  expect(chunks.map((chunk) => chunk.index)).toEqual(chunks.map((_, index) => index));
  for (const [position, chunk] of chunks.entries()) {
    expect(chunk.text).toBe(text.slice(chunk.start, chunk.end));
    expect(chunk.tokens).toBe(tokenizer.count(chunk.text));
    expect(chunk.tokens).toBeLessThanOrEqual(maxTokens);
    const previous = chunks[position - 1];
    if (!previous) {
      expect(chunk.overlap).toBe(0);
      continue;
    }
    // The overlap is the end of the previous chunk, within its token allowance, and each chunk adds new text.
    expect(chunk.overlap).toBe(previous.end - chunk.start);
    expect(chunk.overlap).toBeGreaterThanOrEqual(0);
    expect(chunk.overlap).toBeLessThan(chunk.text.length);
    expect(chunk.start).toBeGreaterThan(previous.start);
    const shared = chunk.text.slice(0, chunk.overlap);
    expect(previous.text.endsWith(shared)).toBe(true);
    expect(tokenizer.count(shared)).toBeLessThanOrEqual(overlapTokens);
  }
  // Dropping each chunk's overlap and concatenating gives back the document exactly.
  expect(chunks.map((chunk) => chunk.text.slice(chunk.overlap)).join("")).toBe(text);
}

describe("chunkText", () => {
  it("never exceeds maxTokens, overlaps as configured, and reproduces the text without the overlaps", () => {
    fc.assert(
      fc.property(anyText, limits, (text, [maxTokens, overlapTokens]) => {
        checkInvariants(
          text,
          chunkText(text, { tokenizer, maxTokens, overlapTokens }),
          maxTokens,
          overlapTokens,
        );
      }),
      { numRuns: 300 },
    );
  });

  it("cuts only between sentences when every sentence fits", () => {
    const segmenter = new Intl.Segmenter("en", { granularity: "sentence" });
    fc.assert(
      fc.property(prose, fc.integer({ min: 0, max: 40 }), (text, overlapTokens) => {
        const maxTokens = 160;
        const boundaries = new Set(
          [...segmenter.segment(text)].map((part) => part.index).concat(text.length),
        );
        const longest = Math.max(
          ...[...segmenter.segment(text)].map((part) => tokenizer.count(part.segment)),
        );
        fc.pre(longest <= maxTokens);
        const chunks = chunkText(text, { tokenizer, maxTokens, overlapTokens });
        checkInvariants(text, chunks, maxTokens, overlapTokens);
        for (const chunk of chunks) {
          expect(boundaries.has(chunk.start)).toBe(true);
          expect(boundaries.has(chunk.end)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("repeats whole trailing sentences up to overlapTokens", () => {
    const text =
      "Alpha one two. Bravo three four. Charlie five six. Delta seven eight. Echo nine ten. Foxtrot eleven twelve.";
    const chunks = chunkText(text, { tokenizer, maxTokens: 12, overlapTokens: 5 });
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks.slice(1)) {
      expect(chunk.overlap).toBeGreaterThan(0);
      expect(chunk.text.slice(0, chunk.overlap)).toMatch(/^[A-Z][a-z]+ [a-z]+ [a-z]+\. $/);
    }
    expect(
      chunkText(text, { tokenizer, maxTokens: 12, overlapTokens: 0 }).every((chunk) => chunk.overlap === 0),
    ).toBe(true);
  });

  it("keeps a short document in one chunk and returns [] for an empty string", () => {
    expect(chunkText("Just one line.", { tokenizer })).toEqual([
      {
        index: 0,
        text: "Just one line.",
        start: 0,
        end: 14,
        overlap: 0,
        tokens: tokenizer.count("Just one line."),
      },
    ]);
    expect(chunkText("", { tokenizer })).toEqual([]);
  });

  it("rejects limits that cannot work", () => {
    for (const options of [
      { maxTokens: 4 },
      { maxTokens: 10.5 },
      { maxTokens: 50, overlapTokens: 50 },
      { overlapTokens: -1 },
    ]) {
      expect(() => chunkText("Some text.", { tokenizer, ...options })).toThrow(
        expect.objectContaining({ code: "CTX_CONFIG" }),
      );
    }
    try {
      chunkText(42 as unknown as string, { tokenizer });
      expect.unreachable();
    } catch (error) {
      expect(isCtxError(error, "CTX_INVALID_DOCUMENT")).toBe(true);
    }
  });
});
