// Rendering at request time, for what has no counts from write time: realtime values, stored values
// written elsewhere (or for another encoding), and the status lines (confirmed-empty lines,
// unknown-value notes, fallback labels). Counts go through the process-wide memo, so text that
// recurs (the usual case for realtime values and notes) costs no tokenizing after the first time.

import type { AnySource } from "../definitions/source.js";
import type { RenderedText } from "../envelope.js";
import { cachedCount } from "../tokenize/cache.js";
import type { Tokenizer } from "../tokenize/types.js";
import { normalizeOwnLines } from "./normalize.js";
import { renderValue } from "./value.js";

/** Renders a value now; `onTokenize` is called for each line the tokenizer actually counts. */
export function renderFresh(
  source: AnySource,
  value: unknown,
  tokenizer: Tokenizer,
  onTokenize: () => void,
): RenderedText {
  const memoised: Tokenizer = { ...tokenizer, count: (text) => cachedCount(tokenizer, text, onTokenize) };
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
