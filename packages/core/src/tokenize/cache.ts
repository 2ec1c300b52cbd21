// Counts for strings the library generates itself (headings, notes, markers): the same few strings
// recur on every request, so they are tokenized once per process and encoding.
import type { Tokenizer } from "./types.js";

const LIMIT = 20_000;
const counts = new Map<string, number>();

/** Token count of `text`; `onMiss` is called when the tokenizer actually runs. */
export function cachedCount(tokenizer: Tokenizer, text: string, onMiss?: () => void): number {
  const id = `${tokenizer.encoding}\u0000${text}`;
  const known = counts.get(id);
  if (known !== undefined) return known;
  onMiss?.();
  const count = tokenizer.count(text);
  if (counts.size >= LIMIT) counts.clear();
  counts.set(id, count);
  return count;
}
