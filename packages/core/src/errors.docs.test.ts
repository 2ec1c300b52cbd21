// docs/concepts.md's error table is the user's list of what ctxstore can throw: it must name every
// CtxErrorCode exactly once and nothing else, so a new code cannot ship undocumented.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { CtxErrorCode } from "./errors.js";

// Every code, checked complete against the union by the type test below.
const CODES = [
  "CTX_INVALID_DEFINITION",
  "CTX_DUPLICATE_SOURCE",
  "CTX_UNKNOWN_ENTITY",
  "CTX_UNKNOWN_SOURCE",
  "CTX_INVALID_DURATION",
  "CTX_INVALID_KEY",
  "CTX_INVALID_VALUE",
  "CTX_INVALID_REQUEST",
  "CTX_INVALID_BUDGET",
  "CTX_BUDGET_TOO_SMALL",
  "CTX_REQUIRED_UNAVAILABLE",
  "CTX_TIMEOUT",
  "CTX_STORE_UNAVAILABLE",
  "CTX_VALUE_TOO_LARGE",
  "CTX_DIMENSION_MISMATCH",
  "CTX_TENANT_REQUIRED",
  "CTX_INVALID_TENANT",
  "CTX_UNKNOWN_PURPOSE",
  "CTX_PRINCIPAL_REQUIRED",
  "CTX_INVALID_DOCUMENT",
  "CTX_INVALID_EVENT",
  "CTX_CONFIG",
] as const satisfies readonly CtxErrorCode[];

const CONCEPTS = fileURLToPath(new URL("../../../docs/concepts.md", import.meta.url));

/** The codes in the first column of the table under "## Errors", in order, with their line numbers. */
function documentedCodes(markdown: string): Array<{ code: string; line: number }> {
  const lines = markdown.split("\n");
  const heading = lines.findIndex((line) => line.trim() === "## Errors");
  if (heading < 0) throw new Error(`${CONCEPTS}: no "## Errors" section`);
  const found: Array<{ code: string; line: number }> = [];
  for (let index = heading + 1; index < lines.length; index++) {
    const line = lines[index] ?? "";
    if (line.startsWith("## ")) break;
    if (!line.startsWith("|")) continue;
    const firstCell = line.split("|")[1] ?? "";
    for (const match of firstCell.matchAll(/`(CTX_[A-Z_]+)`/g))
      found.push({ code: match[1] ?? "", line: index + 1 });
  }
  return found;
}

describe("docs/concepts.md error table", () => {
  it("the code list used here is exactly CtxErrorCode", () => {
    expectTypeOf<(typeof CODES)[number]>().toEqualTypeOf<CtxErrorCode>();
    expect(new Set(CODES).size).toBe(CODES.length);
  });

  it("documents every CtxErrorCode exactly once, and no code that does not exist", () => {
    const documented = documentedCodes(readFileSync(CONCEPTS, "utf8"));
    const names = documented.map((entry) => entry.code);
    const unknown = documented.filter((entry) => !(CODES as readonly string[]).includes(entry.code));
    expect(unknown.map((entry) => `${entry.code} (docs/concepts.md:${entry.line})`)).toEqual([]);
    expect(CODES.filter((code) => !names.includes(code))).toEqual([]);
    expect(names.filter((code, index) => names.indexOf(code) !== index)).toEqual([]);
  });

  it("finds codes in the table's first column only, so a test of this parser can fail", () => {
    const sample =
      "## Errors\n\n| code | when |\n| - | - |\n| `CTX_TIMEOUT` | see `CTX_CONFIG` |\n\n## Next\n| `CTX_X` |";
    expect(documentedCodes(sample)).toEqual([{ code: "CTX_TIMEOUT", line: 5 }]);
  });
});
