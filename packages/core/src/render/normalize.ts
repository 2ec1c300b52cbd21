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
  const joined = unifyLineBreaks(item.replaceAll("\u0000", ""))
    .split("\n")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join(" / ");
  if (joined.length === 0) return undefined;
  return escapeLine(joined.startsWith("- ") ? joined : `- ${joined}`);
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
