// The packer's access to the tokenizer during one pack() call: counts real tokenizer invocations
// (reported as `tokenizerCalls`) and memoises the lines the packer generates itself.
import { cachedCount } from "../tokenize/cache.js";
import type { Tokenizer } from "../tokenize/types.js";

/** One pack() call's access to the tokenizer, counting real invocations. */
export class CountingTokenizer {
  calls = 0;
  constructor(readonly tokenizer: Tokenizer) {}

  count(text: string): number {
    this.calls++;
    return this.tokenizer.count(text);
  }

  encode(text: string): number[] {
    this.calls++;
    return this.tokenizer.encode(text);
  }

  decode(tokens: readonly number[]): string {
    this.calls++;
    return this.tokenizer.decode(tokens);
  }

  /** Tokens of a generated prompt line (`line` without its "\n"), memoised per encoding. */
  countLine(line: string): number {
    return cachedCount(this.tokenizer, `${line}\n`, () => {
      this.calls++;
    });
  }
}
