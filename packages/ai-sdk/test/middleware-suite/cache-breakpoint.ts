// The prompt-cache breakpoint: with `cacheBreakpoint: "anthropic"` the model receives the context as
// two system messages, the batch-only prefix marked with Anthropic's cacheControl and the rest, whose
// texts join to exactly what the store packed; without it, one unmarked message as before.

import { isCtxError } from "@ctxstore/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contextMiddleware, contextTrace } from "../../src/index.js";
import type { PromptMessage } from "../../src/prompt.js";
import { KEYS } from "../fixture.js";
import { BUDGET, type MiddlewareSuite, QUESTION, rejection } from "./harness.js";

const MARK = { anthropic: { cacheControl: { type: "ephemeral" } } };

export function describeCacheBreakpoint(suite: MiddlewareSuite): void {
  const { sdk, expected, providerOptions, wrapped, baselinePrompt } = suite;
  const call = { system: "You are the shop's assistant.", messages: [{ role: "user", content: QUESTION }] };

  describe("prompt-cache breakpoint", () => {
    it('"anthropic": the batch prefix as a marked system message, then the rest, after the caller\'s system prompt', async () => {
      const { mock, model } = wrapped({ cacheBreakpoint: "anthropic" });
      await sdk.generateText({ model, ...call, providerOptions, maxRetries: 0 });
      const baseline = await baselinePrompt(call);
      const profile = expected.sections[0];
      expect(profile?.title).toBe("Customer profile");
      const stable = profile?.text as string;
      expect(stable).toBe("## Customer profile\nAna Lima. Trail runner, EU 42, wide feet.\n");
      const received = mock.doGenerateCalls[0]?.prompt;
      expect(received).toEqual([
        baseline[0],
        { role: "system", content: stable, providerOptions: MARK },
        { role: "system", content: expected.text.slice(stable.length) },
        ...baseline.slice(1),
      ]);
      // Byte for byte what the store packed: nothing added at the seam, nothing lost.
      expect(`${received?.[1]?.content}${received?.[2]?.content}`).toBe(expected.text);
      expect(received?.[2]?.content).toMatch(/^## This session\n/);
    });

    it("streamText: the same two messages", async () => {
      const { mock, model } = wrapped({ cacheBreakpoint: "anthropic" });
      await sdk.streamText({ model, ...call, providerOptions, maxRetries: 0 }).text;
      const received = mock.doStreamCalls[0]?.prompt as PromptMessage[];
      expect(received.map((message) => message.role)).toEqual(["system", "system", "system", "user"]);
      expect(received[1]?.providerOptions).toEqual(MARK);
      expect(received[2]?.providerOptions).toBeUndefined();
      expect(`${received[1]?.content}${received[2]?.content}`).toBe(expected.text);
    });

    it('default ("none"): one unmarked system message, as OpenAI\'s automatic prefix caching needs', async () => {
      for (const options of [{}, { cacheBreakpoint: "none" }]) {
        const { mock, model } = wrapped(options);
        await sdk.generateText({ model, ...call, providerOptions, maxRetries: 0 });
        const baseline = await baselinePrompt(call);
        expect(mock.doGenerateCalls[0]?.prompt).toEqual([
          baseline[0],
          { role: "system", content: expected.text },
          ...baseline.slice(1),
        ]);
      }
    });

    it("a call's providerOptions.ctxstore.cacheBreakpoint overrides the middleware's, and is not sent to the provider", async () => {
      const on = wrapped();
      await sdk.generateText({
        model: on.model,
        ...call,
        providerOptions: { ctxstore: { keys: KEYS, cacheBreakpoint: "anthropic" }, other: { kept: true } },
        maxRetries: 0,
      });
      const marked = on.mock.doGenerateCalls[0];
      expect(marked?.prompt[1]?.providerOptions).toEqual(MARK);
      expect(marked?.providerOptions).toEqual({ other: { kept: true } });

      const off = wrapped({ cacheBreakpoint: "anthropic" });
      const result = await sdk.generateText({
        model: off.model,
        ...call,
        providerOptions: { ctxstore: { keys: KEYS, cacheBreakpoint: "none" } },
        maxRetries: 0,
      });
      expect(off.mock.doGenerateCalls[0]?.prompt[1]).toEqual({ role: "system", content: expected.text });
      expect(contextTrace(result.providerMetadata)?.sources.length).toBeGreaterThan(0);
    });

    it("no batch section in the packed context: one unmarked message (nothing stable to cache)", async () => {
      const { mock, model } = wrapped({ cacheBreakpoint: "anthropic" });
      await sdk.generateText({
        model,
        ...call,
        providerOptions: { ctxstore: { keys: KEYS, sources: ["session_activity", "live_stock"] } },
        maxRetries: 0,
      });
      const received = mock.doGenerateCalls[0]?.prompt as PromptMessage[];
      expect(received).toHaveLength(3);
      expect(received[1]?.role).toBe("system");
      expect(received[1]?.providerOptions).toBeUndefined();
      expect(received[1]?.content).toMatch(/^## This session\n/);
    });

    it("for any selection of the shop's sources, the context messages join to the store's own packing of that request (property)", async () => {
      const names = ["customer_profile", "session_activity", "live_stock"];
      await fc.assert(
        fc.asyncProperty(fc.subarray(names, { minLength: 1 }), async (sources) => {
          const { mock, model } = wrapped({ cacheBreakpoint: "anthropic" });
          await sdk.generateText({
            model,
            prompt: QUESTION,
            providerOptions: { ctxstore: { keys: KEYS, sources } },
            maxRetries: 0,
          });
          const own = await suite.ctx.assemble({ keys: KEYS, query: QUESTION, budget: BUDGET, sources });
          const received = mock.doGenerateCalls[0]?.prompt as PromptMessage[];
          const context = received.filter((message) => message.role === "system");
          expect(context.map((message) => message.content).join("")).toBe(own.text);
          expect(context[0]?.providerOptions).toEqual(
            sources.includes("customer_profile") ? MARK : undefined,
          );
          expect(context.length).toBe(sources.includes("customer_profile") && sources.length > 1 ? 2 : 1);
        }),
        { numRuns: 15 },
      );
    });

    it('bad input: an unknown value, or "anthropic" with placement "user-prefix", fails before the model is called', async () => {
      expect(() =>
        contextMiddleware({
          contextStore: suite.ctx,
          budget: BUDGET,
          cacheBreakpoint: "openai" as never,
        }),
      ).toThrow(/cacheBreakpoint.*"anthropic" or "none"; got "openai"/);
      const config = (() => {
        try {
          contextMiddleware({
            contextStore: suite.ctx,
            budget: BUDGET,
            placement: "user-prefix",
            cacheBreakpoint: "anthropic",
          });
        } catch (error) {
          return error;
        }
      })();
      expect(isCtxError(config, "CTX_CONFIG")).toBe(true);
      expect((config as Error).message).toContain('needs placement: "system"');

      const { mock, model } = wrapped({ placement: "user-prefix" });
      for (const cacheBreakpoint of ["anthropic", "yes", 1]) {
        const error = await rejection(
          sdk.generateText({
            model,
            prompt: QUESTION,
            providerOptions: { ctxstore: { keys: KEYS, cacheBreakpoint } },
            maxRetries: 0,
          }),
        );
        expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
        expect((error as Error).message).toContain("providerOptions.ctxstore.cacheBreakpoint");
      }
      expect(mock.doGenerateCalls).toHaveLength(0);
    });
  });
}
