// Token counting. Counts are exact for the tiktoken encodings; for other model families (Claude,
// Gemini, Llama) use the closest encoding and keep a margin: see docs/concepts.md#token-counts.
import type { Encoding } from "../envelope.js";

/** Counts tokens for the budget; the default is exact tiktoken counts. */
export interface Tokenizer {
  readonly encoding: Encoding;
  /**
   * Exact number of tokens; special-token strings in `text` count as ordinary text. Text with a run
   * of more than 128 letters or symbols without a break is counted by its UTF-8 byte length instead:
   * an upper bound, because exact BPE is quadratic on such runs.
   */
  count(text: string): number;
  encode(text: string): number[];
  decode(tokens: readonly number[]): string;
}
