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
  if (PLAIN_LINE.test(text)) return [text];
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
  if (PLAIN_ITEM.test(item)) return item.startsWith("- ") ? item : `- ${item}`;
  const joined = unifyLineBreaks(item.replaceAll("\u0000", ""))
    .split("\n")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join(" / ");
  if (joined.length === 0) return undefined;
  return escapeLine(joined.startsWith("- ") ? joined : `- ${joined}`);
}

/**
 * Text the rules above would leave exactly as it is (one line, nothing to trim, remove or escape):
 * the usual rendered value, answered by one expression instead of the split, trims and replaces
 * (which were a tenth of the write path; the expression also beats a character loop). Conservative:
 * any whitespace or non-ASCII character at either end, and any break or NUL anywhere, takes the
 * general path. A line must not start with "#" or "/"; a list item may (its "- " prefix comes first).
 */
const PLAIN_LINE = /^[!"$-.0-~](?:[^\0\n\v\f\r\x85\u2028\u2029]*[!-~])?$/;
const PLAIN_ITEM = /^[!-~](?:[^\0\n\v\f\r\x85\u2028\u2029]*[!-~])?$/;

/**
 * Every character some renderer treats as a line break (CR, CRLF, LS, PS, NEL, VT, FF) becomes "\n", so
 * a value cannot start a line that looks like a section heading to a reader while the packer sees one line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what is being replaced.
const LINE_BREAKS = /\r\n?|[\u2028\u2029\u0085\u000b\u000c]/g;

function unifyLineBreaks(text: string): string {
  return text.replace(LINE_BREAKS, "\n");
}
