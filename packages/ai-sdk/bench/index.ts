// middleware.ai-sdk: what the context middleware adds to a generateText call. The same call runs
// against a constant model with and without the middleware, interleaved in one process; the
// difference of the medians is the overhead, and the store's own assemble p50 for the same request
// is reported beside it (the target: overhead within 0.1 ms of assemble).
// Store and request: the shared reference shape of every assemble.* benchmark (core/testing's
// bench fixture), on the embedded memory store.

import type { LanguageModelV4 } from "@ai-sdk/provider";
import {
  assembleBenchSources,
  BENCH_BUDGET,
  BENCH_KEYS,
  type BenchFigure,
  measure,
  percentile,
  report,
  seedAssembleBench,
} from "@ctxstore/bench-fixtures";
import { createContextStore } from "@ctxstore/core";
import { generateText, streamText, wrapLanguageModel } from "ai";
import { contextMiddleware } from "../src/index.js";

const quick = process.env.BENCH_QUICK === "1";
const BENCH = "middleware.ai-sdk";
const QUESTION = "Do you have the Trail Runner X in my size?";
const keys = BENCH_KEYS;

async function seededContext() {
  const sources = assembleBenchSources();
  const ctx = createContextStore({ sources, deadline: "200ms" });
  await ctx.ready();
  await seedAssembleBench(ctx, sources);
  return ctx;
}

// A constant model: no recording, no prompt-dependent work, so the two paths differ only by the middleware.
const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 2, text: 2, reasoning: undefined },
};
const finishReason = { unified: "stop" as const, raw: "stop" };
const constantModel: LanguageModelV4 = {
  specificationVersion: "v4",
  provider: "bench",
  modelId: "constant",
  supportedUrls: {},
  doGenerate: async () => ({ content: [{ type: "text", text: "Yes." }], finishReason, usage, warnings: [] }),
  doStream: async () => ({
    stream: new ReadableStream({
      start(controller) {
        controller.enqueue({ type: "stream-start", warnings: [] });
        controller.enqueue({ type: "text-start", id: "t" });
        controller.enqueue({ type: "text-delta", id: "t", delta: "Yes." });
        controller.enqueue({ type: "text-end", id: "t" });
        controller.enqueue({ type: "finish", finishReason, usage });
        controller.close();
      },
    }),
  }),
};

/** Runs the bodies in alternating rounds so drift (GC, a noisy neighbour) hits every path alike. */
async function interleaved(bodies: Record<string, () => Promise<unknown>>, iterations: number, rounds = 10) {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(bodies).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, body] of Object.entries(bodies)) {
      const result = await measure(body, {
        iterations: Math.ceil(iterations / rounds),
        warmup: round === 0 ? 200 : 20,
      });
      samples[name]?.push(...result.samples);
    }
  }
  return samples;
}

const ctx = await seededContext();
const wrapped = wrapLanguageModel({
  model: constantModel,
  middleware: contextMiddleware({ contextStore: ctx, budget: BENCH_BUDGET }),
});
const providerOptions = { ctxstore: { keys } };
const request = { keys, query: QUESTION, budget: BENCH_BUDGET };

// Sanity: the wrapped call really assembled the same context the baseline assemble produces.
const probe = await generateText({ model: wrapped, prompt: QUESTION, providerOptions });
const probeTrace = probe.providerMetadata?.ctxstore as { totals: { tokens: number } } | undefined;
const direct = await ctx.assemble(request);
if (probeTrace?.totals.tokens !== direct.tokens)
  throw new Error(
    `bench setup: middleware packed ${probeTrace?.totals.tokens} tokens, assemble ${direct.tokens}`,
  );

const iterations = quick ? 2_000 : 20_000;
const samples = await interleaved(
  {
    assemble: () => ctx.assemble(request),
    generatePlain: () => generateText({ model: constantModel, prompt: QUESTION }),
    generateWrapped: () => generateText({ model: wrapped, prompt: QUESTION, providerOptions }),
    streamPlain: () => Promise.resolve(streamText({ model: constantModel, prompt: QUESTION }).text),
    streamWrapped: () =>
      Promise.resolve(streamText({ model: wrapped, prompt: QUESTION, providerOptions }).text),
  },
  iterations,
);
// A long chat with a budget derived from the context window: every earlier message was counted on a
// previous turn, so only the newest is tokenized (without the count cache: ~60 ms for these 91k tokens).
const conversation = Array.from({ length: 200 }, (_, index) => ({
  role: index % 2 === 0 ? ("user" as const) : ("assistant" as const),
  content: `Message ${index}: ${"I run on rocky trails most weekends and I am looking at several models. ".repeat(30)}`,
}));
const derived = wrapLanguageModel({
  model: constantModel,
  middleware: contextMiddleware({ contextStore: ctx, budget: { contextWindow: 200_000, ...BENCH_BUDGET } }),
});
let turn = 0;
const longChat = await interleaved(
  {
    fixedBudget: () =>
      generateText({
        model: wrapped,
        messages: [...conversation, { role: "user", content: QUESTION }],
        providerOptions,
      }),
    derivedBudget: () =>
      // A new last question each time, as in a real chat: it is the one text the cache has not seen.
      generateText({
        model: derived,
        messages: [...conversation, { role: "user", content: `${QUESTION} (${turn++})` }],
        providerOptions,
      }),
  },
  quick ? 300 : 2_000,
  5,
);
Object.assign(samples, longChat);

const p50 = (name: string) => percentile(samples[name] ?? [], 50);
const p99 = (name: string) => percentile(samples[name] ?? [], 99);
const assembleP50 = p50("assemble");
const generateOverhead = p50("generateWrapped") - p50("generatePlain");
const streamOverhead = p50("streamWrapped") - p50("streamPlain");
const shape = { sources: 32, tokens: direct.tokens };

const figures: BenchFigure[] = [
  {
    bench: BENCH,
    metric: "overhead_ms_p50",
    value: generateOverhead,
    unit: "ms",
    call: "generateText",
    ...shape,
  },
  {
    bench: BENCH,
    metric: "assemble_p50_ms",
    value: assembleP50,
    unit: "ms",
    note: "same store and request, same run",
    ...shape,
  },
  {
    bench: BENCH,
    metric: "overhead_minus_assemble_ms",
    value: generateOverhead - assembleP50,
    unit: "ms",
    target: "<= 0.1",
  },
  { bench: BENCH, metric: "generate_plain_p50_ms", value: p50("generatePlain"), unit: "ms" },
  { bench: BENCH, metric: "generate_wrapped_p50_ms", value: p50("generateWrapped"), unit: "ms" },
  { bench: BENCH, metric: "generate_wrapped_p99_ms", value: p99("generateWrapped"), unit: "ms" },
  { bench: BENCH, metric: "stream_overhead_ms_p50", value: streamOverhead, unit: "ms", call: "streamText" },
  {
    bench: BENCH,
    metric: "stream_overhead_minus_assemble_ms",
    value: streamOverhead - assembleP50,
    unit: "ms",
  },
  {
    bench: BENCH,
    metric: "derived_budget_extra_ms_p50",
    value: p50("derivedBudget") - p50("fixedBudget"),
    unit: "ms",
    messages: 201,
    note: "contextWindow budget vs fixed, same long chat",
  },
];
report(figures);
await ctx.close();
