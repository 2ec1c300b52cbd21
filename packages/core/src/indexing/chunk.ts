// Splits a document into chunks of at most `maxTokens` tokens for embedding, breaking between
// sentences where it can (then between words, then between characters for a monster "word"), with
// `overlapTokens` of whole sentences repeated at the start of the next chunk so a fact that straddles
// a boundary is still retrievable. Every chunk is an exact slice of the text, and its exact token
// count is computed here once, so rendering it later needs no tokenizing.
import { CtxError } from "../errors.js";
import type { Tokenizer } from "../tokenize/types.js";

/**
 * One chunk of a document from `chunkText`: an exact slice of its text (character offsets `start` to
 * `end`), with the characters repeated from the previous chunk and its exact token count.
 */
export interface Chunk {
  /** 0-based position in the document. */
  readonly index: number;
  /** Exactly `text.slice(start, end)` of the document. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Characters at the start of `text` repeated from the previous chunk (0 for the first chunk). */
  readonly overlap: number;
  /** Exact token count of `text` for the tokenizer's encoding. */
  readonly tokens: number;
}

/**
 * Options of `chunkText`: the tokenizer whose counts bound the chunks, the largest chunk (tokens) and
 * the overlap between consecutive chunks (tokens of whole sentences).
 */
export interface ChunkOptions {
  tokenizer: Tokenizer;
  /** Largest chunk, in tokens. Default 256; at least 8. */
  maxTokens?: number;
  /** Tokens of whole sentences repeated from the previous chunk. Default 32; below `maxTokens`. */
  overlapTokens?: number;
}

interface Unit {
  readonly start: number;
  readonly text: string;
  readonly tokens: number;
}

const sentences = new Intl.Segmenter("en", { granularity: "sentence" });

/** Chunks of `text` in order; `[]` for an empty string. */
export function chunkText(text: string, options: ChunkOptions): Chunk[] {
  const maxTokens = options.maxTokens ?? 256;
  const overlapTokens = options.overlapTokens ?? 32;
  if (!Number.isInteger(maxTokens) || maxTokens < 8) {
    throw new CtxError(
      "CTX_CONFIG",
      `chunkText: \`maxTokens\` must be an integer of at least 8; got ${String(maxTokens)}.`,
      { maxTokens },
    );
  }
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens >= maxTokens) {
    throw new CtxError(
      "CTX_CONFIG",
      `chunkText: \`overlapTokens\` must be an integer from 0 to maxTokens - 1 (${maxTokens - 1}); got ${String(overlapTokens)}.`,
      { overlapTokens, maxTokens },
    );
  }
  if (typeof text !== "string")
    throw new CtxError("CTX_INVALID_DOCUMENT", `chunkText: text must be a string; got ${typeof text}.`);
  if (text.length === 0) return [];
  const count = (part: string) => options.tokenizer.count(part);
  const units = toUnits(text, maxTokens, count);
  const chunks: Chunk[] = [];
  const join = (from: number, to: number) => {
    const first = units[from] as Unit;
    const last = units[to - 1] as Unit;
    return text.slice(first.start, last.start + last.text.length);
  };
  let from = 0;
  let previousEnd = 0;
  while (from < units.length) {
    // Fill by the units' own counts, then confirm with one exact count (a join can merge tokens).
    let to = from;
    let estimate = 0;
    while (to < units.length && estimate + (units[to] as Unit).tokens <= maxTokens)
      estimate += (units[to++] as Unit).tokens;
    if (to === from) to = from + 1;
    let chunkTextValue = join(from, to);
    let tokens = count(chunkTextValue);
    while (tokens > maxTokens && to > from + 1) {
      to--;
      chunkTextValue = join(from, to);
      tokens = count(chunkTextValue);
    }
    const start = (units[from] as Unit).start;
    chunks.push({
      index: chunks.length,
      text: chunkTextValue,
      start,
      end: start + chunkTextValue.length,
      overlap: chunks.length === 0 ? 0 : previousEnd - start,
      tokens,
    });
    previousEnd = start + chunkTextValue.length;
    if (to >= units.length) break;
    from = overlapStart(units, from, to, overlapTokens, maxTokens, (a, b) => count(join(a, b)));
  }
  return chunks;
}

/**
 * First unit of the next chunk: whole units from the end of the current one totalling at most
 * `overlapTokens`, never the current chunk's first unit (progress), and leaving room for the next
 * new unit so the following chunk always moves forward.
 */
function overlapStart(
  units: readonly Unit[],
  from: number,
  to: number,
  overlapTokens: number,
  maxTokens: number,
  exact: (a: number, b: number) => number,
): number {
  if (overlapTokens === 0) return to;
  let start = to;
  let total = 0;
  while (start - 1 > from && total + (units[start - 1] as Unit).tokens <= overlapTokens)
    total += (units[--start] as Unit).tokens;
  const next = (units[to] as Unit).tokens;
  while (start < to && (total + next > maxTokens || exact(start, to) > overlapTokens))
    total -= (units[start++] as Unit).tokens;
  return start;
}

/** Sentences, with any sentence over `maxTokens` split further; each unit fits on its own. */
function toUnits(text: string, maxTokens: number, count: (part: string) => number): Unit[] {
  const units: Unit[] = [];
  for (const { segment, index } of sentences.segment(text)) {
    const tokens = count(segment);
    if (tokens <= maxTokens) units.push({ start: index, text: segment, tokens });
    else splitToFit(segment, index, maxTokens, count, units);
  }
  return units;
}

function splitToFit(
  segment: string,
  offset: number,
  maxTokens: number,
  count: (part: string) => number,
  units: Unit[],
): void {
  const words = segment.match(/\s*\S+\s*|\s+/g) ?? [segment];
  let current = "";
  let currentStart = offset;
  let position = offset;
  const flush = () => {
    if (current.length > 0) units.push({ start: currentStart, text: current, tokens: count(current) });
    current = "";
  };
  for (const word of words) {
    if (count(word) > maxTokens) {
      flush();
      splitCharacters(word, position, maxTokens, count, units);
      position += word.length;
      currentStart = position;
      continue;
    }
    if (current.length > 0 && count(current + word) > maxTokens) {
      flush();
      currentStart = position;
    }
    if (current.length === 0) currentStart = position;
    current += word;
    position += word.length;
  }
  flush();
}

/** Longest prefixes (by whole code points) that fit, found by binary search. */
function splitCharacters(
  word: string,
  offset: number,
  maxTokens: number,
  count: (part: string) => number,
  units: Unit[],
): void {
  const points = Array.from(word);
  let begin = 0;
  let position = offset;
  while (begin < points.length) {
    let low = begin + 1;
    let high = points.length;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (count(points.slice(begin, middle).join("")) <= maxTokens) low = middle;
      else high = middle - 1;
    }
    const piece = points.slice(begin, low).join("");
    units.push({ start: position, text: piece, tokens: count(piece) });
    position += piece.length;
    begin = low;
  }
}
