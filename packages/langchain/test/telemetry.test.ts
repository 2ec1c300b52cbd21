// The LangChain adapter has no span code: core's `ctxstore.assemble` span opens under whatever span is
// active when LangChain runs the retriever or runnable, through LangChain's own async machinery
// (LCEL chains, callbacks). Real OTel SDK, in-memory exporter.
import { ASSEMBLE_SPAN, REALTIME_SPAN } from "@ctxstore/core";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { AIMessage } from "@langchain/core/messages";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnablePassthrough } from "@langchain/core/runnables";
import { fakeModel } from "@langchain/core/testing";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ContextStoreRetriever, contextRunnable } from "../src/index.js";
import { type SupportFixture, supportFixture } from "./support-store.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let fixture: SupportFixture;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  fixture = await supportFixture();
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const ada = { customer: { customerId: "c-ada" } };

/** The caller's span, core's assembly span, and the assembly's direct children. */
function tree(callerName: string) {
  const spans = exporter.getFinishedSpans();
  const caller = spans.find((span) => span.name === callerName) as ReadableSpan;
  const assemblies = spans.filter((span) => span.name === ASSEMBLE_SPAN);
  const assembly = assemblies[0] as ReadableSpan;
  const children = spans.filter((span) => span.parentSpanContext?.spanId === assembly?.spanContext().spanId);
  return { caller, assemblies, assembly, children };
}

describe("LangChain adapter spans", () => {
  it("the retriever's assembly span is a child of the caller's active span, with core's lookup spans under it", async () => {
    const retriever = new ContextStoreRetriever({
      contextStore: fixture.store,
      budget: { maxTokens: 400 },
      keys: ada,
    });
    await trace.getTracer("app").startActiveSpan("POST /support", async (span) => {
      await retriever.invoke("When will my refund arrive?");
      span.end();
    });
    const { caller, assemblies, assembly, children } = tree("POST /support");
    expect(assemblies).toHaveLength(1);
    expect(assembly.instrumentationScope.name).toBe("@ctxstore/core");
    expect(assembly.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(assembly.spanContext().traceId).toBe(caller.spanContext().traceId);
    expect(children.map((span) => span.name).sort()).toEqual([REALTIME_SPAN, "retrieval help_center"]);
  });

  it("in an LCEL chain with a callback handler attached, the runnable's assembly still nests under the caller's span", async () => {
    const starts: string[] = [];
    class Recorder extends BaseCallbackHandler {
      name = "recorder";
      override handleChainStart(): void {
        starts.push("chain");
      }
    }
    const prompt = ChatPromptTemplate.fromMessages([
      ["system", "You are a support agent.\n\n{context}"],
      ["human", "{question}"],
    ]);
    const chain = RunnablePassthrough.assign({
      context: contextRunnable({ contextStore: fixture.store, budget: { maxTokens: 400 }, keys: ada }),
    })
      .pipe(prompt)
      .pipe(fakeModel().respond(new AIMessage("Approved.")));
    await trace.getTracer("app").startActiveSpan("chat turn", async (span) => {
      await chain.invoke({ question: "When will my refund arrive?" }, { callbacks: [new Recorder()] });
      span.end();
    });
    expect(starts.length).toBeGreaterThan(0);
    const { caller, assemblies, assembly } = tree("chat turn");
    expect(assemblies).toHaveLength(1);
    expect(assembly.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
  });

  it("without an active span the assembly is a root span of its own trace (nothing to nest under)", async () => {
    const retriever = new ContextStoreRetriever({
      contextStore: fixture.store,
      budget: { maxTokens: 400 },
      keys: ada,
    });
    await retriever.invoke("When will my refund arrive?");
    const assemblies = exporter.getFinishedSpans().filter((span) => span.name === ASSEMBLE_SPAN);
    expect(assemblies).toHaveLength(1);
    expect(assemblies[0]?.parentSpanContext).toBeUndefined();
  });
});
