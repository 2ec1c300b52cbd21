import { type AssemblyTrace, isCtxError } from "@ctxstore/core";
import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnablePassthrough } from "@langchain/core/runnables";
import { fakeModel } from "@langchain/core/testing";
import { FakeChatModel } from "@langchain/core/utils/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { ADA_CONTEXT, type SupportFixture, supportFixture } from "../test/support-store.js";
import { contextRunnable } from "./runnable.js";
import { TRACE_EVENT } from "./trace-event.js";

let fixture: SupportFixture;
beforeAll(async () => {
  fixture = await supportFixture();
});

const ada = { customer: { customerId: "c-ada" } };
const bob = { customer: { customerId: "c-bob" } };

const prompt = ChatPromptTemplate.fromMessages([
  ["system", "You are a support agent.\n\n{context}"],
  ["human", "{question}"],
]);

function chainWith(model: Parameters<typeof prompt.pipe>[0], keys?: Record<string, unknown> | undefined) {
  return RunnablePassthrough.assign({
    context: contextRunnable({ contextStore: fixture.store, budget: { maxTokens: 400 }, keys }),
  })
    .pipe(prompt)
    .pipe(model);
}

describe("contextRunnable in an LCEL chain", () => {
  it("puts the exact packed context into the prompt the model receives", async () => {
    const model = fakeModel().respond(new AIMessage("Your refund was approved."));
    const answer = (await chainWith(model, ada).invoke({
      question: "When will my refund arrive?",
    })) as AIMessage;
    expect(answer.content).toBe("Your refund was approved.");
    expect(model.calls).toHaveLength(1);
    const messages = model.calls[0]?.messages ?? [];
    expect(messages.map((message) => message.constructor)).toEqual([SystemMessage, HumanMessage]);
    expect(messages[0]?.content).toBe(`You are a support agent.\n\n${ADA_CONTEXT}`);
    expect(messages[1]?.content).toBe("When will my refund arrive?");
  });

  it("accepts a plain question string with configured keys", async () => {
    const runnable = contextRunnable({ contextStore: fixture.store, keys: ada, budget: { maxTokens: 400 } });
    expect(await runnable.invoke("When will my refund arrive?")).toBe(ADA_CONTEXT);
  });

  it("reads the question with the query option", async () => {
    const runnable = contextRunnable<{ ticket: { subject: string } }>({
      contextStore: fixture.store,
      keys: ada,
      sources: ["help_center"],
      budget: { maxTokens: 400 },
      query: (input) => input.ticket.subject,
    });
    const text = await runnable.invoke({ ticket: { subject: "forgotten password reset" } });
    expect(text.split("\n")[1]).toBe(
      "- Password reset: Reset a forgotten password from the sign-in page with the email link.",
    );
  });

  it("streams the packed context", async () => {
    const runnable = contextRunnable({ contextStore: fixture.store, budget: { maxTokens: 400 } });
    const chunks: string[] = [];
    for await (const chunk of await runnable.stream("When will my refund arrive?", {
      configurable: { ctxstore: { keys: ada } },
    })) {
      chunks.push(chunk);
    }
    expect(chunks.join("")).toBe(ADA_CONTEXT);
  });

  it("streams a whole chain, the model seeing the context", async () => {
    // FakeChatModel answers with the prompt it received, so the streamed answer is what the model saw.
    const chain = chainWith(new FakeChatModel({}), ada).pipe(new StringOutputParser());
    let streamed = "";
    for await (const chunk of await chain.stream({ question: "When will my refund arrive?" }))
      streamed += chunk;
    expect(streamed).toBe(`You are a support agent.\n\n${ADA_CONTEXT}\nWhen will my refund arrive?`);
  });

  it("batches over several customers without cross-talk", async () => {
    const chain = chainWith(new FakeChatModel({})).pipe(new StringOutputParser());
    const customers = ["c-ada", "c-bob", "c-ada", "c-bob", "c-bob"];
    const seen = await chain.batch(
      customers.map((customerId) => ({ question: `Question from ${customerId}` })),
      customers.map((customerId) => ({ configurable: { ctxstore: { keys: { customer: { customerId } } } } })),
    );
    seen.forEach((text, index) => {
      const customerId = customers[index];
      expect(text.endsWith(`Question from ${customerId}`)).toBe(true);
      if (customerId === "c-ada") {
        expect(text).toContain("- Plan: Pro\n- Past tickets: 4");
        expect(text).toContain("- customer: Where is my refund?");
        expect(text).not.toContain("Plan: Free");
        expect(text).not.toContain("How long does shipping take?");
      } else {
        expect(text).toContain("- Plan: Free\n- Past tickets: 1");
        expect(text).toContain("- customer: How long does shipping take?");
        expect(text).toContain("Order status: none (no open orders).");
        expect(text).not.toContain("Plan: Pro");
        expect(text).not.toContain("A-100");
      }
    });
  });

  it("reads per-input keys from the input's ctxstore field (batch with one config)", async () => {
    const runnable = contextRunnable({ contextStore: fixture.store, budget: { maxTokens: 400 } });
    const [first, second] = await runnable.batch([
      { question: "Refund?", ctxstore: { keys: ada } },
      { question: "Shipping?", ctxstore: { keys: bob } },
    ]);
    expect(first).toContain("Plan: Pro");
    expect(second).toContain("Plan: Free");
  });

  it("takes a request-shaped input { query, keys }", async () => {
    const runnable = contextRunnable({ contextStore: fixture.store, keys: bob, budget: { maxTokens: 400 } });
    expect(await runnable.invoke({ query: "When will my refund arrive?", keys: ada })).toBe(ADA_CONTEXT);
    const error = await runnable
      .invoke({ query: "Refund?", keys: "c-ada" } as never)
      .catch((caught: unknown) => caught);
    expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
    expect((error as Error).message).toContain("input.keys must be entity keys by entity name");
  });

  it("renders an unavailable source as an explicit unknown in the prompt", async () => {
    fixture.orderLookupDown = true;
    try {
      const model = fakeModel().respond(new AIMessage("Let me check."));
      await chainWith(model, ada).invoke({ question: "Where is my order?" });
      const system = String(model.calls[0]?.messages[0]?.content);
      expect(system).toContain(
        "## Orders\nOrder status: unknown — the lookup failed. Do not assume there is none.\n",
      );
      expect(system).not.toContain("refund approved");
    } finally {
      fixture.orderLookupDown = false;
    }
  });

  it("emits the trace as a custom event visible in streamEvents", async () => {
    const chain = chainWith(fakeModel().respond(new AIMessage("ok")));
    const traces: AssemblyTrace[] = [];
    for await (const event of chain.streamEvents(
      { question: "Refund?" },
      { version: "v2", configurable: { ctxstore: { keys: bob } } },
    )) {
      if (event.event === "on_custom_event" && event.name === TRACE_EVENT)
        traces.push(event.data as AssemblyTrace);
    }
    expect(traces).toHaveLength(1);
    expect(traces[0]?.keys).toEqual({ customer: "customerId=c-bob" });
    expect(traces[0]?.sources.find((source) => source.source === "order_status")?.status).toBe("empty");
  });

  describe("bad input", () => {
    it("a missing entity key skips the sources that need it, as core does (status and reason in the trace)", async () => {
      const traces: AssemblyTrace[] = [];
      for await (const event of contextRunnable({
        contextStore: fixture.store,
        budget: { maxTokens: 400 },
      }).streamEvents({ question: "Refund?" }, { version: "v2" })) {
        if (event.event === "on_custom_event" && event.name === TRACE_EVENT)
          traces.push(event.data as AssemblyTrace);
      }
      const direct = await fixture.store.assemble({ keys: {}, query: "Refund?", budget: { maxTokens: 400 } });
      expect(statuses(traces[0])).toEqual(statuses(direct.trace));
      expect(traces[0]?.sources.find((source) => source.source === "ticket_history")).toMatchObject({
        status: "skipped",
        reason: 'no "customer" key in the request',
      });
    });

    it("rejects input it cannot read a question from", async () => {
      const runnable = contextRunnable<unknown>({
        contextStore: fixture.store,
        keys: ada,
        budget: { maxTokens: 100 },
      });
      const error = await runnable.invoke(42).catch((caught: unknown) => caught);
      expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
      expect((error as Error).message).toContain("question string or an object");
    });

    it("rejects a wrong ctxstore shape in the input", async () => {
      const runnable = contextRunnable({ contextStore: fixture.store, budget: { maxTokens: 100 } });
      const error = await runnable
        .invoke({ question: "Refund?", ctxstore: { keys: ["c-ada"] } } as never)
        .catch((caught: unknown) => caught);
      expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
      expect((error as Error).message).toContain("input.ctxstore must be");
    });

    it("rejects bad options at construction", () => {
      expect(() => contextRunnable({ contextStore: fixture.store } as never)).toThrow(/budget/);
      expect(() =>
        contextRunnable({ contextStore: fixture.store, budget: { maxTokens: 10 }, key: ada } as never),
      ).toThrow(/Unrecognized key: "key"/);
      expect(() => contextRunnable({ budget: { maxTokens: 10 } } as never)).toThrow(/needs `contextStore`/);
      expect(() =>
        contextRunnable({
          contextStore: fixture.store,
          budget: { maxTokens: 10 },
          query: "question" as never,
        }),
      ).toThrow(/must be a function/);
    });
  });
});

function statuses(trace: AssemblyTrace | undefined) {
  return trace?.sources.map(({ source, status, reason }) => ({ source, status, reason }));
}
