// FNV-1a, 32 bits, over UTF-16 code units: the local embedder hashes its features with it, and the
// token counter's piece table looks pieces up by it (over a range, so no substring is cut).

/** See the note on `charCode` in tokenize/pieces.ts (ioredis 6 and V8's string fast path). */
const charCode = String.prototype.charCodeAt;

/** The hash of `text[start, end)`, starting from the offset basis xor `seed`. */
export function fnv1a(text: string, start = 0, end = text.length, seed = 0): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let index = start; index < end; index++)
    hash = Math.imul(hash ^ charCode.call(text, index), 0x01000193);
  return hash >>> 0;
}
