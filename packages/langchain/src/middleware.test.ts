import { type AssemblyTrace, isCtxError } from "@ctxstore/core";
import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { createAgent, MiddlewareError, tool } from "langchain";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ADA_CONTEXT, type SupportFixture, supportFixture } from "../test/support-store.js";
import { contextMiddleware } from "./middleware.js";
import { TRACE_EVENT } from "./trace-event.js";

let fixture: SupportFixture;
beforeAll(async () => {
  fixture = await supportFixture();
});

const ada = { customer: { customerId: "c-ada" } };
const bob = { customer: { customerId: "c-bob" } };

function agentWith(
  model: ReturnType<typeof fakeModel>,
  options: { tools?: Parameters<typeof createAgent>[0]["tools"] } = {},
) {
  return createAgent({
    model,
    systemPrompt: "You are a support agent.",
    tools: options.tools ?? [],
    middleware: [contextMiddleware({ contextStore: fixture.store, budget: { maxTokens: 400 } })],
  });
}

/** langchain wraps errors thrown by middleware in a MiddlewareError whose `cause` is the original. */
function ctxErrorOf(error: unknown): unknown {
  expect(MiddlewareError.isInstance(error)).toBe(true);
  return (error as Error).cause;
}

describe("contextMiddleware", () => {
  it("appends the exact packed context to the system prompt the model receives", async () => {
    const model = fakeModel().respond(new AIMessage("Your refund was approved."));
    const result = await agentWith(model).invoke(
      { messages: [new HumanMessage("When will my refund arrive?")] },
      { context: { ctxstore: { keys: ada } } },
    );
    expect(result.messages.at(-1)?.content).toBe("Your refund was approved.");
    const messages = model.calls[0]?.messages ?? [];
    expect(messages.map((message) => message.constructor)).toEqual([SystemMessage, HumanMessage]);
    // createAgent keeps the system prompt as content blocks; the context arrives as one more text block.
    expect(messages[0]?.text).toBe(`You are a support agent.\n\n${ADA_CONTEXT}`);
    expect(messages[0]?.content).toEqual([
      { type: "text", text: "You are a support agent." },
      { type: "text", text: `\n\n${ADA_CONTEXT}` },
    ]);
    expect(messages[1]?.content).toBe("When will my refund arrive?");
    // The context lives in the model call only: the agent's history holds no copy of it.
    expect(result.messages.map((message) => String(message.content)).join("\n")).not.toContain("## Customer");
  });

  it("keeps a string system prompt a string, and adds one when the agent has none", async () => {
    for (const [systemPrompt, expected] of [
      [new SystemMessage("Be brief."), `Be brief.\n\n${ADA_CONTEXT}`],
      [undefined, ADA_CONTEXT],
    ] as const) {
      const model = fakeModel().respond(new AIMessage("ok"));
      const agent = createAgent({
        model,
        ...(systemPrompt ? { systemPrompt } : {}),
        middleware: [contextMiddleware({ contextStore: fixture.store, budget: { maxTokens: 400 } })],
      });
      await agent.invoke(
        { messages: [new HumanMessage("When will my refund arrive?")] },
        { context: { ctxstore: { keys: ada } } },
      );
      const [system] = model.calls[0]?.messages ?? [];
      expect(SystemMessage.isInstance(system)).toBe(true);
      expect(system?.content).toBe(expected);
    }
  });

  it("uses the query and format options", async () => {
    const model = fakeModel().respond(new AIMessage("ok")).respond(new AIMessage("ok"));
    const formats: string[] = [];
    const agent = createAgent({
      model,
      systemPrompt: new SystemMessage("Be brief."),
      middleware: [
        contextMiddleware({
          contextStore: fixture.store,
          budget: { maxTokens: 400 },
          sources: ["help_center"],
          query: () => "shipping times",
          format: (packed) => {
            formats.push(packed.trace.query ?? "");
            return formats.length === 1 ? `<context>\n${packed.text}</context>` : "";
          },
        }),
      ],
    });
    await agent.invoke({ messages: [new HumanMessage("Hello")] });
    await agent.invoke({ messages: [new HumanMessage("Hello again")] });
    expect(formats).toEqual(["shipping times", "shipping times"]);
    const [first, second] = model.calls.map((call) => call.messages[0]?.content);
    expect(first).toBe(
      "Be brief.\n\n<context>\n## Help center\n- Shipping times: Standard shipping takes 3 to 5 days; express ships next day.\n- Password reset: Reset a forgotten password from the sign-in page with the email link.\n</context>",
    );
    // An empty format result adds nothing.
    expect(second).toBe("Be brief.");
  });

  it("assembles fresh context for every model call of a tool loop", async () => {
    const checkOrder = tool(
      async () => {
        // The orders service goes down between the two model calls.
        fixture.orderLookupDown = true;
        return "lookup queued";
      },
      { name: "check_order", description: "Re-checks the order.", schema: z.object({}) },
    );
    const model = fakeModel()
      .respondWithTools([{ name: "check_order", args: {}, id: "call-1" }])
      .respond(new AIMessage("I could not reach the orders system."));
    try {
      await agentWith(model, { tools: [checkOrder] }).invoke(
        { messages: [new HumanMessage("Where is my order?")] },
        { configurable: { ctxstore: { keys: ada } } },
      );
    } finally {
      fixture.orderLookupDown = false;
    }
    expect(model.calls).toHaveLength(2);
    const [first, second] = model.calls.map((call) => call.messages[0]?.text ?? "");
    expect(first).toContain("## Orders\n- order: A-100\n- state: refund approved\n");
    expect(second).toContain(
      "## Orders\nOrder status: unknown — the lookup failed. Do not assume there is none.\n",
    );
    expect(second).toContain("- Plan: Pro");
    // Exactly one system message per call: the context is not stacked up across steps.
    for (const call of model.calls) {
      expect(call.messages.filter((message) => SystemMessage.isInstance(message))).toHaveLength(1);
    }
  });

  it("gives each concurrent invocation its own customer's context", async () => {
    const model = fakeModel();
    for (let index = 0; index < 4; index++) model.respond(new AIMessage("ok"));
    const agent = agentWith(model);
    const customers = ["c-ada", "c-bob", "c-bob", "c-ada"];
    await Promise.all(
      customers.map((customerId) =>
        agent.invoke(
          { messages: [new HumanMessage(`Question from ${customerId}`)] },
          { context: { ctxstore: { keys: { customer: { customerId } } } } },
        ),
      ),
    );
    expect(model.calls).toHaveLength(4);
    for (const call of model.calls) {
      const system = call.messages[0]?.text ?? "";
      const question = call.messages[1]?.text ?? "";
      const isAda = question.endsWith("c-ada");
      expect(system.includes("Plan: Pro")).toBe(isAda);
      expect(system.includes("Plan: Free")).toBe(!isAda);
    }
  });

  it("emits the trace as a custom event in the agent's streamEvents", async () => {
    const agent = agentWith(fakeModel().respond(new AIMessage("ok")));
    const traces: AssemblyTrace[] = [];
    for await (const event of agent.streamEvents(
      { messages: [new HumanMessage("Shipping?")] },
      { version: "v2", context: { ctxstore: { keys: bob } } },
    )) {
      if (event.event === "on_custom_event" && event.name === TRACE_EVENT)
        traces.push(event.data as AssemblyTrace);
    }
    expect(traces).toHaveLength(1);
    expect(traces[0]?.keys).toEqual({ customer: "customerId=c-bob" });
    expect(traces[0]?.query).toBe("Shipping?");
  });

  describe("bad input", () => {
    it("a missing entity key skips the sources that need it, as core does", async () => {
      const model = fakeModel().respond(new AIMessage("ok"));
      const traces: AssemblyTrace[] = [];
      for await (const event of agentWith(model).streamEvents(
        { messages: [new HumanMessage("Refund?")] },
        { version: "v2" },
      )) {
        if (event.event === "on_custom_event" && event.name === TRACE_EVENT)
          traces.push(event.data as AssemblyTrace);
      }
      expect(traces[0]?.sources.find((source) => source.source === "ticket_history")).toMatchObject({
        status: "skipped",
        reason: 'no "customer" key in the request',
      });
      expect(model.calls[0]?.messages[0]?.text).not.toContain("Plan: Pro");
    });

    it("rejects a wrong context shape", async () => {
      const error = await agentWith(fakeModel().respond(new AIMessage("unused")))
        .invoke({ messages: [new HumanMessage("Refund?")] }, { context: { ctxstore: { keys: "c-ada" } } })
        .then(() => undefined, ctxErrorOf);
      expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
      expect((error as Error).message).toContain("context.ctxstore must be");
    });

    it("rejects bad options at construction", () => {
      expect(() => contextMiddleware({ contextStore: fixture.store } as never)).toThrow(/budget/);
      expect(() =>
        contextMiddleware({
          contextStore: fixture.store,
          budget: { maxTokens: 10 },
          format: "text" as never,
        }),
      ).toThrow(/`format` must be a function/);
    });
  });
});
