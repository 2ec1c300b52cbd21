// Example-based tests of how pack() cuts what does not fit (list, text, token and byte cuts, markers,
// notes and suffixes) and how it accounts for tokens (per-block counts, tokenizer calls, the count cache).
import { beforeAll, describe, expect, it } from "vitest";
import type { Encoding } from "../envelope.js";
import { loadEncoding, tiktokenTokenizer } from "../tokenize/tiktoken.js";
import type { Tokenizer } from "../tokenize/types.js";
import {
  expectWellFormed,
  LONG_ARTICLE,
  listBlock,
  noteBlock,
  section,
  textBlock,
} from "./packer.fixtures.js";
import { pack } from "./packer.js";
import type { PackBlock } from "./types.js";

describe.each(["o200k_base", "cl100k_base"] as const)("pack (%s)", (encoding: Encoding) => {
  let tokenizer: Tokenizer;
  beforeAll(async () => {
    await loadEncoding(encoding);
    tokenizer = tiktokenTokenizer(encoding);
  });

  describe("token accounting", () => {
    it("makes no tokenizer calls once generated strings are known, and counts them when not", () => {
      const title = `Fresh title ${encoding}`; // used by no other test
      const input = {
        maxTokens: 500,
        tokenizer,
        sections: [
          section(title, [
            textBlock(tokenizer, "profile", "Alice.\nBob."),
            listBlock(tokenizer, "events", ["a", "b"]),
          ]),
        ],
      };
      const first = pack(input);
      expect(first.tokenizerCalls).toBe(1); // the new heading
      const second = pack(input);
      expect(second.tokenizerCalls).toBe(0);
      expect(second.text).toBe(first.text);
      expectWellFormed(second, tokenizer, 500);
    });

    it("charges a section's heading with its first block", () => {
      const block = textBlock(tokenizer, "profile", "Alice is a runner.");
      const heading = tokenizer.count("## Profile\n");
      const whole = block.tokens[0] as number;
      const exact = pack({ sections: [section("Profile", [block])], maxTokens: heading + whole, tokenizer });
      expect(exact.blocks[0]?.outcome).toBe("included");
      expect(exact.tokens).toBe(heading + whole);
      const short = pack({
        sections: [section("Profile", [{ ...block, kind: "note" }])],
        maxTokens: heading + whole - 1,
        tokenizer,
      });
      expect(short.blocks[0]).toMatchObject({ outcome: "dropped", reason: "budget" });
      expect(short.text).toBe("");
    });

    it("reports per-block tokens that add up with the headings", () => {
      const output = pack({
        maxTokens: 60,
        tokenizer,
        sections: [
          section("Profile", [textBlock(tokenizer, "profile", LONG_ARTICLE)]),
          section("Events", [
            listBlock(tokenizer, "events", ["one", "two", "three", "four", "five", "six", "seven"]),
          ]),
        ],
      });
      const headings = output.sections.reduce(
        (sum, packed) => sum + tokenizer.count(`## ${packed.title}\n`),
        0,
      );
      const blocks = output.blocks.reduce((sum, block) => sum + block.tokens, 0);
      expect(headings + blocks).toBe(output.tokens);
      expectWellFormed(output, tokenizer, 60);
    });
  });

  describe("list truncation", () => {
    const items = Array.from({ length: 12 }, (_, index) => `order ${index + 1} shipped`);

    it("keeps the newest items (tail) and says how many earlier ones are hidden", () => {
      const block = listBlock(tokenizer, "orders", items, { keep: "tail" });
      const output = pack({ sections: [section("Orders", [block])], maxTokens: 30, tokenizer });
      const lines = output.text.trimEnd().split("\n");
      const kept = output.blocks[0]?.keptLines ?? 0;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(12);
      expect(lines[1]).toBe(`[… ${12 - kept} earlier items not shown]`);
      expect(lines.slice(2)).toEqual(items.slice(12 - kept).map((item) => `- ${item}`));
      expect(output.blocks[0]).toMatchObject({ outcome: "truncated", reason: "budget", totalLines: 12 });
      expectWellFormed(output, tokenizer, 30);
    });

    it("keeps the first items (head) and says how many more are hidden", () => {
      const block = listBlock(tokenizer, "ranked", items, { keep: "head" });
      const output = pack({ sections: [section("Ranked", [block])], maxTokens: 30, tokenizer });
      const lines = output.text.trimEnd().split("\n");
      const kept = output.blocks[0]?.keptLines ?? 0;
      expect(lines.slice(1, 1 + kept)).toEqual(items.slice(0, kept).map((item) => `- ${item}`));
      expect(lines.at(-1)).toBe(`[… ${12 - kept} more items not shown]`);
      expectWellFormed(output, tokenizer, 30);
    });

    it("uses the singular for one hidden item", () => {
      const second = "second item, long enough that the marker line is the cheaper choice";
      const block = listBlock(tokenizer, "two", ["first item here", second], { keep: "head" });
      const budget = tokenizer.count("## Two\n- first item here\n[… 1 more item not shown]\n");
      const output = pack({ sections: [section("Two", [block])], maxTokens: budget, tokenizer });
      expect(output.text).toBe("## Two\n- first item here\n[… 1 more item not shown]\n");
    });

    it("drops the list when not even one item fits", () => {
      const block = listBlock(tokenizer, "long", [LONG_ARTICLE, LONG_ARTICLE]);
      const output = pack({ sections: [section("Long", [block])], maxTokens: 20, tokenizer });
      expect(output.blocks[0]).toMatchObject({ outcome: "dropped", reason: "budget" });
      expect(output.text).toBe("");
    });
  });

  describe("text truncation", () => {
    it("keeps whole lines, then whole sentences of the next line, then a marker", () => {
      const block = textBlock(tokenizer, "article", `First line stays.\n${LONG_ARTICLE}\nThird line.`);
      const budget = tokenizer.count(
        "## A\nFirst line stays.\nTrail shoes need a firm heel counter. The outsole should have deep lugs for mud!\n[… truncated]\n",
      );
      const output = pack({ sections: [section("A", [block])], maxTokens: budget, tokenizer });
      expect(output.text).toBe(
        "## A\nFirst line stays.\nTrail shoes need a firm heel counter. The outsole should have deep lugs for mud!\n[… truncated]\n",
      );
      expect(output.blocks[0]).toMatchObject({ outcome: "truncated", keptLines: 2, totalLines: 3 });
      expectWellFormed(output, tokenizer, budget);
    });

    it("keeps the last sentences when keep is tail", () => {
      const block = textBlock(tokenizer, "article", LONG_ARTICLE, { keep: "tail" });
      const budget = tokenizer.count("## A\n[… truncated]\nSizes run small, so order half a size up.\n");
      const output = pack({ sections: [section("A", [block])], maxTokens: budget, tokenizer });
      expect(output.text).toBe("## A\n[… truncated]\nSizes run small, so order half a size up.\n");
    });

    it("cuts at a token boundary only when not even one sentence fits", () => {
      const block = textBlock(
        tokenizer,
        "article",
        "An extremely long opening sentence without any full stop until the very end of it all.",
      );
      const output = pack({ sections: [section("A", [block])], maxTokens: 14, tokenizer });
      const body = output.text.split("\n")[1] ?? "";
      expect(body.length).toBeGreaterThan(0);
      expect(
        "An extremely long opening sentence without any full stop until the very end of it all.".startsWith(
          body,
        ),
      ).toBe(true);
      expect(output.text.endsWith("[… truncated]\n")).toBe(true);
      expectWellFormed(output, tokenizer, 14);
    });

    it("never leaves a broken character when cutting emoji and CJK text", () => {
      const text =
        "👩‍👩‍👧‍👦🎉🎉 東京都の天気は晴れのち曇りでしょう🧗‍♀️🧗‍♀️🧗‍♀️ résumé naïve façade 👍🏽👍🏽👍🏽";
      for (let budget = 6; budget <= 40; budget++) {
        const block = textBlock(tokenizer, "emoji", text);
        const output = pack({ sections: [section("E", [block])], maxTokens: budget, tokenizer });
        expectWellFormed(output, tokenizer, budget);
        expect(output.text).not.toContain("\uFFFD");
        expect(output.text).not.toMatch(
          /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/,
        );
        const body = output.text.split("\n")[1];
        if (output.blocks[0]?.outcome === "truncated" && body !== undefined)
          expect(text.startsWith(body)).toBe(true);
      }
    });

    it("cuts from the end at a token boundary when keep is tail", () => {
      const line = "a long run of words with no sentence end anywhere in it so only tokens can split it";
      const block = textBlock(tokenizer, "log", line, { keep: "tail" });
      const output = pack({ sections: [section("Log", [block])], maxTokens: 14, tokenizer });
      const [heading, marker, body] = output.text.trimEnd().split("\n");
      expect(heading).toBe("## Log");
      expect(marker).toBe("[… truncated]");
      expect(body && line.endsWith(body)).toBe(true);
      expectWellFormed(output, tokenizer, 14);
    });

    it("splits CJK text after full-width sentence ends", () => {
      const text =
        "今日は晴れです。明日は雨が降るでしょう！週末の天気はまだ分かりませんが、たぶん曇りになると思います。";
      const block = textBlock(tokenizer, "weather", text);
      const expected = "## W\n今日は晴れです。明日は雨が降るでしょう！\n[… truncated]\n";
      const output = pack({
        sections: [section("W", [block])],
        maxTokens: tokenizer.count(expected),
        tokenizer,
      });
      expect(output.text).toBe(expected);
    });

    it("tokenizes only a window of the kept end when cutting a huge line", () => {
      const line = "word ".repeat(20_000).trimEnd();
      const seen: number[] = [];
      const recording: Tokenizer = {
        encoding: tokenizer.encoding,
        count: (text) => {
          seen.push(text.length);
          return tokenizer.count(text);
        },
        encode: (text) => {
          seen.push(text.length);
          return tokenizer.encode(text);
        },
        decode: (tokens) => tokenizer.decode(tokens),
      };
      for (const keep of ["head", "tail"] as const) {
        const block: PackBlock = {
          ...textBlock(tokenizer, "huge", "x", { keep }),
          lines: [line],
          tokens: [tokenizer.count(`${line}\n`)],
        };
        seen.length = 0;
        const output = pack({
          sections: [section(`Huge ${keep}`, [block])],
          maxTokens: 60,
          tokenizer: recording,
        });
        expect(output.blocks[0]?.outcome).toBe("truncated");
        expectWellFormed(output, tokenizer, 60);
        expect(Math.max(...seen)).toBeLessThan(2_000);
      }
    });

    it("treats closing quotes and brackets as part of a sentence end", () => {
      const block = textBlock(
        tokenizer,
        "quote",
        'She said "stop." Then she left (quickly.) And that was all there was to it, really.',
      );
      const budget = tokenizer.count('## Q\nShe said "stop." Then she left (quickly.)\n[… truncated]\n');
      const output = pack({ sections: [section("Q", [block])], maxTokens: budget, tokenizer });
      expect(output.text).toBe('## Q\nShe said "stop." Then she left (quickly.)\n[… truncated]\n');
    });

    it("drops the text when nothing of it would remain", () => {
      const block = textBlock(tokenizer, "article", LONG_ARTICLE);
      const output = pack({ sections: [section("A", [block])], maxTokens: 5, tokenizer });
      expect(output.blocks[0]).toMatchObject({ outcome: "dropped", reason: "budget" });
      expect(output.text).toBe("");
    });

    it("makes no tokenizer calls when the same truncation repeats", () => {
      const block = textBlock(tokenizer, "article", `${LONG_ARTICLE} Repeated truncation.`);
      const input = { sections: [section("A", [block])], maxTokens: 30, tokenizer };
      const first = pack(input);
      expect(first.tokenizerCalls).toBeGreaterThan(0);
      const second = pack(input);
      expect(second.tokenizerCalls).toBe(0);
      expect(second.text).toBe(first.text);
    });
  });

  describe("notes and suffixes", () => {
    it("never truncates a note: it is included whole or dropped", () => {
      const note = noteBlock(
        tokenizer,
        "loyalty",
        "Loyalty status is unknown (lookup timed out): do not assume the user has none.",
      );
      const whole = tokenizer.count(`## Loyalty\n${note.lines[0]}\n`);
      expect(
        pack({ sections: [section("Loyalty", [note])], maxTokens: whole, tokenizer }).blocks[0]?.outcome,
      ).toBe("included");
      const short = pack({ sections: [section("Loyalty", [note])], maxTokens: whole - 1, tokenizer });
      expect(short.blocks[0]).toMatchObject({ outcome: "dropped", reason: "budget" });
    });

    it("emits suffix lines after kept content, whole or truncated, and counts them", () => {
      const suffix = ["(last known value, 3h old)"];
      const whole = listBlock(tokenizer, "events", ["a", "b", "c"], { suffix });
      const included = pack({ sections: [section("Recent", [whole])], maxTokens: 200, tokenizer });
      expect(included.text).toBe("## Recent\n- a\n- b\n- c\n(last known value, 3h old)\n");
      expectWellFormed(included, tokenizer, 200);

      const long = listBlock(
        tokenizer,
        "events",
        Array.from({ length: 20 }, (_, index) => `event ${index}`),
        { suffix },
      );
      const truncated = pack({ sections: [section("Recent", [long])], maxTokens: 40, tokenizer });
      expect(truncated.blocks[0]?.outcome).toBe("truncated");
      expect(truncated.text.endsWith("- event 19\n(last known value, 3h old)\n")).toBe(true);
      expectWellFormed(truncated, tokenizer, 40);

      const text = textBlock(tokenizer, "article", LONG_ARTICLE, { suffix });
      const cut = pack({ sections: [section("A", [text])], maxTokens: 30, tokenizer });
      expect(cut.text.endsWith("[… truncated]\n(last known value, 3h old)\n")).toBe(true);
      expectWellFormed(cut, tokenizer, 30);
    });

    it("drops a block whose suffix alone does not fit", () => {
      const block = listBlock(tokenizer, "events", ["a", "b"], {
        suffix: ["(last known value from a long time ago, labelled with its full age)"],
      });
      const output = pack({ sections: [section("Recent", [block])], maxTokens: 12, tokenizer });
      expect(output.blocks[0]?.outcome).toBe("dropped");
      expect(output.text).toBe("");
    });
  });
});

describe("pack's count cache", () => {
  let tokenizer: Tokenizer;
  beforeAll(async () => {
    await loadEncoding("o200k_base");
    tokenizer = tiktokenTokenizer("o200k_base");
  });

  it("keeps the count cache bounded, evicting the least recently used strings", () => {
    const block = textBlock(tokenizer, "a", "value");
    const once = (title: string) =>
      pack({ sections: [section(title, [block])], maxTokens: 100, tokenizer }).tokenizerCalls;
    const run = "cache test";
    expect(once(`cold ${run}`)).toBe(1);
    expect(once(`hot ${run}`)).toBe(1);
    for (let index = 0; index < 10_000; index++) {
      once(`filler ${run} ${index}`);
      if (index % 1_000 === 0) expect(once(`hot ${run}`)).toBe(0); // used recently: stays
    }
    expect(once(`hot ${run}`)).toBe(0);
    expect(once(`cold ${run}`)).toBe(1); // untouched for 10,000 newer strings: evicted, recounted
  });
});
