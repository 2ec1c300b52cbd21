// Remembered token counts of prompt texts. A chat resends its whole conversation on every turn, so
// deriving the budget from the context window would re-tokenize every earlier message each time
// (tens of milliseconds for a long conversation); with this, only the new turn is counted.
import type { Tokenizer } from "@ctxstore/core";

export interface TokenCounter {
  count(text: string): number;
}

export interface TokenCountCacheOptions {
  /** Texts shorter than this are counted directly: cheaper than hashing them as keys. Default 256. */
  minCharacters?: number;
  /** Characters of text kept as keys, in total; the oldest entries go first. Default 4,000,000. */
  maxCharacters?: number;
}

/** A counter with the tokenizer's exact counts, remembering those of long texts. */
export function tokenCountCache(
  tokenizer: Pick<Tokenizer, "count">,
  options: TokenCountCacheOptions = {},
): TokenCounter {
  const minCharacters = options.minCharacters ?? 256;
  const maxCharacters = options.maxCharacters ?? 4_000_000;
  const counts = new Map<string, number>();
  let characters = 0;
  return {
    count(text) {
      if (text.length < minCharacters || text.length > maxCharacters) return tokenizer.count(text);
      const known = counts.get(text);
      if (known !== undefined) {
        // Refresh its place: the oldest entries are evicted first, and a conversation's early
        // messages are exactly the ones every turn asks for again.
        counts.delete(text);
        counts.set(text, known);
        return known;
      }
      const count = tokenizer.count(text);
      counts.set(text, count);
      characters += text.length;
      for (const oldest of counts.keys()) {
        if (characters <= maxCharacters) break;
        counts.delete(oldest);
        characters -= oldest.length;
      }
      return count;
    },
  };
}
