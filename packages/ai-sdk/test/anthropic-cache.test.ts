// The cache breakpoint as Anthropic receives it: the real `@ai-sdk/anthropic` provider turns the
// middleware's marked system message into the `cache_control` of that system block in the Messages
// API request. The network is replaced by a local `fetch` that records the request body and answers
// like the API; nothing leaves the machine.
import { createAnthropic } from "@ai-sdk/anthropic";
import type { ContextStore } from "@ctxstore/core";
import { generateText, wrapLanguageModel } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextMiddleware } from "../src/index.js";
import { createShop, KEYS } from "./fixture.js";

const QUESTION = "Do you have the Trail Runner X in my size?";
const SYSTEM = "You are the shop's assistant.";
let ctx: ContextStore;

beforeAll(async () => {
  ctx = await createShop();
});
afterAll(async () => {
  await ctx.close();
});

/** An Anthropic provider whose requests are recorded and answered locally. */
function recordingAnthropic() {
  const bodies: Array<{ system?: Array<{ type: string; text: string; cache_control?: unknown }> }> = [];
  const anthropic = createAnthropic({
    apiKey: "test-key",
    baseURL: "http://anthropic.test/v1",
    fetch: async (_url, init) => {
      bodies.push(JSON.parse(String(init?.body)));
      return Response.json({
        id: "msg_test",
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4-5",
        content: [{ type: "text", text: "We have size 42 in stock." }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 120, output_tokens: 8 },
      });
    },
  });
  return { anthropic, bodies };
}

describe("cacheBreakpoint through @ai-sdk/anthropic", () => {
  it('"anthropic": the stable prefix is a system block with cache_control ephemeral; the rest follows unmarked', async () => {
    const { anthropic, bodies } = recordingAnthropic();
    const expected = await ctx.assemble({ keys: KEYS, query: QUESTION, budget: { maxTokens: 400 } });
    const stable = expected.sections[0]?.text as string;
    const model = wrapLanguageModel({
      model: anthropic("claude-sonnet-4-5"),
      middleware: contextMiddleware({
        contextStore: ctx,
        budget: { maxTokens: 400 },
        cacheBreakpoint: "anthropic",
      }),
    });
    await generateText({
      model,
      instructions: SYSTEM,
      prompt: QUESTION,
      providerOptions: { ctxstore: { keys: KEYS } },
      maxRetries: 0,
    });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.system).toEqual([
      { type: "text", text: SYSTEM },
      { type: "text", text: stable, cache_control: { type: "ephemeral" } },
      { type: "text", text: expected.text.slice(stable.length) },
    ]);
  });

  it('"none" (default): one context block, no cache_control anywhere', async () => {
    const { anthropic, bodies } = recordingAnthropic();
    const model = wrapLanguageModel({
      model: anthropic("claude-sonnet-4-5"),
      middleware: contextMiddleware({ contextStore: ctx, budget: { maxTokens: 400 } }),
    });
    await generateText({
      model,
      instructions: SYSTEM,
      prompt: QUESTION,
      providerOptions: { ctxstore: { keys: KEYS } },
      maxRetries: 0,
    });
    expect(bodies[0]?.system).toHaveLength(2);
    expect(JSON.stringify(bodies[0])).not.toContain("cache_control");
  });
});
