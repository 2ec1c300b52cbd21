// `text.charCodeAt(index)` for hot loops. Once any module in the process subclasses String (ioredis 6
// does, for RESP3 verbatim strings), V8 turns off a process-wide fast path and calling a method on a
// primitive string gets slower: `text.charCodeAt(i)` in a loop measured about 4x slower, which made
// ctxstore's write path 1.8x slower in any process that loaded @ctxstore/redis. Calling the
// prototype's function with the string as `this` is not affected.
const charCode = String.prototype.charCodeAt;

/** The UTF-16 code unit of `text` at `index` (NaN past the end), fast whatever String subclasses exist. */
export function charCodeAt(text: string, index: number): number {
  return charCode.call(text, index);
}
