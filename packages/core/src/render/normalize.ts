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
  for (const raw of text.replace(/\r\n?/g, "\n").split("\n")) {
    const line = raw.replace(/[\s\u0000]+$/u, "").replace(/\u0000/g, "");
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
  const joined = item
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join(" / ")
    .replace(/\u0000/g, "");
  if (joined.length === 0) return undefined;
  return escapeLine(joined.startsWith("- ") ? joined : `- ${joined}`);
}
