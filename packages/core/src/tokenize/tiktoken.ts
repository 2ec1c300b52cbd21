// Exact tiktoken counts: OpenAI's pre-tokenizer scanned by hand (pieces.ts for ASCII text,
// pieces-unicode.ts with pinned Unicode classes for the rest) and byte-pair encoding with a heap
// (bpe.ts), so every string counts what OpenAI's tokenizer counts, in time linear in its length up to
// a log factor. The ranks come from js-tiktoken (pure JS, bundled: works offline and on any runtime);
// loading an encoding's ranks takes a few hundred milliseconds, so each encoding is loaded once per
// process (createContextStore starts it), in slices that leave the event loop free.
import type { Encoding } from "../envelope.js";
import { CtxError } from "../errors.js";
import { fnv1a } from "../hash.js";
import { type BpeRanks, binaryUtf8, countPiece, decodeTokens, encodePiece, parseRanksSliced } from "./bpe.js";
import { cl100kPieceEnd, isAscii, o200kPieceEnd } from "./pieces.js";
import { cl100kPieceEndUnicode, o200kPieceEndUnicode } from "./pieces-unicode.js";
import type { Tokenizer } from "./types.js";

interface LoadedEncoding {
  readonly bpe: BpeRanks;
  /** tiktoken's pre-tokenizer split, scanned by hand for ASCII text (pieces.ts). */
  readonly pieceEnd: (text: string, start: number) => number;
  /** The same split for any text (pieces-unicode.ts). */
  readonly pieceEndUnicode: (text: string, start: number) => number;
  /** Token count per piece. Pieces recur endlessly (" the", " viewed", "42"), so counting a line
   * is a split plus table lookups, and exact, because the count of a text is the sum of its
   * pieces' counts. */
  readonly pieceCounts: PieceCounts;
}

const loaded = new Map<Encoding, LoadedEncoding>();
const PIECE_CACHE_LIMIT = 50_000;
const MAX_CACHED_PIECE_LENGTH = 64;
const UTF8 = new TextEncoder();

export function utf8Length(text: string): number {
  return UTF8.encode(text).length;
}

async function loadRanks(encoding: Encoding) {
  switch (encoding) {
    case "o200k_base":
      return (await import("js-tiktoken/ranks/o200k_base")).default;
    case "cl100k_base":
      return (await import("js-tiktoken/ranks/cl100k_base")).default;
  }
}

const loading = new Map<Encoding, Promise<void>>();

/**
 * Loads the ranks ahead of time (otherwise the first count of a process pays for it). Loads once per
 * process however many callers wait, in slices that leave the event loop free (bpe.ts).
 */
export function loadEncoding(encoding: Encoding): Promise<void> {
  if (loaded.has(encoding)) return Promise.resolve();
  let pending = loading.get(encoding);
  if (!pending) {
    pending = (async () => {
      const ranks = await loadRanks(encoding);
      if (!ranks) throw unknownEncoding(encoding);
      const o200k = encoding === "o200k_base";
      loaded.set(encoding, {
        bpe: await parseRanksSliced(ranks.bpe_ranks),
        pieceEnd: o200k ? o200kPieceEnd : cl100kPieceEnd,
        pieceEndUnicode: o200k ? o200kPieceEndUnicode : cl100kPieceEndUnicode,
        pieceCounts: new PieceCounts(),
      });
    })().finally(() => loading.delete(encoding));
    loading.set(encoding, pending);
  }
  return pending;
}

function unknownEncoding(encoding: string): CtxError {
  return new CtxError(
    "CTX_CONFIG",
    `Unknown encoding ${JSON.stringify(encoding)}: use "o200k_base" (GPT-4o and later) or "cl100k_base" (GPT-4, GPT-3.5).`,
    {
      encoding,
    },
  );
}

/**
 * A tokenizer for `encoding` (default `o200k_base`). Call `await loadEncoding(encoding)` once before
 * using it synchronously; `createContextStore` does this for you in `ready()`/first `assemble`.
 */
export function tiktokenTokenizer(encoding: Encoding = "o200k_base"): Tokenizer {
  if (encoding !== "o200k_base" && encoding !== "cl100k_base") throw unknownEncoding(encoding);
  const get = (): LoadedEncoding => {
    const tiktoken = loaded.get(encoding);
    if (!tiktoken) {
      throw new CtxError(
        "CTX_CONFIG",
        `Encoding ${encoding} is not loaded yet: await loadEncoding("${encoding}") (or ctx.ready()) first.`,
        {
          encoding,
        },
      );
    }
    return tiktoken;
  };
  const tokenizer: Tokenizer = {
    encoding,
    count: (text) => (text.length === 0 ? 0 : countPieces(get(), text)),
    encode: (text) => encodeText(get(), text),
    decode: (tokens) => decodeTokens(tokens, get().bpe),
  };
  timeLimitedCounts.set(tokenizer, (text, stopAt) => countPiecesBefore(get(), text, stopAt));
  return tokenizer;
}

/** The time-limited count of each tokenizer made here (others are counted whole, then checked). */
const timeLimitedCounts = new WeakMap<Tokenizer, (text: string, stopAt: number) => number>();

