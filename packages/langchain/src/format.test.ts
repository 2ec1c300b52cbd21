// The rendering format chosen per call (#15): `markdown` or `xml` in `configurable.ctxstore`, an
// agent's `context.ctxstore` or the input, whatever the adapter's default; every adapter of this
// package hands it to core, and an unknown one fails with what to use.
import { isCtxError } from "@ctxstore/core";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { createAgent, MiddlewareError } from "langchain";
import { beforeAll, describe, expect, it } from "vitest";
import { ADA_CONTEXT, type SupportFixture, supportFixture } from "../test/support-store.js";
import { contextMiddleware } from "./middleware.js";
import { ContextStoreRetriever } from "./retriever.js";
import { contextRunnable } from "./runnable.js";

let fixture: SupportFixture;
beforeAll(async () => {
  fixture = await supportFixture();
});

const ada = { customer: { customerId: "c-ada" } };
const question = "When will my refund arrive?";
const budget = { maxTokens: 400 };

/** The section elements of an xml-format context, in order, as [name, tier, status]. */
function xmlSections(text: string): string[][] {
  return [...text.matchAll(/^<section name="([^"]*)" tier="([a-z]+)" status="([a-z]+)">$/gm)].map((match) =>
    match.slice(1),
  );
}

const ADA_SECTIONS = [
  ["Customer", "batch", "complete"],
  ["Recent messages", "stream", "complete"],
  ["Help center", "vector", "complete"],
  ["Orders", "realtime", "complete"],
];

describe("format per call", () => {
  it("contextRunnable: configurable.ctxstore.format and the input's ctxstore.format choose xml for one call", async () => {
    const runnable = contextRunnable({ contextStore: fixture.store, keys: ada, budget });
    const xml = await runnable.invoke(question, { configurable: { ctxstore: { format: "xml" } } });
    expect(xmlSections(xml)).toEqual(ADA_SECTIONS);
    expect(xml).toContain("- Summary: Waiting on a refund for order A-100.\n</section>\n");
    expect(xml).not.toContain("## ");
    const fromInput = await runnable.invoke({ question, ctxstore: { format: "xml" } } as never);
    expect(fromInput).toBe(xml);
    // The next call without it is markdown again: a call's format does not stick.
    expect(await runnable.invoke(question)).toBe(ADA_CONTEXT);
  });

  it("contextRunnable: a call's markdown wins over an xml layer below it", async () => {
    const runnable = contextRunnable({ contextStore: fixture.store, keys: ada, budget });
    const text = await runnable.invoke({ question, ctxstore: { format: "markdown" } } as never, {
      configurable: { ctxstore: { format: "xml" } },
    });
    expect(text).toBe(ADA_CONTEXT);
  });

  it("ContextStoreRetriever: Documents carry the xml text of their source, without section tags", async () => {
    const retriever = new ContextStoreRetriever({ contextStore: fixture.store, keys: ada, budget });
    const markdown = await retriever.invoke(question);
    const xml = await retriever.invoke(question, { configurable: { ctxstore: { format: "xml" } } });
    expect(xml.map((document) => document.metadata.source)).toEqual(
      markdown.map((document) => document.metadata.source),
    );
    // This store's values hold nothing XML escapes, so each source's text is the same in both formats.
    expect(xml.map((document) => document.pageContent)).toEqual(
      markdown.map((document) => document.pageContent),
    );
    for (const document of xml) expect(document.pageContent).not.toMatch(/<\/?section/);
  });

  it("contextMiddleware: the agent's context.ctxstore.format puts xml into the system prompt", async () => {
    const model = fakeModel().respond(new AIMessage("ok"));
    const agent = createAgent({
      model,
      systemPrompt: "You are a support agent.",
      middleware: [contextMiddleware({ contextStore: fixture.store, budget })],
    });
    await agent.invoke(
      { messages: [new HumanMessage(question)] },
      { context: { ctxstore: { keys: ada, format: "xml" } } },
    );
    const system = model.calls[0]?.messages[0]?.text ?? "";
    expect(system.startsWith("You are a support agent.\n\n<section ")).toBe(true);
    expect(xmlSections(system)).toEqual(ADA_SECTIONS);
  });

  it("an unknown format fails the call with a typed error naming markdown and xml", async () => {
    const runnable = contextRunnable({ contextStore: fixture.store, keys: ada, budget });
    const error = await runnable.invoke(question, { configurable: { ctxstore: { format: "html" } } }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isCtxError(error)).toBe(true);
    expect((error as Error).message).toMatch(/format/);
    expect((error as Error).message).toMatch(/markdown/);
    expect((error as Error).message).toMatch(/xml/);
    const model = fakeModel().respond(new AIMessage("ok"));
    const agent = createAgent({
      model,
      middleware: [contextMiddleware({ contextStore: fixture.store, budget })],
    });
    const agentError = await agent
      .invoke(
        { messages: [new HumanMessage(question)] },
        { context: { ctxstore: { keys: ada, format: "html" } } },
      )
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(MiddlewareError.isInstance(agentError)).toBe(true);
    expect(isCtxError((agentError as Error).cause)).toBe(true);
  });
});
