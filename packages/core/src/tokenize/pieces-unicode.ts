// tiktoken's pre-tokenizer for any text, scanned by hand over code points with the pinned Unicode
// classes of unicode-classes.ts. The regular expressions in the encodings' files would use the
// JavaScript engine's Unicode tables, which are not the ones OpenAI's tokenizer uses (U+FEFF is white
// space to JavaScript's \s, not to Rust's; each engine knows a different set of letters), and the
// counts would differ. The scan follows the expression's backtracking semantics (first alternative
// that matches wins; greedy repeats give back only what the rest needs), alternatives listed in
// pieces.ts, and is linear: each alternative scans a run once.
//
// Lone surrogates are encoded as U+FFFD by both tokenizers; they are "other" characters, like U+FFFD.
import { CLASS_RUNS } from "./unicode-classes.js";

/** See the note on `charCode` in pieces.ts. */
const charCode = String.prototype.charCodeAt;

// Flags, as written by scripts/generate-unicode-classes.mjs; NEWLINE is added here.
const UPPER = 1; // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
const LOWER = 2; // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
const LETTER = 4; // \p{L}
const NUMBER = 8; // \p{N}
const SPACE = 16; // \s (White_Space)
const NEWLINE = 32; // \r or \n
/** The prefix class [^\r\n\p{L}\p{N}] excludes these. */
const NOT_PREFIX = NEWLINE | LETTER | NUMBER;
/** The "other" class [^\s\p{L}\p{N}] excludes these. */
const NOT_OTHER = SPACE | LETTER | NUMBER;

const FLAGS = new Uint8Array(0x110000);
{
  let code = 0;
  for (const run of CLASS_RUNS.split(",")) {
    const colon = run.indexOf(":");
    const length = Number.parseInt(run.slice(0, colon), 36);
    const flags = Number.parseInt(run.slice(colon + 1), 36);
    if (flags !== 0) FLAGS.fill(flags, code, code + length);
    code += length;
  }
  FLAGS[10] = (FLAGS[10] as number) | NEWLINE;
  FLAGS[13] = (FLAGS[13] as number) | NEWLINE;
}

const APOSTROPHE = 39;
const SLASH = 47;
const BLANK = 32;
const LONG_S = 0x17f; // ſ: Rust's case-insensitive 's matches it too (Unicode simple case folding)

/** Flags of the code point at UTF-16 index `index` (0 past the end). */
function flagsAt(text: string, index: number): number {
  if (index >= text.length) return 0;
  const unit = charCode.call(text, index);
  if (unit < 0xd800 || unit > 0xdbff) return unit >= 0xdc00 && unit <= 0xdfff ? 0 : (FLAGS[unit] as number);
  const low = index + 1 < text.length ? charCode.call(text, index + 1) : 0;
  if (low < 0xdc00 || low > 0xdfff) return 0;
  return FLAGS[((unit - 0xd800) << 10) + (low - 0xdc00) + 0x10000] as number;
}

/** UTF-16 length of the code point at `index`. */
function widthAt(text: string, index: number): number {
  const unit = charCode.call(text, index);
  if (unit < 0xd800 || unit > 0xdbff || index + 1 >= text.length) return 1;
  const low = charCode.call(text, index + 1);
  return low >= 0xdc00 && low <= 0xdfff ? 2 : 1;
}

/** End of the run of code points that all have one of `flags`, from `index`. */
function runEnd(text: string, index: number, flags: number): number {
  let end = index;
  while (end < text.length && (flagsAt(text, end) & flags) !== 0) end += widthAt(text, end);
  return end;
}

/** End of a case-insensitive contraction ('s 't 're 've 'm 'll 'd) at `index`, or `index`. */
function contractionEnd(text: string, index: number): number {
  if (index >= text.length || charCode.call(text, index) !== APOSTROPHE) return index;
  const first = index + 1 < text.length ? charCode.call(text, index + 1) : 0;
  if (first === LONG_S) return index + 2;
  const lower = first | 0x20;
  // s t m d
  if (lower === 115 || lower === 116 || lower === 109 || lower === 100) return index + 2;
  const second = (index + 2 < text.length ? charCode.call(text, index + 2) : 0) | 0x20;
  if ((lower === 114 || lower === 118) && second === 101) return index + 3; // re ve
  if (lower === 108 && second === 108) return index + 3; // ll
  return index;
}

