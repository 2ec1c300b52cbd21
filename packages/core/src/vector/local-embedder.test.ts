// localEmbedder: deterministic, normalised, lexical vectors with pinned features, and its option checks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCtxError } from "../errors.js";
import { embedLexical, localEmbedder } from "./local-embedder.js";

const cosine = (a: readonly number[], b: readonly number[]) =>
  a.reduce((sum, value, index) => sum + value * (b[index] as number), 0);

describe("localEmbedder", () => {
  it("describes itself: id, 384 dimensions by default, batch limit", () => {
    const embedder = localEmbedder();
    expect(embedder).toMatchObject({ id: "local-hash-384", dimensions: 384, maxBatchSize: 512 });
    expect(localEmbedder({ dimensions: 64 }).id).toBe("local-hash-64");
  });

  it("is deterministic and L2-normalised", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (text) => {
        const first = embedLexical(text, 96);
        expect(embedLexical(text, 96)).toEqual(first);
        const norm = Math.sqrt(first.reduce((sum, value) => sum + value * value, 0));
        if (norm > 0) expect(norm).toBeCloseTo(1, 9);
        else expect(text).not.toMatch(/[\p{L}\p{N}]/u);
      }),
    );
  });

  it("pins the vector of a fixed text (a change of features would silently invalidate stored indexes)", () => {
    const vector = embedLexical("Waterproof trail running shoes", 384);
    const nonZero = vector.flatMap((value, index) => (value === 0 ? [] : [index]));
    expect(nonZero.length).toBeGreaterThan(20);
    expect(vector.slice(0, 384).reduce((sum, value) => sum + value, 0)).toBeCloseTo(0.5319063171955019, 10);
  });

  it("scores shared words high and unrelated texts near zero (lexical, not semantic)", async () => {
    const embedder = localEmbedder();
    const [query, related, plural, unrelated, paraphrase] = await embedder.embed([
      "waterproof trail shoes",
      "These trail shoes are fully waterproof.",
      "Shoe sizes for trails",
      "Invoices are emailed every month.",
      "Footwear that keeps water out on mountain paths",
    ]);
    const score = (other: number[] | undefined) => cosine(query as number[], other as number[]);
    expect(score(related)).toBeGreaterThan(0.5);
    expect(score(plural)).toBeGreaterThan(score(unrelated));
    expect(Math.abs(score(unrelated))).toBeLessThan(0.15);
    // Honest limitation: a paraphrase with no shared words is not found.
    expect(score(paraphrase)).toBeLessThan(0.3);
  });

  it("ignores case, accents and stopwords", () => {
    expect(embedLexical("Café in the Zürich", 128)).toEqual(embedLexical("cafe zurich", 128));
    expect(embedLexical("the", 128).some((value) => value !== 0)).toBe(true);
  });

  it("rejects bad options and oversized batches", async () => {
    for (const dimensions of [0, 4, 12.5, 100_000])
      expect(() => localEmbedder({ dimensions })).toThrow(/dimensions/);
    const embedder = localEmbedder();
    await expect(embedder.embed(new Array(513).fill("x"))).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_INVALID_REQUEST"),
    );
    await expect(embedder.embed([42 as unknown as string])).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_INVALID_REQUEST"),
    );
  });
});
