// Counting is linear on every input class: a megabyte of one character, of each kind of white
// space, of punctuation, of one script, counts within a fixed multiple of a megabyte of prose,
// measured in the same run (a ratio, not a time: this machine's speed varies). Quadratic counting,
// as before #15, made the same inputs take hours.
import { beforeAll, expect, it } from "vitest";
import { normalizeLines } from "../render/normalize.js";
import { ADVERSARIAL_CLASSES, megabyteOf, megabyteOfProse } from "./adversarial.fixtures.js";
import { loadEncoding, tiktokenTokenizer } from "./tiktoken.js";

/** Generous for noise and for heap-based BPE on one-piece inputs; quadratic would be thousands. */
const MAX_RATIO = 60;

beforeAll(async () => {
  await loadEncoding("o200k_base");
});

function seconds(run: () => void): number {
  const started = performance.now();
  run();
  return (performance.now() - started) / 1000;
}

it("counts and renders a megabyte of each adversarial class within a fixed multiple of a megabyte of prose", () => {
  const tokenizer = tiktokenTokenizer("o200k_base");
  const prose = megabyteOfProse();
  tokenizer.count(prose);
  const proseSeconds = seconds(() => tokenizer.count(`${prose}.`));
  normalizeLines(prose);
  const proseRendering = seconds(() => normalizeLines(`${prose}.`));
  const ratios: Record<string, number> = {};
  for (const [name, unit] of Object.entries(ADVERSARIAL_CLASSES)) {
    const text = megabyteOf(unit);
    ratios[name] = seconds(() => tokenizer.count(text)) / proseSeconds;
    ratios[`rendering ${name}`] = seconds(() => normalizeLines(text)) / proseRendering;
  }
  console.log("count time / prose time:", ratios);
  for (const [name, ratio] of Object.entries(ratios)) expect([name, ratio < MAX_RATIO]).toEqual([name, true]);
}, 300_000);
