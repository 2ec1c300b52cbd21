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
// markers, which a value may use) gets a backslash — an ATX heading (# or a fullwidth ＃), a quote
// (> ＞), a fence (``` ~~~), an HTML block (<), a table (| and delimiter rows) or one of ctxstore's
// own markers ([… ...]) — and a line of only - = * _ (a setext underline or thematic break) too.
// The escapes are idempotent: an escaped line is left as it is.
// Anywhere in a line, a "<" that could open a tag, comment or chat-template token (<system>,
// </context>, <!--, <|im_start|>) gets a backslash. A value line that reads like one of ctxstore's
// own notes starts with a backslash, so no value reproduces a note's text. Threat model:
// docs/concepts.md#rendering.

/** Value text as prompt lines: one line each, escaped (see above), trimmed, none blank. */
export function normalizeLines(text: string): string[] {
  if (PLAIN_LINE.test(text) && !HAS_TAG_START.test(text) && !LOOKS_LIKE_NOTE.test(text)) return [text];
  const lines: string[] = [];
  for (const raw of unifyLineBreaks(text).split("\n")) {
    const line = raw.replaceAll("\u0000", "").trimEnd();
    if (line.trim().length === 0) continue;
    lines.push(escapeValueLine(line));
  }
  return lines;
}

/** ctxstore's own notes and labels as prompt lines: the same line rules, no note-lookalike escape. */
export function normalizeOwnLines(text: string): string[] {
  const lines: string[] = [];
  for (const raw of unifyLineBreaks(text).split("\n")) {
    const line = raw.replaceAll("\u0000", "").trimEnd();
    if (line.trim().length > 0) lines.push(escapeLine(line));
  }
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
const TAG_START = /(?<!\\)<(?=[A-Za-z/!?|])/g;
const HAS_TAG_START = /<[A-Za-z/!?|]/;
/** Text that reads like ctxstore's own unknown-value note or last-known-value label. */
const LOOKS_LIKE_NOTE = /: unknown — |Do not assume there is none|above is the last known value/;

/** Escapes one line so it cannot open Markdown structure (see above); "/" at the start gets a space. */
export function escapeLine(line: string): string {
  LINE_LEAD.lastIndex = 0;
  LINE_LEAD.test(line);
  const lead = LINE_LEAD.lastIndex;
  let escaped = line;
  RULE_LINE.lastIndex = lead;
  BLOCK_START.lastIndex = lead;
  TABLE_DELIMITER.lastIndex = lead;
  if (lead < line.length && (RULE_LINE.test(line) || BLOCK_START.test(line) || TABLE_DELIMITER.test(line)))
    escaped = `${line.slice(0, lead)}\\${line.slice(lead)}`;
  if (escaped.includes("<")) escaped = escaped.replace(TAG_START, "\\<");
  if (escaped.startsWith("/")) escaped = ` ${escaped}`;
  return escaped;
}

/** escapeLine for a value line, plus a backslash in front of a line that reads like ctxstore's notes. */
export function escapeValueLine(line: string): string {
  const escaped = escapeLine(line);
  return LOOKS_LIKE_NOTE.test(escaped) && !escaped.startsWith("\\") ? `\\${escaped}` : escaped;
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
const PLAIN_LINE =
  /^(?:[!"$%&'(),.:;?@A-Z\\\]^a-z{}]|\d(?!\d*[.)]))(?:[^\0\n\v\f\r\x85\u2028\u2029]*[!-~])?$/;
const PLAIN_ITEM =
  /^(?:[!"$%&'(),.:;?@A-Z\\\]^a-z{}]|\d(?!\d*[.)]))(?:[^\0\n\v\f\r\x85\u2028\u2029]*[!-~])?$/;

/**
 * Every character some renderer treats as a line break (CR, CRLF, LS, PS, NEL, VT, FF) becomes "\n", so
 * a value cannot start a line that looks like a section heading to a reader while the packer sees one line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what is being replaced.
const LINE_BREAKS = /\r\n?|[\u2028\u2029\u0085\u000b\u000c]/g;

function unifyLineBreaks(text: string): string {
  return text.replace(LINE_BREAKS, "\n");
}
