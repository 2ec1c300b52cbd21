// Byte-pair encoding of one pre-tokenizer piece, with OpenAI's merge rule and a heap, so a piece of
// any length costs O(n log n) instead of the O(n²) of the reference loop (OpenAI's Rust code and
// js-tiktoken rescan every pair after each merge: 8,000 spaces took seconds, a megabyte hours).
//
// The rule, as in tiktoken: a piece that is itself a token is that token; otherwise start from its
// bytes and repeatedly merge the adjacent pair whose concatenation has the lowest rank, the leftmost
// such pair on ties, until no pair is a token. The heap orders candidate pairs by (rank, start byte);
// a pair whose part changed since it was queued is skipped when it comes out (its part's current
// rank no longer matches), so the merges happen in exactly the reference order.
//
// Bytes are held as "binary" strings (one char per byte, 0-255): an ASCII piece is its own key.
import { isAscii } from "./pieces.js";

export interface BpeRanks {
  /** Rank of each token, keyed by its bytes as a binary string. */
  readonly ranks: Map<string, number>;
  /** Bytes of each token as a binary string, by rank. */
  readonly tokens: readonly string[];
  /** The longest token, in bytes: no longer pair can merge. */
  readonly maxTokenBytes: number;
}

/** Parses js-tiktoken's compressed rank file (`bpe_ranks`: lines of `prefix offset base64...`). */
export function parseRanks(bpeRanks: string): BpeRanks {
  const ranks = new Map<string, number>();
  const tokens: string[] = [];
  let maxTokenBytes = 1;
  for (const line of bpeRanks.split("\n")) {
    if (line.length === 0) continue;
    const fields = line.split(" ");
    const offset = Number.parseInt(fields[1] as string, 10);
    for (let index = 2; index < fields.length; index++) {
      const bytes = atob(fields[index] as string);
      const rank = offset + index - 2;
      ranks.set(bytes, rank);
      tokens[rank] = bytes;
      if (bytes.length > maxTokenBytes) maxTokenBytes = bytes.length;
    }
  }
  return { ranks, tokens, maxTokenBytes };
}

/** Longest stretch of synchronous work between two yields while parsing ranks. */
const SLICE_MS = 8;

/**
 * parseRanks in slices of a few milliseconds with a yield to the event loop between them: parsing
 * an encoding (200k base64 tokens) in one go takes 0.5-2 s during which no timer (a request
 * deadline, a health check) can fire. Same result as parseRanks.
 */
export async function parseRanksSliced(bpeRanks: string): Promise<BpeRanks> {
  const ranks = new Map<string, number>();
  const tokens: string[] = [];
  let maxTokenBytes = 1;
  let sliceEnd = performance.now() + SLICE_MS;
  // A line is "<prefix> <first rank> <token> <token> ...", and one line may hold the whole encoding
  // (o200k_base: 2.3 MB), so fields are walked with indexOf (splitting that line alone takes ~30 ms)
  // and the clock is read every few hundred tokens.
  let lineStart = 0;
  while (lineStart < bpeRanks.length) {
    let lineEnd = bpeRanks.indexOf("\n", lineStart);
    if (lineEnd < 0) lineEnd = bpeRanks.length;
    const prefixEnd = bpeRanks.indexOf(" ", lineStart);
    let fieldStart = bpeRanks.indexOf(" ", prefixEnd + 1);
    if (prefixEnd < 0 || prefixEnd >= lineEnd || fieldStart < 0 || fieldStart > lineEnd) fieldStart = lineEnd;
    let rank = Number.parseInt(bpeRanks.slice(prefixEnd + 1, fieldStart), 10);
    for (let start = fieldStart + 1; start < lineEnd; rank++) {
      let end = bpeRanks.indexOf(" ", start);
      if (end < 0 || end > lineEnd) end = lineEnd;
      const bytes = atob(bpeRanks.slice(start, end));
      ranks.set(bytes, rank);
      tokens[rank] = bytes;
      if (bytes.length > maxTokenBytes) maxTokenBytes = bytes.length;
      start = end + 1;
      if ((rank & 255) === 0 && performance.now() >= sliceEnd) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        sliceEnd = performance.now() + SLICE_MS;
      }
    }
    lineStart = lineEnd + 1;
  }
  return { ranks, tokens, maxTokenBytes };
}

const UTF8 = new TextEncoder();
const CHUNK = 8192;

/** UTF-8 bytes of `text` as a binary string (lone surrogates become U+FFFD, as in both tokenizers). */
export function binaryUtf8(text: string): string {
  if (isAscii(text)) return text;
  const bytes = UTF8.encode(text);
  let binary = "";
  for (let start = 0; start < bytes.length; start += CHUNK)
    binary += String.fromCharCode.apply(null, bytes.subarray(start, start + CHUNK) as unknown as number[]);
  return binary;
}

const NO_RANK = 0x7fffffff;

// Scratch arrays reused across calls (grown as needed): counting allocates nothing per piece.
let next = new Int32Array(256);
let previous = new Int32Array(256);
let pairRank = new Int32Array(256);
let heap = new Float64Array(512);

