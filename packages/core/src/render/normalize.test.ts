import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeValueLine, normalizeItem, normalizeLines } from "./normalize.js";

// The rules written out step by step, as the general path applies them: the fast path for plain
// lines must give exactly the same lines.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what is being replaced.
const BREAKS = /\r\n?|[\u2028\u2029\u0085\u000b\u000c]/g;
function referenceLines(text: string): string[] {
  return text
    .replace(BREAKS, "\n")
    .split("\n")
    .map((raw) => raw.replaceAll("\u0000", "").trimEnd())
    .filter((line) => line.trim().length > 0)
    .map((line) => escapeValueLine(line));
}
function referenceItem(item: string): string | undefined {
  const joined = item
    .replaceAll("\u0000", "")
    .replace(BREAKS, "\n")
    .split("\n")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join(" / ");
  if (joined.length === 0) return undefined;
  return escapeValueLine(joined.startsWith("- ") ? joined : `- ${joined}`);
}

/** Mostly plain text, with the characters the rules act on mixed in at either end and inside. */
const special = fc.constantFrom(
  ..."#/- \t\u0000\n\r\u000b\f\u0085\u2028\u2029\u00a0\ufeff\u3000\u1680\u001fé😀>[<|=*_`~1.＃\u200b",
  "<|im_start|>",
  "</context>",
  ": unknown — ",
  "\r\n",
  "- ",
  " #",
);
const plain = fc.string({ unit: "binary-ascii", maxLength: 20 });
const text = fc.oneof(
  fc.array(fc.oneof(plain, special), { maxLength: 8 }).map((parts) => parts.join("")),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
);

describe("normalize", () => {
  it("property: lines equal the rules applied step by step", () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(normalizeLines(value)).toEqual(referenceLines(value));
      }),
      { numRuns: 5_000 },
    );
  });

  it("property: list items equal the rules applied step by step", () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(normalizeItem(value)).toBe(referenceItem(value));
      }),
      { numRuns: 5_000 },
    );
  });

  it("keeps a plain line as it is and escapes what could forge structure", () => {
    expect(normalizeLines("Plan pro, 3 orders.")).toEqual(["Plan pro, 3 orders."]);
    expect(normalizeLines("# Heading")).toEqual(["\\# Heading"]);
    expect(normalizeLines("/etc/passwd")).toEqual([" /etc/passwd"]);
    expect(normalizeLines("a\u2028# b\u0000c ")).toEqual(["a", "\\# bc"]);
    expect(normalizeLines("ok\u000b")).toEqual(["ok"]);
    expect(normalizeItem("- done")).toBe("- done");
    expect(normalizeItem("-5 degrees")).toBe("- -5 degrees");
    expect(normalizeItem("#tag")).toBe("- #tag");
    expect(normalizeItem("two\nlines")).toBe("- two / lines");
    expect(normalizeItem(" \u0000 ")).toBeUndefined();
  });
});
