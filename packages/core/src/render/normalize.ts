// Turns rendered values into prompt lines whose token counts add up exactly.
//
// Why the rules: tiktoken first splits text with a regex, then runs BPE inside each piece. The only
// regex pieces that can run across a line break are newline runs and "punctuation + newlines (+ '/')"
// (o200k_base). So if every line ends with exactly one "\n", no line is blank or starts with a
// newline, and no line starts with "/", the pieces of a concatenation are the pieces of its lines:
// tokens(a + b) === tokens(a) + tokens(b). That lets the packer sum per-line counts computed once at
// write time instead of tokenizing at request time. The property tests recount to prove it.

// Why the escapes: the packed text is read as Markdown by a model (and by any CommonMark renderer),
// so a value line must not open structure of its own. Each line is a paragraph line: the first
// character that could start a block (after white space, invisible format characters and list
// markers, which a value may use) is escaped — an ATX heading (# or a fullwidth ＃), a quote
// (> ＞), a fence (``` ~~~), an HTML block (<), a table (| and delimiter rows) or one of ctxstore's
// own markers ([… ...]) — and a line of only - = * _ (a setext underline or thematic break) too.
// Anywhere in a line, a "<" that could open a tag, comment or chat-template token (<system>,
// </context>, <!--, <|im_start|>) is escaped. A value line that reads like one of ctxstore's own
// notes starts with a backslash, so no value reproduces a note's text. Threat model:
// docs/concepts.md#rendering.
//
// Escaping is exact, so the `xml` format can undo it (unescapeValueLine) and escape the original
// text for XML only: at each escaped position, the k backslashes a value already had there become
// 2k + 1 (CommonMark reads them as the k backslashes, then the character as text), and a line that
// starts with spaces and "/" gets one more space (the count rule above). So every line has exactly
// one escaped form, and a line is in escaped form exactly when each such position has an odd run
// of backslashes and it does not start with "/" (isEscapedLine, what the packer checks; for a value
// line, after the backslash in front of a note look-alike: isEscapedValueLine).

/** Value text as prompt lines: one line each, escaped (see above), trimmed, none blank. */
export function normalizeLines(text: string): string[] {
  if (PLAIN_LINE.test(text) && !HAS_TAG_START.test(text) && !LOOKS_LIKE_NOTE.test(text)) return [text];
  const lines: string[] = [];
  forEachLine(text, (raw) => {
    const line = raw.replaceAll("\u0000", "").trimEnd();
    if (line.trim().length > 0) lines.push(escapeValueLine(line));
  });
  return lines;
}

/**
 * Calls `visit` with each line of `text` (line breaks unified) that is not empty. Empty lines make
 * no string at all: a megabyte of line breaks is a million of them.
 */
function forEachLine(text: string, visit: (line: string) => void): void {
  const unified = unifyLineBreaks(text);
  for (let start = 0; start < unified.length; ) {
    let end = unified.indexOf("\n", start);
    if (end < 0) end = unified.length;
    if (end > start) visit(unified.slice(start, end));
    start = end + 1;
  }
}

/** ctxstore's own notes and labels as prompt lines: the same line rules, no note-lookalike escape. */
export function normalizeOwnLines(text: string): string[] {
  const lines: string[] = [];
  forEachLine(text, (raw) => {
    const line = raw.replaceAll("\u0000", "").trimEnd();
    if (line.trim().length > 0) lines.push(escapeLine(line));
  });
  return lines;
}

/** White space, invisible format characters (zero-width, bidi controls, U+FEFF) and list markers. */
const LINE_LEAD = /(?:[\s\p{Cf}]|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]|$))*/uy;
/** Characters that open a block when they start a line (ASCII and their fullwidth look-alikes). */
const BLOCK_START = /#{1,6}(?=[ \t]|$)|[＃﹟>＞<＜|＝]|\[(?=…)|`{3}|~{3}/uy;
/** A table's delimiter row (| --- | :-: |), which turns the line above into a table header. */
const TABLE_DELIMITER = /\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/y;
/** A setext underline or thematic break (only - = * _ and blanks), from where the lead ends. */
const RULE_LINE = /[-=*_](?:[-=*_ \t]*)$/y;
/** A "<" that could open a tag, an HTML comment or declaration, or a chat-template token. */
const HAS_TAG_START = /<[A-Za-z/!?|]/;
/** Text that reads like ctxstore's own unknown-value note or last-known-value label. */
const LOOKS_LIKE_NOTE = /: unknown — |Do not assume there is none|above is the last known value/;

