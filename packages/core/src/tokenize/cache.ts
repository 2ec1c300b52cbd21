// Counts for strings that recur on every request (section headings, unknown-value notes, truncation
// markers, repeated realtime values): tokenized once per process and encoding. Least recently used
// strings are evicted first, so hot headings survive churn from one-off strings (age labels); long
// strings are not kept, which bounds the memory to a few MB.
import type { Tokenizer } from "./types.js";

const LIMIT = 10_000;
const MAX_CACHED_LENGTH = 500;
const counts = new Map<string, number>();

/** Token count of `text`; `onMiss` is called when the tokenizer actually runs. */
export function cachedCount(tokenizer: Tokenizer, text: string, onMiss?: () => void): number {
  const id = `${tokenizer.encoding}\u0000${text}`;
  const known = counts.get(id);
  if (known !== undefined) {
    counts.delete(id);
    counts.set(id, known);
    return known;
  }
  onMiss?.();
  const count = tokenizer.count(text);
  if (text.length <= MAX_CACHED_LENGTH) {
    if (counts.size >= LIMIT) {
      const oldest = counts.keys().next();
      if (!oldest.done) counts.delete(oldest.value);
    }
    counts.set(id, count);
  }
  return count;
}
