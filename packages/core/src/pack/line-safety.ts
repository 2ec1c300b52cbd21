// Line safety: every line the packer emits is one normalised line (render/normalize.ts), so the
// prompt's token count is the sum of its lines' and no value can forge ctxstore's structure. In the
// `xml` format a line is its original text escaped for XML only.
import {
  isEscapedLine,
  isEscapedValueLine,
  normalizeLines,
  normalizeOwnLines,
  unescapeLine,
  unescapeValueLine,
} from "../render/normalize.js";

/** Line breaks of any kind (see render/normalize.ts) and NUL: a normalised line has none. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what is being rejected.
const BREAKS_OR_NUL = /[\n\r\u2028\u2029\u0085\u000b\u000c\u0000]/;

/** A line the rules of render/normalize.ts already hold for (the common case: nothing to do). */
export function isNormalLine(line: string, own: boolean): boolean {
  return (
    line.length > 0 &&
    !BREAKS_OR_NUL.test(line) &&
    line.trimEnd() === line &&
    (own ? isEscapedLine(line) : isEscapedValueLine(line))
  );
}

/**
 * Makes any line safe to emit: one line, escaped, trimmed ("" when nothing is left). A status line
 * (a `note` block, a suffix) is ctxstore's own text; the rest are values (see normalize.ts).
 */
export function repairLine(line: string, own: boolean): string {
  return (own ? normalizeOwnLines(line) : normalizeLines(line)).join(" / ");
}

/**
 * A line in the `xml` format: the original text of an escaped line (the Markdown escapes undone)
 * escaped for XML only. Its own markers and notes stay ctxstore's: in a value, the first character
 * of anything that reads like one (a note's wording, "[…") is written as a character reference, which
 * an XML parser reads back as the same text. A leading "/" is one too (the count rule of normalize.ts).
 */
export function xmlLine(line: string, own: boolean): string {
  const text = own ? unescapeLine(line) : unescapeValueLine(line);
  let escaped = xmlEscape(text);
  if (!own)
    escaped = escaped.replace(XML_LOOKALIKES, (match) => `&#${match.codePointAt(0)};${match.slice(1)}`);
  return escaped.charCodeAt(0) === 47 ? `&#47;${escaped.slice(1)}` : escaped;
}

/** What in a value could read as ctxstore's own note or marker, in the `xml` format. */
const XML_LOOKALIKES = /: unknown — |Do not assume there is none|above is the last known value|\[…/g;

const XML_SPECIAL = /[&<>"]/;

/** Text (or, with `attribute`, an attribute value) that cannot open or close an XML tag. */
export function xmlEscape(text: string, attribute = false): string {
  if (!XML_SPECIAL.test(text)) return text;
  const escaped = text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  return attribute ? escaped.replaceAll('"', "&quot;") : escaped;
}
