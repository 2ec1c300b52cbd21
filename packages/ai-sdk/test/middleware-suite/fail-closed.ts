// Assembly failures (required source unavailable, abort, budget too small) reject the call before the
// model is called, for generateText and streamText alike.

import { isCtxError } from "@ctxstore/core";
import { describe, expect, it } from "vitest";
import { KEYS } from "../fixture.js";
import { type MiddlewareSuite, QUESTION, rejection } from "./harness.js";

export function describeFailClosed(suite: MiddlewareSuite): void {
  const { sdk, providerOptions, wrapped } = suite;

  describe("failing closed, before the model is called", () => {
    it("a required source that is unavailable rejects generateText with CTX_REQUIRED_UNAVAILABLE", async () => {
      const { mock, model } = wrapped();
      const error = await rejection(
        sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions: { ctxstore: { keys: { user: { userId: "ghost" } } } },
          maxRetries: 0,
        }),
      );
      expect(isCtxError(error, "CTX_REQUIRED_UNAVAILABLE")).toBe(true);
      expect((error as Error).message).toContain("customer_profile");
      expect(mock.doGenerateCalls).toHaveLength(0);
      expect(mock.doStreamCalls).toHaveLength(0);
    });

    it("streamText reports the same error and never opens the model stream", async () => {
      const { mock, model } = wrapped();
      const errors: unknown[] = [];
      const result = sdk.streamText({
        model,
        prompt: QUESTION,
        providerOptions: { ctxstore: { keys: { user: { userId: "ghost" } } } },
        maxRetries: 0,
        onError: ({ error }) => {
          errors.push(error);
        },
      });
      const parts: string[] = [];
      for await (const part of result.parts) parts.push(part.type);
      await expect(result.text).rejects.toThrow();
      expect(parts).toContain("error");
      expect(parts).not.toContain("text-delta");
      expect(errors.some((error) => isCtxError(error, "CTX_REQUIRED_UNAVAILABLE"))).toBe(true);
      expect(mock.doStreamCalls).toHaveLength(0);
      expect(mock.doGenerateCalls).toHaveLength(0);
    });

    it("a call aborted while its context is assembled never reaches the model", async () => {
      const { mock, model } = wrapped();
      const controller = new AbortController();
      // The loyalty lookup keeps the assembly busy for its 25 ms timeout; abort in the middle.
      setTimeout(() => controller.abort(new Error("the user closed the chat")), 5);
      const error = await rejection(
        sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions,
          abortSignal: controller.signal,
          maxRetries: 0,
        }),
      );
      expect(String(error)).toMatch(/closed the chat|abort/i);
      expect(mock.doGenerateCalls).toHaveLength(0);
    });

    it("a budget smaller than the required content is CTX_BUDGET_TOO_SMALL", async () => {
      const { mock, model } = wrapped();
      const error = await rejection(
        sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions: { ctxstore: { keys: KEYS, budget: { maxTokens: 3 } } },
          maxRetries: 0,
        }),
      );
      expect(isCtxError(error, "CTX_BUDGET_TOO_SMALL")).toBe(true);
      expect(mock.doGenerateCalls).toHaveLength(0);
    });

    it("a context window the prompt already fills is CTX_BUDGET_TOO_SMALL with the arithmetic", async () => {
      const { mock, model } = wrapped({ budget: { contextWindow: 200 } });
      const error = await rejection(
        sdk.generateText({ model, prompt: QUESTION, providerOptions, maxOutputTokens: 190, maxRetries: 0 }),
      );
      expect(isCtxError(error, "CTX_BUDGET_TOO_SMALL")).toBe(true);
      expect((error as Error).message).toContain("200-token window");
      expect(mock.doGenerateCalls).toHaveLength(0);
    });
  });
}
