// What a single call can set: the request function, providerOptions.ctxstore (budget, sources, query),
// and a budget derived from the context window left after the caller's prompt.

import { describe, expect, it } from "vitest";
import { contextTrace } from "../../src/index.js";
import { countPromptTokens } from "../../src/prompt.js";
import { KEYS } from "../fixture.js";
import { type MiddlewareSuite, QUESTION } from "./harness.js";

export function describePerCallInput(suite: MiddlewareSuite): void {
  const { sdk, expected, providerOptions, wrapped } = suite;

  describe("per-call input", () => {
    it("a request function of the call parameters replaces providerOptions", async () => {
      const seenTypes: string[] = [];
      const { mock, model } = wrapped({
        request: (params: { headers?: Record<string, string | undefined> }, type: string) => {
          seenTypes.push(type);
          const userId = params.headers?.["x-user-id"];
          return userId ? { keys: { user: { userId } }, query: "override query" } : null;
        },
      });
      const result = await sdk.generateText({
        model,
        prompt: QUESTION,
        headers: { "x-user-id": "ana" },
        maxRetries: 0,
      });
      expect(seenTypes).toEqual(["generate"]);
      expect(contextTrace(result.providerMetadata)).toMatchObject({
        keys: { user: "userId=ana" },
        query: "override query",
      });
      expect(mock.doGenerateCalls[0]?.prompt[0]?.role).toBe("system");
      // null: the model is called without context and without a trace.
      const plain = await sdk.generateText({ model, prompt: QUESTION, maxRetries: 0 });
      expect(mock.doGenerateCalls[1]?.prompt).toEqual([
        { role: "user", content: [{ type: "text", text: QUESTION }] },
      ]);
      expect(contextTrace(plain.providerMetadata)).toBeUndefined();
    });

    it("onAssembled receives each call's assembly before the model is called", async () => {
      const seen: Array<{ type: string; text: string; modelCalls: number }> = [];
      const { mock, model } = wrapped({
        onAssembled: (result: { text: string }, call: { type: string }) =>
          seen.push({ type: call.type, text: result.text, modelCalls: mock.doGenerateCalls.length }),
      });
      await sdk.generateText({ model, prompt: QUESTION, providerOptions, maxRetries: 0 });
      await sdk.streamText({ model, prompt: QUESTION, providerOptions, maxRetries: 0 }).text;
      expect(seen).toEqual([
        { type: "generate", text: expected.text, modelCalls: 0 },
        { type: "stream", text: expected.text, modelCalls: 1 },
      ]);
    });

    it("a key the selected sources need is absent: those sources are skipped, as in core", async () => {
      const { session: _session, ...withoutSession } = KEYS;
      const { model } = wrapped();
      const result = await sdk.generateText({
        model,
        prompt: QUESTION,
        providerOptions: { ctxstore: { keys: withoutSession } },
        maxRetries: 0,
      });
      const direct = await suite.ctx.assemble({
        keys: withoutSession,
        query: QUESTION,
        budget: { maxTokens: 400 },
      });
      const activity = contextTrace(result.providerMetadata)?.sources.find(
        (source) => source.source === "session_activity",
      );
      expect(activity).toMatchObject({ status: "skipped", reason: 'no "session" key in the request' });
      expect(direct.trace.sources.find((source) => source.source === "session_activity")).toMatchObject({
        status: activity?.status,
        reason: activity?.reason,
      });
    });

    it("the request is not forwarded to the provider; the caller's other provider options are, unchanged", async () => {
      const { mock, model } = wrapped();
      const openaiOptions = { user: "hashed-user-id", parallelToolCalls: false };
      await sdk.generateText({
        model,
        prompt: QUESTION,
        providerOptions: { ...providerOptions, openai: openaiOptions },
        maxRetries: 0,
      });
      expect(mock.doGenerateCalls[0]?.providerOptions).toEqual({ openai: openaiOptions });
      const streamed = sdk.streamText({ model, prompt: QUESTION, providerOptions, maxRetries: 0 });
      await streamed.text;
      expect(mock.doStreamCalls[0]?.providerOptions ?? {}).toEqual({});
    });

    it("per-call budget, sources and query from providerOptions.ctxstore", async () => {
      const { ctx } = suite;
      const { mock, model } = wrapped();
      const result = await sdk.generateText({
        model,
        prompt: QUESTION,
        providerOptions: {
          ctxstore: {
            keys: KEYS,
            budget: { maxTokens: 120 },
            sources: ["customer_profile", "live_stock"],
            query: "stock?",
          },
        },
        maxRetries: 0,
      });
      const assembly = contextTrace(result.providerMetadata);
      expect(assembly?.budget).toEqual({ maxTokens: 120 });
      expect(assembly?.query).toBe("stock?");
      expect(assembly?.sources.map((source) => source.source).sort()).toEqual([
        "customer_profile",
        "live_stock",
      ]);
      const contextText = mock.doGenerateCalls[0]?.prompt[0]?.content as string;
      expect(ctx.tokenizer.count(contextText)).toBeLessThanOrEqual(120);
      expect(contextText).not.toContain("## Loyalty");
    });

    it("a budget derived from the context window shrinks as the conversation grows", async () => {
      const { ctx } = suite;
      const window = { contextWindow: 1_000, reserveTokens: 20 };
      const { mock, model } = wrapped({ budget: window });
      const longTurn = "I run on rocky trails most weekends and I am looking at several models. ".repeat(40);
      const messages = [
        { role: "user", content: longTurn },
        { role: "assistant", content: "Noted." },
        { role: "user", content: QUESTION },
      ];
      const result = await sdk.generateText({
        model,
        system: "Be brief.",
        messages,
        providerOptions,
        maxOutputTokens: 300,
        maxRetries: 0,
      });
      const callerPrompt = (mock.doGenerateCalls[0]?.prompt ?? []).filter((_, index) => index !== 1);
      const promptTokens = countPromptTokens(callerPrompt, undefined, ctx.tokenizer, {
        tokensPerMessage: 4,
        tokensPerFile: 1024,
      }).total;
      const assembly = contextTrace(result.providerMetadata);
      expect(assembly?.budget.maxTokens).toBe(1_000 - promptTokens - 300 - 20 - 4);
      expect(promptTokens + 4 + (assembly?.totals.tokens ?? 0) + 300).toBeLessThanOrEqual(1_000);
      expect(assembly?.totals.tokens).toBeLessThan(expected.tokens);
    });
  });
}
