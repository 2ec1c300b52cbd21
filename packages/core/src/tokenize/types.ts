// Token counting. Counts are exact for the tiktoken encodings; for other model families (Claude,
// Gemini, Llama) use the closest encoding and keep a margin: see docs/concepts.md#token-counts.
import type { Encoding } from "../envelope.js";

/** Counts tokens for the budget; the default is exact tiktoken counts. */
export interface Tokenizer {
  readonly encoding: Encoding;
  /**
   * Exact number of tokens, equal to OpenAI's tokenizer for every string; special-token strings in
   * `text` count as ordinary text. Linear in the length of `text` (up to a log factor) whatever it holds.
   */
  count(text: string): number;
  /** The token ids of `text` in this encoding (special-token strings encoded as ordinary text). */
  encode(text: string): number[];
  /** The text of token ids; `decode(encode(text))` is `text`. */
  decode(tokens: readonly number[]): string;
}
