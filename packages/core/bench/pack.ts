// pack: 200 candidate items into a 4,000-token budget, every value carrying its precomputed counts
// (as batch/stream envelopes do). Targets: p50 <= 0.5 ms, 0 tokenizer calls per pack in steady state.
// Baseline measured in the same run: tokenizing the packed prompt once, which is what a packer without
// precomputed counts would have to do at least once per request, with OpenAI's tokenizer (the
// `tiktoken` package, what a team packing by hand recounts with). ctxstore's own exact counter is
// also timed on the same text: it memoises pieces, so recounting one text again is far cheaper.
import { pathToFileURL } from "node:url";
import { type BenchFigure, measure, percentile, report } from "@ctxstore/bench-fixtures";
import { get_encoding } from "tiktoken";
// The packer's internals are core's own: this bench reaches them directly, not through the entry.
import { TIER_RANK } from "../src/definitions/source.js";
import { loadEncoding, type Tier, type Tokenizer, tiktokenTokenizer } from "../src/index.js";
import { pack } from "../src/pack/packer.js";
import type { PackBlock, PackSection } from "../src/pack/types.js";
import { normalizeItem, normalizeLines } from "../src/render/normalize.js";

const quick = process.env.BENCH_QUICK === "1";
const ITEMS = 200;
const BUDGET = 4_000;

const WORDS =
  "order shipped trail running shoes size warranty return refund loyalty gold member prefers " +
  "email weekend delivery Lyon waterproof jacket discount code viewed cart checkout support ticket";

/** Deterministic pseudo-random numbers, so every run packs the same input. */
function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function sentence(random: () => number, words: number): string {
  const pool = WORDS.split(" ");
  const picked = Array.from({ length: words }, () => pool[Math.floor(random() * pool.length)] as string);
  return `${picked.join(" ")}.`;
}

/** 200 blocks over 8 sections and all four tiers: ~8,000 candidate tokens, about twice the budget. */
export function benchInput(tokenizer: Tokenizer): PackSection[] {
  const random = sequence(42);
  const tiers: Tier[] = ["batch", "batch", "batch", "stream", "stream", "vector", "vector", "realtime"];
  const sections = tiers.map((tier, index) => ({
    tier,
    title: `Section ${index} (${tier})`,
    blocks: [] as PackBlock[],
  }));
  for (let item = 0; item < ITEMS; item++) {
    const home = sections[item % sections.length] as (typeof sections)[number];
    const kind = home.tier === "stream" ? "list" : home.tier === "realtime" ? "note" : "text";
    const lines =
      kind === "list"
        ? Array.from({ length: 4 }, () => normalizeItem(sentence(random, 8)) as string)
        : normalizeLines(
            Array.from({ length: 1 + Math.floor(random() * 3) }, () => sentence(random, 20)).join(" "),
          );
    home.blocks.push({
      source: `source_${item}`,
      tier: home.tier,
      priority: Math.floor(random() * 101),
      required: false,
      kind,
      keep: kind === "list" ? "tail" : "head",
      lines,
      tokens: lines.map((line) => tokenizer.count(`${line}\n`)),
    });
  }
  return sections.map((entry, index) => ({
    title: entry.title,
    priority: 100 - index * 10,
    tierRank: TIER_RANK[entry.tier],
    ...(index === 3 ? { minTokens: 300 } : {}),
    ...(index === 6 ? { maxTokens: 600 } : {}),
    blocks: entry.blocks,
  }));
}

export async function runPackBench(): Promise<BenchFigure[]> {
  await loadEncoding("o200k_base");
  const tokenizer = tiktokenTokenizer("o200k_base");
  const sections = benchInput(tokenizer);
  const input = { sections, maxTokens: BUDGET, tokenizer };
  const candidateTokens = sections.reduce(
    (sum, entry) =>
      sum + entry.blocks.reduce((blockSum, block) => blockSum + block.tokens.reduce((a, b) => a + b, 0), 0),
    0,
  );

  const cold = pack(input);
  let steadyCalls = 0;
  let packs = 0;
  const iterations = quick ? 2_000 : 20_000;
  const packed = await measure(
    () => {
      steadyCalls += pack(input).tokenizerCalls;
      packs++;
    },
    { iterations },
  );
  const openai = get_encoding("o200k_base");
  if (openai.encode(cold.text).length !== cold.tokens)
    throw new Error(
      `pack reported ${cold.tokens} tokens; OpenAI's tokenizer counts ${openai.encode(cold.text).length}`,
    );
  const recount = await measure(() => openai.encode(cold.text).length, { iterations: quick ? 200 : 2_000 });
  openai.free();
  const ownRecount = await measure(() => tokenizer.count(cold.text), { iterations: quick ? 200 : 2_000 });
  const packP50 = percentile(packed.samples, 50);
  const recountP50 = percentile(recount.samples, 50);
  const ownRecountP50 = percentile(ownRecount.samples, 50);
  const outcomes = { included: 0, truncated: 0, dropped: 0 };
  for (const block of cold.blocks) outcomes[block.outcome]++;
  const shape = { items: ITEMS, budget: BUDGET, candidate_tokens: candidateTokens };
  return [
    { bench: "pack", metric: "p50_ms", value: packP50, unit: "ms", ...shape },
    { bench: "pack", metric: "p99_ms", value: percentile(packed.samples, 99), unit: "ms" },
    { bench: "pack", metric: "ops_per_s", value: (iterations / packed.totalMs) * 1_000, unit: "ops/s" },
    {
      bench: "pack",
      metric: "tokenizer_calls",
      value: steadyCalls / packs,
      unit: "calls",
      note: "per pack, steady state",
      target: 0,
    },
    {
      bench: "pack",
      metric: "tokenizer_calls_cold",
      value: cold.tokenizerCalls,
      unit: "calls",
      note: "first pack in the process",
    },
    { bench: "pack", metric: "packed_tokens", value: cold.tokens, unit: "tokens", ...outcomes },
    {
      bench: "pack.baseline.recount",
      metric: "p50_ms",
      value: recountP50,
      unit: "ms",
      note: "OpenAI's tokenizer (tiktoken) encodes the packed prompt once",
    },
    {
      bench: "pack.baseline.recount_ctxstore",
      metric: "p50_ms",
      value: ownRecountP50,
      unit: "ms",
      note: "ctxstore's own tokenizer.count(prompt) once, pieces memoised",
    },
    {
      bench: "pack",
      metric: "speedup_vs_recount",
      value: recountP50 / packP50,
      unit: "x",
      target: ">= 50",
      note: "one tiktoken encode of the packed text p50 / pack p50, same run",
    },
    {
      bench: "pack",
      metric: "speedup_vs_ctxstore_recount",
      value: ownRecountP50 / packP50,
      unit: "x",
      note: "ctxstore's own memoised count of the packed text p50 / pack p50, same run",
    },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  report(await runPackBench());
}
