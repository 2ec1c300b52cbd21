import fc from "fast-check";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import o200k from "js-tiktoken/ranks/o200k_base";
import { beforeAll, describe, expect, it } from "vitest";
import { cl100kPieceEnd, isAscii, o200kPieceEnd } from "./pieces.js";
import { loadEncoding, tiktokenTokenizer } from "./tiktoken.js";

/** The pieces the scan cuts `text` into (counting walks the same ends without building an array). */
function asciiPieces(text: string, pieceEnd: (text: string, start: number) => number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; ) {
    const end = pieceEnd(text, start);
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

const encodings = [
  { name: "o200k_base", pattern: new RegExp(o200k.pat_str, "gu"), pieceEnd: o200kPieceEnd },
  { name: "cl100k_base", pattern: new RegExp(cl100k.pat_str, "gu"), pieceEnd: cl100kPieceEnd },
] as const;

/** The characters the expressions treat differently, weighted towards the tricky ones. */
const tricky = fc.constantFrom(
  ..."aAzZbQ'sStTrReEvVmMlLdD 0123456789\t\n\r\u000b\f .,!?/-_(){}\"\\#@\u0000\u001f\u007f",
  "  ",
  "\r\n",
  " '",
  "'s",
  "'LL",
  "'re",
  "ABc",
);
const asciiText = fc.oneof(
  fc.array(tricky, { maxLength: 40 }).map((parts) => parts.join("")),
  fc.string({ unit: "binary-ascii", maxLength: 60 }),
  fc.constantFrom(
    "Customer u123456 prefers email and usually buys running gear. Plan pro, 3 orders.\n",
    "HELLO world, it's WE'RE they'll I'M 2024-11-21 /usr/bin //comment\n\n  \tindented\r\n",
    "  leading and trailing spaces   ",
  ),
);

describe("ASCII pre-tokenizer scan", () => {
  beforeAll(async () => {
    await loadEncoding("o200k_base");
    await loadEncoding("cl100k_base");
  });

  it.each(encodings)(
    "property: splits ASCII text into the same pieces as the $name expression",
    ({ pattern, pieceEnd }) => {
      fc.assert(
        fc.property(asciiText, (text) => {
          expect(asciiPieces(text, pieceEnd)).toEqual([...text.matchAll(pattern)].map((match) => match[0]));
        }),
        { numRuns: 5_000 },
      );
    },
  );

  it("examples where the two encodings split differently", () => {
    expect(asciiPieces("'sup HELLOworld x.\n/y", o200kPieceEnd)).toEqual([
      "'sup",
      " HELLOworld",
      " x",
      ".\n/",
      "y",
    ]);
    expect(asciiPieces("'sup HELLOworld x.\n/y", cl100kPieceEnd)).toEqual([
      "'s",
      "up",
      " HELLOworld",
      " x",
      ".\n",
      "/y",
    ]);
  });

  it.each(encodings)("property: $name counts equal full tiktoken encodes, ASCII or not", ({ name }) => {
    const tokenizer = tiktokenTokenizer(name);
    fc.assert(
      fc.property(
        fc.oneof(asciiText, fc.string({ maxLength: 30 }), fc.string({ unit: "grapheme", maxLength: 20 })),
        (text) => {
          expect(tokenizer.count(text)).toBe(tokenizer.encode(text).length);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("knows ASCII from non-ASCII", () => {
    expect(isAscii("plain text\n\t~\u007f")).toBe(true);
    expect(isAscii("café")).toBe(false);
    expect(isAscii("\u0080")).toBe(false);
  });
});
