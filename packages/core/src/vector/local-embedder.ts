// The offline default embedder: deterministic, dependency-free, and honestly LEXICAL. It hashes word
// stems, adjacent word pairs and character trigrams into a fixed-size vector ("feature hashing"), so
// texts that share words (or word fragments: "shoe"/"shoes", typos) score high, and paraphrases that
// share no words score near zero. Good for demos, tests and keyword-heavy corpora; for semantic
// search plug in a real model through `embedderFromAiSdk` in `@ctxstore/ai-sdk`.

import { CtxError } from "../errors.js";
import { fnv1a } from "../hash.js";
import type { Embedder } from "./types.js";

/** Options of `localEmbedder()`. */
export interface LocalEmbedderOptions {
  /** Vector size. Default 384 (the size of common small sentence models, so stores are interchangeable). */
  dimensions?: number;
}

// Function words match almost everything; hashing them in would make every pair of texts look alike.
const STOPWORDS = new Set(
  (
    "a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it its " +
    "me my of on or our she so than that the their them then there these they this those to was we were what when where " +
    "which who why will with would you your"
  ).split(" "),
);

const WORD_WEIGHT = 1;
const PAIR_WEIGHT = 0.5;
const TRIGRAM_WEIGHT = 0.25;

/** Words of `text`, lower-cased with accents removed, stopwords dropped unless nothing else is left. */
export function lexicalWords(text: string): string[] {
  const words =
    text
      .normalize("NFKD")
      .replace(/\p{M}+/gu, "")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const content = words.filter((word) => !STOPWORDS.has(word));
  return content.length > 0 ? content : words;
}

// Crude plural folding: "shoes" and "shoe" should share their strongest feature.
function stem(word: string): string {
  if (word.length > 3 && word.endsWith("s") && !word.endsWith("ss")) return word.slice(0, -1);
  return word;
}

// FNV-1a, 32 bits. The low bit picks the sign (so collisions cancel out on average instead of piling
// up), the rest picks the dimension.
function hash(text: string, seed: number): number {
  return fnv1a(text, 0, text.length, seed);
}

/** Embeds one text synchronously; all-zero vector for a text without letters or digits. */
export function embedLexical(text: string, dimensions: number): number[] {
  const counts = new Map<string, number>();
  const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
  const words = lexicalWords(text).map(stem);
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as string;
    add(`w:${word}`, WORD_WEIGHT);
    const next = words[index + 1];
    if (next !== undefined) add(`p:${word} ${next}`, PAIR_WEIGHT);
    const padded = `^${word}$`;
    for (let start = 0; start + 3 <= padded.length; start++)
      add(`t:${padded.slice(start, start + 3)}`, TRIGRAM_WEIGHT);
  }
  const vector = new Array<number>(dimensions).fill(0);
  for (const [feature, weight] of counts) {
    const hashed = hash(feature, 0);
    const slot = (hashed >>> 1) % dimensions;
    // Sublinear term frequency: a word repeated ten times is not ten times as relevant.
    const value = Math.log1p(weight);
    vector[slot] = (vector[slot] as number) + (hashed & 1 ? value : -value);
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) return vector;
  const scale = 1 / Math.sqrt(norm);
  for (let index = 0; index < dimensions; index++) vector[index] = (vector[index] as number) * scale;
  return vector;
}

/**
 * Deterministic offline embedder (id `local-hash-<dimensions>`): lexical feature hashing, L2-normalised.
 * Same text, same vector, on every machine and run.
 */
export function localEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const dimensions = options.dimensions ?? 384;
  if (!Number.isInteger(dimensions) || dimensions < 8 || dimensions > 8192) {
    throw new CtxError(
      "CTX_CONFIG",
      `localEmbedder: \`dimensions\` must be an integer 8..8192; got ${String(dimensions)}.`,
      {
        dimensions,
      },
    );
  }
  return {
    id: `local-hash-${dimensions}`,
    dimensions,
    maxBatchSize: 512,
    async embed(texts, embedOptions) {
      embedOptions?.signal?.throwIfAborted();
      if (texts.length > 512) {
        throw new CtxError(
          "CTX_INVALID_REQUEST",
          `localEmbedder: ${texts.length} texts in one call; split into batches of at most 512 (maxBatchSize).`,
          {
            count: texts.length,
            maxBatchSize: 512,
          },
        );
      }
      return texts.map((text) => {
        if (typeof text !== "string") {
          throw new CtxError(
            "CTX_INVALID_REQUEST",
            `localEmbedder: every input must be a string; got ${typeof text}.`,
          );
        }
        return embedLexical(text, dimensions);
      });
    },
  };
}
