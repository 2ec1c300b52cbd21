// tiktoken's pre-tokenizer (the regular expression that splits text into pieces before BPE), written
// out by hand for ASCII text. The expressions use Unicode property classes and lookahead; V8 runs
// them several times slower than this scan, and splitting was most of the cost of counting a line.
// Text with any non-ASCII character is split by the expression itself (see tiktoken.ts);
// pieces.test.ts checks this scan returns the same pieces as the expression for both encodings.
//
// The alternatives, first match wins (o200k_base; cl100k_base differs where noted):
//   1. [^\r\n\p{L}\p{N}]?[upper]*[lower]+('s|'t|'re|'ve|'m|'ll|'d)?   one optional prefix character
//   2. [^\r\n\p{L}\p{N}]?[upper]+[lower]*('s|...)?                      (cl100k: a contraction alone
//                                                                        first, then prefix? \p{L}+)
//   3. \p{N}{1,3}
//   4. " "?[^\s\p{L}\p{N}]+[\r\n/]*                                     (cl100k: [\r\n]*)
//   5. \s*[\r\n]+        6. \s+(?!\S)        7. \s+

/**
 * Character codes as `charCode.call(text, i)`, not `text.charCodeAt(i)`: once any module in the
 * process subclasses String (ioredis 6 does, for RESP3 verbatim strings), V8 turns off a
 * process-wide fast path and calling a method on a primitive string in a loop gets about 4x slower
 * (ctxstore's write path was 1.8x slower in any process that had loaded @ctxstore/redis); calling
 * the prototype's function is not affected. Each hot module keeps its own constant: read through an
 * import, the same constant measured twice as slow in this scan loop.
 */
const charCode = String.prototype.charCodeAt;

const UPPER = 1;
const LOWER = 2;
const LETTER = UPPER | LOWER;
const DIGIT = 4;
/** JavaScript's \s in ASCII: tab, newline, vertical tab, form feed, carriage return, space. */
const SPACE = 8;
const NEWLINE = 16;
/** Not a letter, digit or space: punctuation, symbols and other control characters. */
const OTHER = 32;

const CLASS = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  const char = String.fromCharCode(code);
  if (/[A-Z]/.test(char)) CLASS[code] = UPPER;
  else if (/[a-z]/.test(char)) CLASS[code] = LOWER;
  else if (/[0-9]/.test(char)) CLASS[code] = DIGIT;
  else if (char === "\r" || char === "\n") CLASS[code] = SPACE | NEWLINE;
  else if (/\s/.test(char)) CLASS[code] = SPACE;
  else CLASS[code] = OTHER;
}

const APOSTROPHE = 39;
const SLASH = 47;
const BLANK = 32;

const NON_ASCII = /[\u0080-\uffff]/;

/** True when every character is ASCII (the scan below applies). An expression: twice as fast as a loop. */
export function isAscii(text: string): boolean {
  return !NON_ASCII.test(text);
}

function classAt(text: string, index: number): number {
  return index < text.length ? (CLASS[charCode.call(text, index)] as number) : 0;
}

/** End of a contraction ('s 't 're 've 'm 'll 'd, any case) starting at `index`, or `index`. */
function contractionEnd(text: string, index: number): number {
  if (charCode.call(text, index) !== APOSTROPHE) return index;
  const first = charCode.call(text, index + 1) | 0x20;
  // s t m d
  if (first === 115 || first === 116 || first === 109 || first === 100) return index + 2;
  const second = charCode.call(text, index + 2) | 0x20;
  // re ve ll
  if ((first === 114 || first === 118) && second === 101) return index + 3;
  if (first === 108 && second === 108) return index + 3;
  return index;
}

/** Alternatives 5-7: a run of whitespace at `start`. */
function spaceEnd(text: string, start: number): number {
  let end = start;
  let lastNewline = -1;
  while (end < text.length && (classAt(text, end) & SPACE) !== 0) {
    if ((classAt(text, end) & NEWLINE) !== 0) lastNewline = end;
    end++;
  }
  if (lastNewline >= 0) return lastNewline + 1; // \s*[\r\n]+ ends at the run's last newline
  if (end === text.length || end - start === 1) return end; // \s+(?!\S) at the end, or \s+
  return end - 1; // \s+(?!\S): the last space goes with what follows
}

/** Alternative 4 from `start` (already past the optional space). */
function otherEnd(text: string, start: number, slashTail: boolean): number {
  let end = start;
  while ((classAt(text, end) & OTHER) !== 0) end++;
  for (;;) {
    const code = charCode.call(text, end);
    if ((classAt(text, end) & NEWLINE) !== 0 || (slashTail && code === SLASH)) end++;
    else return end;
  }
}

/**
 * Where a letter piece starts if one starts at `start`: at a letter, or one character later when the
 * character at `start` may prefix letters ([^\r\n\p{L}\p{N}]); -1 when no letter piece starts here.
 */
function lettersStart(text: string, start: number, kind: number): number {
  if ((kind & LETTER) !== 0) return start;
  if ((kind & (DIGIT | NEWLINE)) === 0 && (classAt(text, start + 1) & LETTER) !== 0) return start + 1;
  return -1;
}

/** Alternatives 3-7, the same in both encodings but for the slash tail of alternative 4. */
function nonLetterEnd(text: string, start: number, kind: number, slashTail: boolean): number {
  if ((kind & DIGIT) !== 0) {
    let end = start + 1;
    while (end < start + 3 && (classAt(text, end) & DIGIT) !== 0) end++;
    return end;
  }
  if ((kind & OTHER) !== 0) return otherEnd(text, start, slashTail);
  if (charCode.call(text, start) === BLANK && (classAt(text, start + 1) & OTHER) !== 0)
    return otherEnd(text, start + 1, slashTail);
  return spaceEnd(text, start);
}

/** End of the o200k_base piece that starts at `start` in ASCII `text`. */
export function o200kPieceEnd(text: string, start: number): number {
  const kind = classAt(text, start);
  const letters = lettersStart(text, start, kind);
  if (letters < 0) return nonLetterEnd(text, start, kind, true);
  let end = letters;
  while ((classAt(text, end) & UPPER) !== 0) end++;
  while ((classAt(text, end) & LOWER) !== 0) end++;
  return contractionEnd(text, end);
}

/** End of the cl100k_base piece that starts at `start` in ASCII `text`. */
export function cl100kPieceEnd(text: string, start: number): number {
  const contraction = contractionEnd(text, start);
  if (contraction > start) return contraction;
  const kind = classAt(text, start);
  const letters = lettersStart(text, start, kind);
  if (letters < 0) return nonLetterEnd(text, start, kind, false);
  let end = letters;
  while ((classAt(text, end) & LETTER) !== 0) end++;
  return end;
}
