// Every code point against OpenAI's tokenizer (the `tiktoken` package, Rust compiled to WASM),
// alone and between letters. Split over six test files (two encodings; alone, and between letters in
// two halves of the range) so the 6.6 million comparisons run in parallel and each file stays
// under a minute on a loaded machine.
import { get_encoding } from "tiktoken";
import { expect } from "vitest";
import type { Encoding } from "../envelope.js";
import { loadEncoding, tiktokenTokenizer } from "./tiktoken.js";

const LAST_CODE_POINT = 0x10ffff;
const BATCH = 4096;

/** Strings of one code point each (lone surrogates included: both tokenizers read them as U+FFFD). */
function codePointString(code: number): string {
  return String.fromCodePoint(code);
}

/** Every code point alone: counts and tokens equal OpenAI's, one call per string. */
export async function expectEveryCodePointAlone(encoding: Encoding): Promise<void> {
  await loadEncoding(encoding);
  const ours = tiktokenTokenizer(encoding);
  const reference = get_encoding(encoding);
  const mismatches: string[] = [];
  try {
    for (let code = 0; code <= LAST_CODE_POINT; code++) {
      const text = codePointString(code);
      const expected = reference.encode_ordinary(text).length;
      if (ours.count(text) !== expected) mismatches.push(`U+${code.toString(16)}`);
    }
  } finally {
    reference.free();
  }
  expect(mismatches.slice(0, 20)).toEqual([]);
}

/**
 * Every code point between letters ("a" + c + "b", and "A" + c + "'s" so case and contractions
 * around it are exercised), many strings per call joined by newlines: the token sequences must be
 * identical; a failing batch is narrowed to its first differing string for the message.
 */
export async function expectEveryCodePointBetweenLetters(
  encoding: Encoding,
  from = 0,
  to = LAST_CODE_POINT,
): Promise<void> {
  await loadEncoding(encoding);
  const ours = tiktokenTokenizer(encoding);
  const reference = get_encoding(encoding);
  const mismatches: string[] = [];
  try {
    for (let first = from; first <= to; first += BATCH) {
      const strings: string[] = [];
      for (let code = first; code < first + BATCH && code <= to; code++) {
        const character = codePointString(code);
        strings.push(`a${character}b`, `A${character}'s`);
      }
      const batch = strings.join("\n");
      const expected = Array.from(reference.encode_ordinary(batch));
      const actual = ours.encode(batch);
      if (actual.length === expected.length && actual.every((token, index) => token === expected[index]))
        continue;
      const culprit = strings.find((text) => ours.count(text) !== reference.encode_ordinary(text).length);
      mismatches.push(culprit === undefined ? `batch at U+${first.toString(16)}` : JSON.stringify(culprit));
    }
  } finally {
    reference.free();
  }
  expect(mismatches.slice(0, 20)).toEqual([]);
}
