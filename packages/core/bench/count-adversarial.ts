// count.adversarial: seconds to count one megabyte of each input class (one letter, each kind of
// white space, punctuation, one script...) with ctxstore's tokenizer, against OpenAI's tokenizer
// (the `tiktoken` package, Rust compiled to WASM) on the same input. Target: ratio <= 2.
// OpenAI's byte-pair merge is quadratic in the length of one piece, so on one-piece classes it is
// run on growing prefixes (16 KB, 64 KB, ...) until one takes over MAX_REFERENCE_SECONDS; the ratio
// is taken at the largest size both ran, and the megabyte time of ctxstore is reported on its own.
import { pathToFileURL } from "node:url";
import { type BenchFigure, report } from "@ctxstore/bench-fixtures";
import { get_encoding } from "tiktoken";
import { loadEncoding, tiktokenTokenizer } from "../src/index.js";
import { ADVERSARIAL_CLASSES, megabyteOf, megabyteOfProse } from "../src/tokenize/adversarial.fixtures.js";

const quick = process.env.BENCH_QUICK === "1";
const MAX_REFERENCE_SECONDS = quick ? 0.5 : 2;

function seconds(run: () => void): number {
  const started = performance.now();
  run();
  return (performance.now() - started) / 1000;
}

export async function runCountAdversarialBench(): Promise<BenchFigure[]> {
  await loadEncoding("o200k_base");
  const ours = tiktokenTokenizer("o200k_base");
  const reference = get_encoding("o200k_base");
  const figures: BenchFigure[] = [];
  const classes: [string, string][] = [["prose", ""], ...Object.entries(ADVERSARIAL_CLASSES)];
  try {
    for (const [name, unit] of classes) {
      const megabyte = name === "prose" ? megabyteOfProse() : megabyteOf(unit);
      ours.count(megabyte.slice(0, 1000));
      const oursMegabyte = seconds(() => ours.count(megabyte));
      let size = 16 * 1024;
      let ratio = Number.NaN;
      let compared = 0;
      for (; size <= megabyte.length; size *= 4) {
        const text = megabyte.slice(0, size);
        const theirs = seconds(() => reference.encode_ordinary(text));
        const mine = size === megabyte.length ? oursMegabyte : seconds(() => ours.count(text));
        ratio = mine / theirs;
        compared = size;
        if (theirs > MAX_REFERENCE_SECONDS) break;
      }
      figures.push(
        { bench: "count.adversarial", metric: `${name}_1mb_s`, value: oursMegabyte, unit: "s" },
        {
          bench: "count.adversarial",
          metric: `${name}_ratio_vs_tiktoken`,
          value: ratio,
          unit: "x",
          target: "<= 2",
          note: `at ${Math.round(compared / 1024)} K characters`,
        },
      );
    }
  } finally {
    reference.free();
  }
  return figures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  report(await runCountAdversarialBench());
}