const BACKSLASH = 92;
/** Backslashes followed by a "<" that could open a tag (the run and the "<" as one match). */
const TAG_RUNS = /(\\*)<(?=[A-Za-z/!?|])/g;
/** A line starting with spaces (maybe none) and "/". */
const SLASH_START = /^ *\//;

/** Where a line's block-opening escape goes: after the lead and its run of backslashes, if anywhere. */
function blockEscape(line: string): { readonly lead: number; readonly run: number } | undefined {
  LINE_LEAD.lastIndex = 0;
  LINE_LEAD.test(line);
  const lead = LINE_LEAD.lastIndex;
  let at = lead;
  while (line.charCodeAt(at) === BACKSLASH) at++;
  if (at >= line.length) return undefined;
  RULE_LINE.lastIndex = at;
  BLOCK_START.lastIndex = at;
  TABLE_DELIMITER.lastIndex = at;
  return RULE_LINE.test(line) || BLOCK_START.test(line) || TABLE_DELIMITER.test(line)
    ? { lead, run: at - lead }
    : undefined;
}

/**
 * Rewrites each escapable position of `line` (see above): `runs(k)` is how many backslashes a run
 * of k before it becomes. The block position and a tag position can be the same "<": handled once.
 */
function rewriteRuns(line: string, runs: (k: number) => number): string {
  const block = blockEscape(line);
  const hasTag = line.includes("<");
  if (block === undefined && !hasTag) return line;
  let out = "";
  let from = 0;
  const rewrite = (runStart: number, k: number) => {
    out += line.slice(from, runStart) + "\\".repeat(runs(k));
    from = runStart + k;
  };
  const blockAt = block === undefined ? -1 : block.lead + block.run;
  if (block !== undefined) rewrite(block.lead, block.run);
  if (hasTag) {
    for (const match of line.matchAll(TAG_RUNS)) {
      const k = (match[1] as string).length;
      const at = match.index + k;
      if (at === blockAt) continue;
      rewrite(match.index, k);
    }
  }
  return out + line.slice(from);
}

/** Escapes one line so it cannot open Markdown structure (see above); "/" at the start gets a space. */
export function escapeLine(line: string): string {
  const escaped = rewriteRuns(line, (k) => 2 * k + 1);
  return SLASH_START.test(line) ? ` ${escaped}` : escaped;
}

/** The line escapeLine was given, from what it returned (a line not in escaped form is left as it is). */
export function unescapeLine(line: string): string {
  if (line.charCodeAt(0) !== 32 && !line.includes("\\")) return line;
  const text = SLASH_START.test(line) && line.startsWith(" ") ? line.slice(1) : line;
  return rewriteRuns(text, (k) => (k % 2 === 1 ? (k - 1) / 2 : k));
}

function isAsciiLetter(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
}

/** Whether `line` is in escaped form: what escapeLine returns for some line (see above). */
export function isEscapedLine(line: string): boolean {
  if (line.charCodeAt(0) === 47) return false; // "/"
  // The usual line starts with a letter, or is a list item "- " then a letter: no lead can open a
  // block there, so the lead scan is skipped (the packer runs this on every line of every request).
  const opensWithLetter =
    isAsciiLetter(line.charCodeAt(0)) || (line.startsWith("- ") && isAsciiLetter(line.charCodeAt(2)));
  const block = opensWithLetter ? undefined : blockEscape(line);
  if (block !== undefined && block.run % 2 === 0) return false;
  if (!line.includes("<")) return true;
  for (const match of line.matchAll(TAG_RUNS)) if ((match[1] as string).length % 2 === 0) return false;
  return true;
}

