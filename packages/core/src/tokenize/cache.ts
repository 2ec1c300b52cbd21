// Counts for strings that recur on every request (section headings, unknown-value notes, truncation
// markers, repeated realtime values): tokenized once per process and encoding. Recently used strings
// survive churn from one-off strings (age labels); long strings are not kept, which bounds the memory
// to a few MB.
import { BoundedCache } from "../cache/bounded-cache.js";
import type { Tokenizer } from "./types.js";

const LIMIT = 10_000;
const MAX_CACHED_LENGTH = 500;
const countsByEncoding = new Map<string, BoundedCache<number>>();

/** Token count of `text`; `onMiss` is called when the tokenizer actually runs. */
export function cachedCount(tokenizer: Tokenizer, text: string, onMiss?: () => void): number {
  let counts = countsByEncoding.get(tokenizer.encoding);
  if (counts === undefined) {
    counts = new BoundedCache<number>(LIMIT);
    countsByEncoding.set(tokenizer.encoding, counts);
  }
  const known = counts.get(text);
  if (known !== undefined) return known;
  onMiss?.();
  const count = tokenizer.count(text);
  if (text.length <= MAX_CACHED_LENGTH) counts.set(text, count);
  return count;
}
