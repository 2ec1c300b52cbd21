import { loadEncoding, tiktokenTokenizer } from "@ctxstore/core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { tokenCountCache } from "./token-count-cache.js";

const tokenizer = tiktokenTokenizer("o200k_base");
beforeAll(() => loadEncoding("o200k_base"));

function countingTokenizer() {
  const calls: string[] = [];
  const count = (text: string) => {
    calls.push(text);
    return tokenizer.count(text);
  };
  return { calls, count };
}

describe("tokenCountCache", () => {
  it("counts exactly what the tokenizer counts (property)", () => {
    const counter = tokenCountCache(tokenizer, { minCharacters: 4, maxCharacters: 2_000 });
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 600 }), { maxLength: 30 }), (texts) => {
        for (const text of [...texts, ...texts]) expect(counter.count(text)).toBe(tokenizer.count(text));
      }),
    );
  });

  it("tokenizes a long text once, and short texts every time", () => {
    const spy = countingTokenizer();
    const counter = tokenCountCache(spy, { minCharacters: 10 });
    const long = "A long message about trail shoes and sizes.";
    for (let turn = 0; turn < 5; turn++) {
      counter.count(long);
      counter.count("short");
    }
    expect(spy.calls.filter((text) => text === long)).toHaveLength(1);
    expect(spy.calls.filter((text) => text === "short")).toHaveLength(5);
  });

  it("keeps at most maxCharacters of text, evicting the least recently used", () => {
    const spy = countingTokenizer();
    const counter = tokenCountCache(spy, { minCharacters: 1, maxCharacters: 30 });
    const [a, b, c] = ["a".repeat(10), "b".repeat(10), "c".repeat(10)];
    counter.count(a);
    counter.count(b);
    counter.count(c);
    counter.count(a); // a is now the most recent; b is the oldest
    counter.count("d".repeat(10)); // 40 characters: b goes
    spy.calls.length = 0;
    counter.count(a);
    counter.count(c);
    expect(spy.calls).toEqual([]);
    counter.count(b);
    expect(spy.calls).toEqual([b]);
    // A text larger than the whole cache is counted without evicting everything.
    counter.count("e".repeat(31));
    spy.calls.length = 0;
    counter.count(c);
    expect(spy.calls).toEqual([]);
  });
});