/**
 * A part of an escaped line (a truncation's kept end) in escaped form again: a cut can leave a
 * block start or a "/" at its beginning, or split a run of backslashes. Adds one backslash where a
 * run is even (and a space before a leading "/"), so what was escaped stays so and nothing doubles.
 */
export function reescapePart(part: string): string {
  const escaped = rewriteRuns(part, (k) => (k % 2 === 0 ? k + 1 : k));
  return escaped.charCodeAt(0) === 47 ? ` ${escaped}` : escaped;
}

/** escapeLine for a value line, plus a backslash in front of a line that reads like ctxstore's notes. */
export function escapeValueLine(line: string): string {
  const escaped = escapeLine(line);
  return LOOKS_LIKE_NOTE.test(escaped) ? `\\${escaped}` : escaped;
}

/**
 * Whether a value line is in escaped form, its note look-alike backslash aside. A look-alike without
 * that backslash is not caught here (the packer runs this on every line; only the write path looks
 * for look-alikes): what this guards is that such a backslash is not read as part of an escape.
 */
export function isEscapedValueLine(line: string): boolean {
  return line.charCodeAt(0) === BACKSLASH && LOOKS_LIKE_NOTE.test(line)
    ? isEscapedLine(line.slice(1))
    : isEscapedLine(line);
}

/** reescapePart for a part of a value line: one that reads like a note starts with a backslash too. */
export function reescapeValuePart(part: string): string {
  if (!LOOKS_LIKE_NOTE.test(part)) return reescapePart(part);
  return part.charCodeAt(0) === BACKSLASH && isEscapedLine(part.slice(1)) ? part : `\\${reescapePart(part)}`;
}

/** The value line escapeValueLine was given, from what it returned. */
export function unescapeValueLine(line: string): string {
  return unescapeLine(LOOKS_LIKE_NOTE.test(line) && line.startsWith("\\") ? line.slice(1) : line);
}

/** One list item: a single line (inner line breaks become " / "). */
export function normalizeItem(item: string): string | undefined {
  if (PLAIN_ITEM.test(item) && !HAS_TAG_START.test(item) && !LOOKS_LIKE_NOTE.test(item))
    return item.startsWith("- ") ? item : `- ${item}`;
  const joined = unifyLineBreaks(item.replaceAll("\u0000", ""))
    .split("\n")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join(" / ");
  if (joined.length === 0) return undefined;
  return escapeValueLine(joined.startsWith("- ") ? joined : `- ${joined}`);
}

/**
 * Text the rules above would leave exactly as it is (one line, nothing to trim, remove or escape):
 * the usual rendered value, answered by one expression instead of the split, trims and replaces
 * (which were a tenth of the write path; the expression also beats a character loop). Conservative:
 * any whitespace or non-ASCII character at either end, and any break or NUL anywhere, takes the
 * general path. A line must not start with "#" or "/"; a list item may (its "- " prefix comes first).
 */
const PLAIN_LINE = /^(?:[!"$%&'(),.:;?@A-Z\]^a-z{}]|\d(?!\d*[.)]))(?:[^\0\n\v\f\r\x85\u2028\u2029]*[!-~])?$/;
const PLAIN_ITEM = /^(?:[!"$%&'(),.:;?@A-Z\]^a-z{}]|\d(?!\d*[.)]))(?:[^\0\n\v\f\r\x85\u2028\u2029]*[!-~])?$/;

/**
 * Every character some renderer treats as a line break (CR, CRLF, LS, PS, NEL, VT, FF) becomes "\n", so
 * a value cannot start a line that looks like a section heading to a reader while the packer sees one line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what is being replaced.
const LINE_BREAKS = /\r\n?|[\u2028\u2029\u0085\u000b\u000c]/g;

function unifyLineBreaks(text: string): string {
  return text.replace(LINE_BREAKS, "\n");
}