function ensureCapacity(length: number): void {
  if (next.length > length) return;
  const size = Math.max(length + 1, next.length * 2);
  next = new Int32Array(size);
  previous = new Int32Array(size);
  pairRank = new Int32Array(size);
}

/** Merges between two looks at the clock when merging under a time limit (see `merge`). */
const MERGES_PER_CLOCK_CHECK = 4_096;

/**
 * Merges `piece` (a binary string of at least two bytes that is not itself a token); afterwards the
 * parts are the chain `0, next[0], next[next[0]], ... < piece.length`. Returns how many parts, or -1
 * when `stopAt` (a `performance.now()` time) passed first: one huge piece (a megabyte without a split
 * point) takes long enough to merge that a request deadline must be able to stop it.
 */
function merge(piece: string, bpe: BpeRanks, stopAt = Number.POSITIVE_INFINITY): number {
  const length = piece.length;
  ensureCapacity(length);
  // Keys are rank * positions + start: one number orders by rank, then by position.
  const positions = 2 ** Math.ceil(Math.log2(length + 1));
  const rankOf = (start: number): number => {
    const second = next[start] as number;
    if (second >= length) return NO_RANK;
    const end = next[second] as number;
    if (end - start > bpe.maxTokenBytes) return NO_RANK;
    return bpe.ranks.get(piece.slice(start, end)) ?? NO_RANK;
  };
  for (let index = 0; index < length; index++) {
    next[index] = index + 1;
    previous[index] = index - 1;
  }
  next[length] = length;
  let heapSize = 0;
  const push = (key: number): void => {
    if (heapSize === heap.length) {
      const grown = new Float64Array(heap.length * 2);
      grown.set(heap);
      heap = grown;
    }
    let slot = heapSize++;
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if ((heap[parent] as number) <= key) break;
      heap[slot] = heap[parent] as number;
      slot = parent;
    }
    heap[slot] = key;
  };
  const pop = (): number => {
    const top = heap[0] as number;
    const last = heap[--heapSize] as number;
    let slot = 0;
    for (;;) {
      let child = 2 * slot + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && (heap[child + 1] as number) < (heap[child] as number)) child++;
      if ((heap[child] as number) >= last) break;
      heap[slot] = heap[child] as number;
      slot = child;
    }
    heap[slot] = last;
    return top;
  };
  for (let index = 0; index < length; index++) {
    const rank = rankOf(index);
    pairRank[index] = rank;
    if (rank !== NO_RANK) push(rank * positions + index);
  }
  let parts = length;
  let untilClockCheck = MERGES_PER_CLOCK_CHECK;
  while (heapSize > 0) {
    if (--untilClockCheck === 0) {
      untilClockCheck = MERGES_PER_CLOCK_CHECK;
      if (performance.now() > stopAt) return -1;
    }
    const key = pop();
    const rank = Math.floor(key / positions);
    const start = key - rank * positions;
    // Stale: the part was merged into its left neighbour (marked -1) or its pair changed.
    if (pairRank[start] !== rank) continue;
    const second = next[start] as number;
    const after = next[second] as number;
    next[start] = after;
    if (after < length) previous[after] = start;
    pairRank[second] = -1;
    parts--;
    const updated = rankOf(start);
    pairRank[start] = updated;
    if (updated !== NO_RANK) push(updated * positions + start);
    const before = previous[start] as number;
    if (before >= 0) {
      const beforeRank = rankOf(before);
      pairRank[before] = beforeRank;
      if (beforeRank !== NO_RANK) push(beforeRank * positions + before);
    }
  }
  return parts;
}

/**
 * Number of tokens of one piece (its UTF-8 bytes as a binary string); -1 when `stopAt` (a
 * `performance.now()` time) passed before it was counted.
 */
export function countPiece(piece: string, bpe: BpeRanks, stopAt?: number): number {
  if (piece.length <= 1 || bpe.ranks.has(piece)) return piece.length === 0 ? 0 : 1;
  return merge(piece, bpe, stopAt);
}

/** Appends the tokens of one piece (its UTF-8 bytes as a binary string) to `out`. */
export function encodePiece(piece: string, bpe: BpeRanks, out: number[]): void {
  if (piece.length === 0) return;
  const whole = bpe.ranks.get(piece);
  if (whole !== undefined) {
    out.push(whole);
    return;
  }
  merge(piece, bpe);
  for (let start = 0; start < piece.length; start = next[start] as number)
    out.push(bpe.ranks.get(piece.slice(start, next[start] as number)) as number);
}

const UTF8_DECODER = new TextDecoder("utf-8");

/** Text of `tokens` (a cut inside a multi-byte character decodes to U+FFFD). */
export function decodeTokens(tokens: readonly number[], bpe: BpeRanks): string {
  let length = 0;
  for (const token of tokens) length += bpe.tokens[token]?.length ?? 0;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const token of tokens) {
    const binary = bpe.tokens[token] ?? "";
    for (let index = 0; index < binary.length; index++) bytes[offset++] = binary.charCodeAt(index);
  }
  return UTF8_DECODER.decode(bytes);
}