/** o200k_base's first alternative at `start`, without its prefix: [upper]*[lower]+ contraction?. */
function upperThenLower(text: string, start: number): number {
  // [upper]* gives back code points until [lower]+ can match: it starts at the last [lower] code
  // point of the upper run, or just after the run.
  let end = start;
  let lastLower = -1;
  while (end < text.length) {
    const flags = flagsAt(text, end);
    if ((flags & UPPER) === 0) break;
    if ((flags & LOWER) !== 0) lastLower = end;
    end += widthAt(text, end);
  }
  const lowerStart = (flagsAt(text, end) & LOWER) !== 0 ? end : lastLower;
  if (lowerStart < 0) return -1;
  return contractionEnd(text, runEnd(text, lowerStart, LOWER));
}

/** o200k_base's second alternative at `start`, without its prefix: [upper]+[lower]* contraction?. */
function upperRun(text: string, start: number): number {
  if ((flagsAt(text, start) & UPPER) === 0) return -1;
  return contractionEnd(text, runEnd(text, runEnd(text, start, UPPER), LOWER));
}

/** Alternatives 3-7 (pieces.ts), the same in both encodings but for the slash tail of alternative 4. */
function nonLetterEnd(text: string, start: number, slashTail: boolean): number {
  const flags = flagsAt(text, start);
  if ((flags & NUMBER) !== 0) {
    let end = start;
    for (let digits = 0; digits < 3 && (flagsAt(text, end) & NUMBER) !== 0; digits++)
      end += widthAt(text, end);
    return end;
  }
  let otherStart = -1;
  if ((flags & NOT_OTHER) === 0) otherStart = start;
  else if (
    charCode.call(text, start) === BLANK &&
    start + 1 < text.length &&
    (flagsAt(text, start + 1) & NOT_OTHER) === 0
  )
    otherStart = start + 1;
  if (otherStart >= 0) {
    let end = otherStart;
    while (end < text.length && (flagsAt(text, end) & NOT_OTHER) === 0) end += widthAt(text, end);
    for (;;) {
      if (end >= text.length) return end;
      const code = charCode.call(text, end);
      if (code === 10 || code === 13 || (slashTail && code === SLASH)) end++;
      else return end;
    }
  }
  // White space (every White_Space code point is one UTF-16 unit).
  let end = start;
  let lastNewline = -1;
  while (end < text.length) {
    const spaceFlags = flagsAt(text, end);
    if ((spaceFlags & SPACE) === 0) break;
    if ((spaceFlags & NEWLINE) !== 0) lastNewline = end;
    end++;
  }
  if (lastNewline >= 0) return lastNewline + 1; // \s*[\r\n]+
  if (end === text.length || end - start === 1) return end; // \s+(?!\S) at the end, or \s+
  return end - 1; // \s+(?!\S): the last space goes with what follows
}

/** End of the o200k_base piece that starts at `start` in any `text`. */
export function o200kPieceEndUnicode(text: string, start: number): number {
  const prefixed = (flagsAt(text, start) & NOT_PREFIX) === 0;
  const afterPrefix = start + widthAt(text, start);
  let end = prefixed ? upperThenLower(text, afterPrefix) : -1;
  if (end < 0) end = upperThenLower(text, start);
  if (end < 0 && prefixed) end = upperRun(text, afterPrefix);
  if (end < 0) end = upperRun(text, start);
  return end >= 0 ? end : nonLetterEnd(text, start, true);
}

/** End of the cl100k_base piece that starts at `start` in any `text`. */
export function cl100kPieceEndUnicode(text: string, start: number): number {
  const contraction = contractionEnd(text, start);
  if (contraction > start) return contraction;
  const flags = flagsAt(text, start);
  if ((flags & NOT_PREFIX) === 0) {
    const afterPrefix = start + widthAt(text, start);
    if ((flagsAt(text, afterPrefix) & LETTER) !== 0) return runEnd(text, afterPrefix, LETTER);
  }
  if ((flags & LETTER) !== 0) return runEnd(text, start, LETTER);
  return nonLetterEnd(text, start, false);
}
