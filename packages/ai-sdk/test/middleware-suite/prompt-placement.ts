// Where the packed context lands in the prompt the model receives (system message or user prefix),
// through generateText, streamText and a tool loop, and how an unknown realtime value reads there.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { contextTrace } from "../../src/index.js";
import type { PromptMessage } from "../../src/prompt.js";
import { KEYS } from "../fixture.js";
import { echo, finishReason, usage } from "../sdk.js";
import { type MiddlewareSuite, QUESTION } from "./harness.js";

export function describePromptPlacement(suite: MiddlewareSuite): void {
  const { sdk, expected, providerOptions, middleware, wrapped, baselinePrompt } = suite;

  describe("the prompt the model received", () => {
    it("generateText: the packed context as a system message after the caller's system prompt, nothing else changed", async () => {
      const { mock, model } = wrapped();
      const call = {
        system: "You are the shop's assistant.",
        messages: [{ role: "user", content: QUESTION }],
      };
      const result = await sdk.generateText({ model, ...call, providerOptions, maxRetries: 0 });
      const baseline = await baselinePrompt(call);
      expect(mock.doGenerateCalls).toHaveLength(1);
      const received = mock.doGenerateCalls[0]?.prompt;
      expect(received).toEqual([
        baseline[0],
        { role: "system", content: expected.text },
        ...baseline.slice(1),
      ]);
      expect(expected.text).toContain("## Customer profile\nAna Lima. Trail runner, EU 42, wide feet.");
      expect(expected.text).toContain("Units by EU size: 42: 3, 43: 0");
      // The echo reply is exactly what the model saw.
      expect(result.text).toBe(echo(received as PromptMessage[]));
    });

    it("streamText: the same prompt, and the reply streams through untouched", async () => {
      const { mock, model } = wrapped();
      const call = {
        system: "You are the shop's assistant.",
        messages: [{ role: "user", content: QUESTION }],
      };
      const result = sdk.streamText({ model, ...call, providerOptions, maxRetries: 0 });
      const text = await result.text;
      const baseline = await baselinePrompt(call);
      expect(mock.doStreamCalls).toHaveLength(1);
      const received = mock.doStreamCalls[0]?.prompt;
      expect(received).toEqual([
        baseline[0],
        { role: "system", content: expected.text },
        ...baseline.slice(1),
      ]);
      expect(text).toBe(echo(received as PromptMessage[]));
    });

    it("keeps a multi-turn conversation intact and uses the last user message as the query", async () => {
      const { mock, model } = wrapped();
      const call = {
        system: "Be brief.",
        messages: [
          { role: "user", content: "Hi, I need running shoes." },
          { role: "assistant", content: "Happy to help! Road or trail?" },
          { role: "user", content: QUESTION },
        ],
      };
      const result = await sdk.generateText({ model, ...call, providerOptions, maxRetries: 0 });
      const baseline = await baselinePrompt(call);
      expect(mock.doGenerateCalls[0]?.prompt).toEqual([
        baseline[0],
        { role: "system", content: expected.text },
        ...baseline.slice(1),
      ]);
      expect(contextTrace(result.providerMetadata)?.query).toBe(QUESTION);
    });

    it("for any conversation, the model sees the caller's prompt plus exactly one context message (property)", async () => {
      const turn = fc.string({ minLength: 1, maxLength: 60 }).filter((text) => text.trim().length > 0);
      const conversation = fc.array(fc.tuple(turn, turn), { minLength: 0, maxLength: 4 }).chain((pairs) =>
        turn.map((last) => [
          ...pairs.flatMap(([question, answer]) => [
            { role: "user", content: question },
            { role: "assistant", content: answer },
          ]),
          { role: "user", content: last },
        ]),
      );
      // Without the slow loyalty lookup, so each run takes a couple of milliseconds.
      const fast = {
        ctxstore: { keys: KEYS, sources: ["customer_profile", "session_activity", "live_stock"] },
      };
      await fc.assert(
        fc.asyncProperty(fc.option(turn, { nil: undefined }), conversation, async (system, messages) => {
          const { mock, model } = wrapped();
          const call = { ...(system === undefined ? {} : { system }), messages };
          await sdk.generateText({ model, ...call, providerOptions: fast, maxRetries: 0 });
          const baseline = await baselinePrompt(call);
          const received = mock.doGenerateCalls[0]?.prompt ?? [];
          const at = system === undefined ? 0 : 1;
          expect(received).toHaveLength(baseline.length + 1);
          expect(received[at]?.role).toBe("system");
          expect(received.filter((_, index) => index !== at)).toEqual(baseline);
        }),
        { numRuns: 25 },
      );
    });

    it("a tool loop: every step carries the context exactly once, and each step has its own trace", async () => {
      const mock = sdk.mockModel({
        provider: "mock",
        modelId: "tool-caller",
        doGenerate: async (params: { prompt: PromptMessage[] }) =>
          params.prompt.some((message) => message.role === "tool")
            ? { content: [{ type: "text", text: echo(params.prompt) }], finishReason, usage, warnings: [] }
            : {
                content: [
                  {
                    type: "tool-call",
                    toolCallId: "call-1",
                    toolName: "checkStock",
                    input: JSON.stringify({ size: "42" }),
                  },
                ],
                finishReason: { unified: "tool-calls", raw: "tool_calls" },
                usage,
                warnings: [],
              },
      });
      const model = sdk.wrapLanguageModel({ model: mock, middleware: middleware() });
      const checkStock = sdk.tool({
        description: "Units in stock for a size",
        inputSchema: z.object({ size: z.string() }),
        execute: async ({ size }: { size: string }) => ({ size, units: 3 }),
      });
      const result = await sdk.generateText({
        model,
        system: "Be brief.",
        prompt: QUESTION,
        tools: { checkStock },
        stopWhen: sdk.stepCountIs(3),
        providerOptions,
        maxRetries: 0,
      });
      expect(mock.doGenerateCalls).toHaveLength(2);
      for (const call of mock.doGenerateCalls) {
        const contextMessages = call.prompt.filter(
          (message) => message.role === "system" && message.content === expected.text,
        );
        expect(contextMessages).toHaveLength(1);
        expect(call.prompt[1]).toEqual({ role: "system", content: expected.text });
      }
      expect(mock.doGenerateCalls[1]?.prompt.map((message) => message.role)).toEqual([
        "system",
        "system",
        "user",
        "assistant",
        "tool",
      ]);
      const traces = result.steps.map((step) => contextTrace(step.providerMetadata)?.id);
      expect(traces).toHaveLength(2);
      expect(new Set(traces).size).toBe(2);
      expect(contextTrace(result.providerMetadata)?.id).toBe(traces[1]);
    });

    it('placement "user-prefix": the context is prefixed to the last user message only', async () => {
      const { mock, model } = wrapped({ placement: "user-prefix" });
      const call = {
        system: "Be brief.",
        messages: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello!" },
          { role: "user", content: QUESTION },
        ],
      };
      await sdk.generateText({ model, ...call, providerOptions, maxRetries: 0 });
      const baseline = await baselinePrompt(call);
      const received = mock.doGenerateCalls[0]?.prompt as PromptMessage[];
      expect(received.slice(0, 3)).toEqual(baseline.slice(0, 3));
      const last = baseline[3] as Extract<PromptMessage, { content: ReadonlyArray<unknown> }>;
      expect(received[3]).toEqual({
        ...last,
        content: [{ type: "text", text: `${expected.text}\n\n` }, ...last.content],
      });
    });

    it("a realtime timeout reaches the model as an explicit unknown, never as an absence", async () => {
      const { mock, model } = wrapped();
      const result = await sdk.generateText({ model, prompt: QUESTION, providerOptions, maxRetries: 0 });
      const contextMessage = mock.doGenerateCalls[0]?.prompt[0];
      expect(contextMessage?.role).toBe("system");
      const text = contextMessage?.content as string;
      const loyaltyTrace = contextTrace(result.providerMetadata)?.sources.find(
        (source) => source.source === "loyalty_status",
      );
      expect(loyaltyTrace).toMatchObject({ status: "timeout", rendered: "note", outcome: "included" });
      const loyaltySection = text.slice(text.indexOf("## Loyalty"));
      expect(loyaltySection).toMatch(/loyalty status/i);
      expect(loyaltySection).toMatch(/unknown/i);
      expect(loyaltySection).not.toMatch(/status: none|no loyalty/i);
    });
  });
}
