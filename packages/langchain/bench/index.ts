// What the LangChain adapters cost on top of `ctx.assemble`: the same request through the LCEL
// runnable, the retriever (which also splits the packed text into Documents by token walk) and an
// agent with and without the middleware. Ratios are against the baseline measured in this run.
import { type BenchFigure, measure, percentile, report } from "@ctxstore/bench-fixtures";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { createAgent } from "langchain";
import { contextMiddleware } from "../src/agent.js";
import { ContextStoreRetriever, contextRunnable } from "../src/index.js";
import { supportFixture } from "../test/support-store.js";

const quick = process.env.BENCH_QUICK === "1";
const iterations = quick ? 300 : 3_000;
const agentIterations = quick ? 60 : 400;

const { store } = await supportFixture();
const keys = { customer: { customerId: "c-ada" } };
const question = "When will my refund arrive?";
const budget = { maxTokens: 400 };
const config = { configurable: { ctxstore: { keys } } };

const runnable = contextRunnable({ contextStore: store, budget });
const retriever = new ContextStoreRetriever({ contextStore: store, budget });

/** A fake model that always answers, so an agent run is one model call. */
function answeringModel() {
  const model = fakeModel();
  const respond = () => new AIMessage("ok");
  // fakeModel consumes one queued response per call; queue enough for warmup plus the timed runs.
  for (let index = 0; index < agentIterations * 2 + 50; index++) model.respond(respond);
  return model;
}
const plainAgent = createAgent({ model: answeringModel(), systemPrompt: "You are a support agent." });
const contextAgent = createAgent({
  model: answeringModel(),
  systemPrompt: "You are a support agent.",
  middleware: [contextMiddleware({ contextStore: store, budget })],
});
const agentInput = { messages: [new HumanMessage(question)] };

const figures: BenchFigure[] = [];
function record(bench: string, samples: readonly number[], baselineP50?: number): number {
  const p50 = percentile(samples, 50);
  figures.push({ bench, metric: "p50_ms", value: p50, unit: "ms" });
  figures.push({ bench, metric: "p99_ms", value: percentile(samples, 99), unit: "ms" });
  if (baselineP50 !== undefined)
    figures.push({ bench, metric: "p50_vs_baseline", value: p50 / baselineP50, unit: "x" });
  return p50;
}

const assembled = await measure(() => store.assemble({ keys, query: question, budget }), { iterations });
const baseline = record("langchain.assemble_baseline", assembled.samples);
record(
  "langchain.runnable",
  (await measure(() => runnable.invoke(question, config), { iterations })).samples,
  baseline,
);
record(
  "langchain.retriever",
  (await measure(() => retriever.invoke(question, config), { iterations })).samples,
  baseline,
);

const plain = await measure(() => plainAgent.invoke(agentInput), { iterations: agentIterations });
const plainP50 = record("langchain.agent_without_middleware", plain.samples);
const withContext = await measure(
  () => contextAgent.invoke(agentInput, { context: { ctxstore: { keys } } }),
  {
    iterations: agentIterations,
  },
);
const withP50 = record("langchain.agent_with_middleware", withContext.samples, plainP50);
figures.push({
  bench: "langchain.agent_with_middleware",
  metric: "added_p50_ms",
  value: withP50 - plainP50,
  unit: "ms",
});

report(figures);
await store.close();
