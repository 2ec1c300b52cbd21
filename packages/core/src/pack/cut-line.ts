// Cutting one line to fit a token allowance, from the end a block keeps: whole sentences first,
// then a token boundary. Results are memoised,
// so repeated packs of the same content do not tokenize again.
import { reescapeValuePart } from "../render/normalize.js";
import type { CountingTokenizer } from "./counting-tokenizer.js";
import type { RenderFormat } from "./types.js";

/** Text truncation results, keyed by line and allowance, so repeated packs do not re-tokenize. */
const MAX_CACHED_CUTS = 256;
// Keys hold whole strings, so longer lines are not cached.
const MAX_CUT_LINE_LENGTH = 8_000;
const textCuts = new Map<string, LinePiece | null>();

export const TEXT_MARKER = "[… truncated]";

/** Characters per token beyond which a text cut stops looking (o200k/cl100k tokens are far shorter). */
const CHARACTERS_PER_TOKEN_BOUND = 32;

export interface LinePiece {
  readonly text: string;
  readonly tokens: number;
}

/** The longest part of `line` (from the `keep` end) whose line costs at most `allowance` tokens. */
export function cutLine(
  line: string,
  allowance: number,
  keep: "head" | "tail",
  tokenizer: CountingTokenizer,
  format: RenderFormat = "markdown",
): LinePiece | undefined {
  if (allowance <= 0) return undefined;
  const key = `${tokenizer.tokenizer.encoding}\u0000${format}\u0000${keep}\u0000${allowance}\u0000${line}`;
  const cached = textCuts.get(key);
  if (cached !== undefined) return cached ?? undefined;
  const safe = format === "xml" ? xmlPart : reescapeValuePart;
  const piece =
    bySentences(line, allowance, keep, tokenizer, safe) ?? byTokens(line, allowance, keep, tokenizer, safe);
  if (line.length <= MAX_CUT_LINE_LENGTH) remember(textCuts, key, piece ?? null, MAX_CACHED_CUTS);
  return piece;
}

/**
 * Sentence ends: . ! ? (with closing quotes/brackets) followed by whitespace, or the CJK full-width
 * 。！？ (with closing brackets), which need no space after them.
 */
const SENTENCE_END = /([.!?]+["'”’)\]]*)\s+|[。！？]+[」』”’）)]*/gu;

/** An entity or character reference a cut left unfinished at the end ("&am", "&#4"). */
const PARTIAL_ENTITY = /&#?[A-Za-z0-9]*$/;

/**
 * A kept part of an `xml` line, safe to emit: an entity the cut split at its end is dropped (every
 * "&" in an xml line starts one, so a trailing "&..." without ";" is always a fragment), then trailing
 * white space, and a leading "/" gets a space (the count rules of render/normalize.ts).
 */
function xmlPart(part: string): string {
  const whole = part.replace(PARTIAL_ENTITY, "").trimEnd();
  return whole.charCodeAt(0) === 47 ? ` ${whole}` : whole;
}

function bySentences(
  line: string,
  allowance: number,
  keep: "head" | "tail",
  tokenizer: CountingTokenizer,
  safe: (part: string) => string,
): LinePiece | undefined {
  const pieces: string[] = [];
  for (const match of line.matchAll(SENTENCE_END)) {
    const sentenceEnd = match.index + (match[1] ?? match[0]).length;
    const nextStart = match.index + match[0].length;
    const raw = keep === "head" ? line.slice(0, sentenceEnd) : line.slice(nextStart).trimStart();
    // Far longer than the allowance could hold: not worth escaping or tokenizing (slow on huge lines).
    if (raw.length > allowance * CHARACTERS_PER_TOKEN_BOUND) continue;
    // A head part can end where a longer line did not (a "---" left alone reads as a rule): both
    // ends are made safe again.
    const piece = safe(raw);
    if (piece.trim().length === 0 || piece.length >= line.length) continue;
    pieces.push(piece);
  }
  if (keep === "tail") pieces.reverse();
  // pieces are now shortest first; token counts grow with length, so binary search for the longest
  // fitting one (every accepted piece was counted, so a non-monotone step can only cost length).
  let low = 0;
  let high = pieces.length - 1;
  let best: LinePiece | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const text = pieces[middle] as string;
    const tokens = tokenizer.count(`${text}\n`);
    if (tokens <= allowance) {
      best = { text, tokens };
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return best;
}

function byTokens(
  line: string,
  allowance: number,
  keep: "head" | "tail",
  tokenizer: CountingTokenizer,
  safe: (part: string) => string,
): LinePiece | undefined {
  // Only the kept end matters: tokenize a window of it, widened until it holds more tokens than the
  // allowance, so a huge line costs about what its kept part costs.
  let windowLength = 0;
  let tokens: number[] = [];
  do {
    windowLength = Math.min(line.length, Math.max(windowLength, allowance) * 4);
    tokens = tokenizer.encode(
      keep === "head" ? line.slice(0, windowLength) : line.slice(line.length - windowLength),
    );
  } while (tokens.length <= allowance && windowLength < line.length);
  let take = Math.min(windowLength < line.length ? tokens.length : tokens.length - 1, allowance - 1);
  while (take > 0) {
    const decoded = tokenizer.decode(
      keep === "head" ? tokens.slice(0, take) : tokens.slice(tokens.length - take),
    );
    // A cut inside a multi-byte character decodes to U+FFFD: it is then not part of the line, so step back.
    const intact = keep === "head" ? line.startsWith(decoded) : line.endsWith(decoded);
    if (!intact) {
      take--;
      continue;
    }
    const text = safe(keep === "head" ? decoded.trimEnd() : decoded.trimStart());
    if (text.length === 0) return undefined;
    const counted = tokenizer.count(`${text}\n`);
    if (counted <= allowance) return { text, tokens: counted };
    take -= Math.max(1, counted - allowance);
  }
  return undefined;
}

function remember<Value>(cache: Map<string, Value>, key: string, value: Value, limit: number): void {
  if (cache.size >= limit) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, value);
}
