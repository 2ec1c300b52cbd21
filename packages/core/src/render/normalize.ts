// Turns rendered values into prompt lines whose token counts add up exactly.
//
// Why the rules: tiktoken first splits text with a regex, then runs BPE inside each piece. The only
// regex pieces that can run across a line break are newline runs and "punctuation + newlines (+ '/')"
// (o200k_base). So if every line ends with exactly one "\n", no line is blank or starts with a
// newline, and no line starts with "/", the pieces of a concatenation are the pieces of its lines:
// tokens(a + b) === tokens(a) + tokens(b). That lets the packer sum per-line counts computed once at
// write time instead of tokenizing at request time. The property tests recount to prove it.

/** A line starting with "#" could forge a section heading; it gets a backslash. */
export function normalizeLines(text: string): string[] {
  if (isPlainLine(text, true)) return [text];
  const lines: string[] = [];
  for (const raw of unifyLineBreaks(text).split("\n")) {
    const line = raw.replaceAll("\u0000", "").trimEnd();
    if (line.trim().length === 0) continue;
    lines.push(escapeLine(line));
  }
  return lines;
}

export function escapeLine(line: string): string {
  let escaped = line.replace(/^(\s*)#/, "$1\\#");
  if (escaped.startsWith("/")) escaped = ` ${escaped}`;
  return escaped;
}

/** One list item: a single line (inner line breaks become " / "). */
export function normalizeItem(item: string): string | undefined {
  if (isPlainLine(item, false))
    return charCode.call(item, 0) === 0x2d && charCode.call(item, 1) === 0x20 ? item : `- ${item}`;
  const joined = unifyLineBreaks(item.replaceAll("\u0000", ""))
    .split("\n")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join(" / ");
  if (joined.length === 0) return undefined;
  return escapeLine(joined.startsWith("- ") ? joined : `- ${joined}`);
}

/** See the note on `charCode` in tokenize/pieces.ts (ioredis 6 and V8's string fast path). */
const charCode = String.prototype.charCodeAt;

/**
 * True when the rules above would leave `text` exactly as it is (one line, nothing to trim, remove or
 * escape): the usual rendered value, answered by one scan instead of the split, trims and replaces
 * (which were a tenth of the write path). Conservative: any whitespace or non-ASCII character at either
 * end, and any break or NUL anywhere, takes the general path. `asLine`: also no "#" or "/" first, which
 * a list item does not need (its "- " prefix comes first).
 */
function isPlainLine(text: string, asLine: boolean): boolean {
  const last = text.length - 1;
  if (last < 0) return false;
  const first = charCode.call(text, 0);
  if (first <= 0x20 || first >= 0x7f || (asLine && (first === 0x23 || first === 0x2f))) return false;
  const end = charCode.call(text, last);
  if (end <= 0x20 || end >= 0x7f) return false;
  for (let index = 1; index < last; index++) {
    const code = charCode.call(text, index);
    if (code < 0x0e) {
      if (code === 0x00 || (code >= 0x0a && code <= 0x0d)) return false;
    } else if (code === 0x85 || code === 0x2028 || code === 0x2029) return false;
  }
  return true;
}

/**
 * Every character some renderer treats as a line break (CR, CRLF, LS, PS, NEL, VT, FF) becomes "\n", so
 * a value cannot start a line that looks like a section heading to a reader while the packer sees one line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what is being replaced.
const LINE_BREAKS = /\r\n?|[\u2028\u2029\u0085\u000b\u000c]/g;

function unifyLineBreaks(text: string): string {
  return text.replace(LINE_BREAKS, "\n");
}