/** Pieces between two looks at the clock in a time-limited count. */
const PIECES_PER_CLOCK_CHECK = 1_024;

/**
 * `tokenizer.count(text)`, or undefined when `stopAt` (a `performance.now()` time, e.g. a request's
 * deadline) passes before the count is done: text rendered at request time (a realtime answer) can
 * be large or hostile, and counting it must not run past the request's deadline. A tokenizer from
 * tiktokenTokenizer stops within a few milliseconds of `stopAt`, even inside one huge piece; any
 * other tokenizer counts the whole text and the result is dropped if the clock passed `stopAt`.
 */
export function countBefore(tokenizer: Tokenizer, text: string, stopAt: number): number | undefined {
  if (performance.now() > stopAt) return undefined;
  const limited = timeLimitedCounts.get(tokenizer);
  const count = limited ? limited(text, stopAt) : tokenizer.count(text);
  return count < 0 || performance.now() > stopAt ? undefined : count;
}

function countPiecesBefore(encoding: LoadedEncoding, text: string, stopAt: number): number {
  let total = 0;
  let untilClockCheck = PIECES_PER_CLOCK_CHECK;
  const pieceEnd = isAscii(text) ? encoding.pieceEnd : encoding.pieceEndUnicode;
  for (let start = 0; start < text.length; ) {
    const end = pieceEnd(text, start);
    if (end - start > MAX_CACHED_PIECE_LENGTH) {
      // Long pieces are rare and the only ones slow to merge: count them under the time limit.
      const count = countPiece(binaryUtf8(text.slice(start, end)), encoding.bpe, stopAt);
      if (count < 0) return -1;
      total += count;
    } else total += pieceCount(encoding, text, start, end);
    start = end;
    if (--untilClockCheck === 0) {
      untilClockCheck = PIECES_PER_CLOCK_CHECK;
      if (performance.now() > stopAt) return -1;
    }
  }
  return total;
}

function countPieces(encoding: LoadedEncoding, text: string): number {
  let total = 0;
  const pieceEnd = isAscii(text) ? encoding.pieceEnd : encoding.pieceEndUnicode;
  for (let start = 0; start < text.length; ) {
    const end = pieceEnd(text, start);
    total += pieceCount(encoding, text, start, end);
    start = end;
  }
  return total;
}

function encodeText(encoding: LoadedEncoding, text: string): number[] {
  const tokens: number[] = [];
  const pieceEnd = isAscii(text) ? encoding.pieceEnd : encoding.pieceEndUnicode;
  for (let start = 0; start < text.length; ) {
    const end = pieceEnd(text, start);
    encodePiece(binaryUtf8(text.slice(start, end)), encoding.bpe, tokens);
    start = end;
  }
  return tokens;
}

/** Token count of `text[start, end)`, one piece. */
function pieceCount(encoding: LoadedEncoding, text: string, start: number, end: number): number {
  const known = encoding.pieceCounts.get(text, start, end);
  if (known >= 0) return known;
  const piece = start === 0 && end === text.length ? text : text.slice(start, end);
  const count = countPiece(binaryUtf8(piece), encoding.bpe);
  if (piece.length <= MAX_CACHED_PIECE_LENGTH) encoding.pieceCounts.set(piece, count);
  return count;
}

/** See the note on `charCode` in pieces.ts (ioredis 6 and V8's string fast path). */
const charCode = String.prototype.charCodeAt;
const TABLE_SLOTS = 1 << 17; // a power of two, over twice PIECE_CACHE_LIMIT

/**
 * Piece counts in an open-addressing table looked up by the characters of the text itself: no
 * substring is cut per piece (a line has a dozen or more pieces, and a `Map` needs a string key). A
 * hit compares every character, so a hash collision can never return another piece's count. Holds
 * up to PIECE_CACHE_LIMIT pieces, then starts over (pieces that matter come back at once).
 */
export class PieceCounts {
  private readonly slots = new Int32Array(TABLE_SLOTS).fill(-1);
  private pieces: string[] = [];
  private counts: number[] = [];

  get size(): number {
    return this.pieces.length;
  }

  /** The count of `text[start, end)`, or -1 when it is not known. */
  get(text: string, start: number, end: number): number {
    const length = end - start;
    for (let slot = fnv1a(text, start, end) & (TABLE_SLOTS - 1); ; slot = (slot + 1) & (TABLE_SLOTS - 1)) {
      const index = this.slots[slot] as number;
      if (index < 0) return -1;
      const piece = this.pieces[index] as string;
      if (piece.length !== length) continue;
      let offset = 0;
      while (offset < length && charCode.call(piece, offset) === charCode.call(text, start + offset))
        offset++;
      if (offset === length) return this.counts[index] as number;
    }
  }

  set(piece: string, count: number): void {
    if (this.pieces.length >= PIECE_CACHE_LIMIT) {
      this.slots.fill(-1);
      this.pieces = [];
      this.counts = [];
    }
    let slot = fnv1a(piece) & (TABLE_SLOTS - 1);
    while ((this.slots[slot] as number) >= 0) slot = (slot + 1) & (TABLE_SLOTS - 1);
    this.slots[slot] = this.pieces.length;
    this.pieces.push(piece);
    this.counts.push(count);
  }
}
