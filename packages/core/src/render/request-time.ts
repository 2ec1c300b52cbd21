// Rendering at request time, for what has no counts from write time: realtime values, stored values
// written elsewhere (or for another encoding), and the status lines (confirmed-empty lines,
// unknown-value notes, fallback labels). Counts go through the process-wide memo, so text that
// recurs (the usual case for realtime values and notes) costs no tokenizing after the first time.

import type { AnySource } from "../definitions/source.js";
import type { RenderedText } from "../envelope.js";
import { cachedCount } from "../tokenize/cache.js";
import { countBefore } from "../tokenize/tiktoken.js";
import type { Tokenizer } from "../tokenize/types.js";
import { normalizeOwnLines } from "./normalize.js";
import { renderValue } from "./value.js";

/**
 * Thrown by renderFresh when its `stopAt` passed before the value was counted: the caller reports
 * the value as `timeout` (never `ok` after the request's deadline).
 */
export class RenderTimeUp extends Error {
  constructor() {
    super("the request deadline passed while the value was being rendered");
    this.name = "RenderTimeUp";
  }
}

/**
 * Renders a value now; `onTokenize` is called for each line the tokenizer actually counts. With
 * `stopAt` (a `performance.now()` time: the request's deadline), counting stops there and
 * RenderTimeUp is thrown, so a large or hostile value cannot hold the request past its deadline.
 */
export function renderFresh(
  source: AnySource,
  value: unknown,
  tokenizer: Tokenizer,
  onTokenize: () => void,
  stopAt?: number,
): RenderedText {
  const counting: Tokenizer =
    stopAt === undefined
      ? tokenizer
      : {
          ...tokenizer,
          count: (text) => {
            const count = countBefore(tokenizer, text, stopAt);
            if (count === undefined) throw new RenderTimeUp();
            return count;
          },
        };
  const memoised: Tokenizer = { ...tokenizer, count: (text) => cachedCount(counting, text, onTokenize) };
  return renderValue(source, value, memoised);
}

/** A status line (or label) as normalised prompt lines with their counts, each including its "\n". */
export function countedLines(
  text: string,
  tokenizer: Tokenizer,
  onTokenize: () => void,
): { readonly lines: readonly string[]; readonly tokens: readonly number[] } {
  const lines = normalizeOwnLines(text);
  return { lines, tokens: lines.map((line) => cachedCount(tokenizer, `${line}\n`, onTokenize)) };
}
