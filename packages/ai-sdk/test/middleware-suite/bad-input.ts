// Malformed per-call input and middleware options: typed errors that name the expected shape, and the
// model is never called.

import { type CtxError, checkRequestLayer, isCtxError } from "@ctxstore/core";
import { describe, expect, it } from "vitest";
import { contextMiddleware, contextTrace } from "../../src/index.js";
import { KEYS } from "../fixture.js";
import { BUDGET, type MiddlewareSuite, QUESTION, rejection } from "./harness.js";

export function describeBadInput(suite: MiddlewareSuite): void {
  const { sdk, providerOptions, middleware, wrapped, baselinePrompt } = suite;

  describe("bad input", () => {
    it("missing providerOptions.ctxstore: CTX_INVALID_REQUEST naming the expected shape", async () => {
      const { mock, model } = wrapped();
      const error = await rejection(sdk.generateText({ model, prompt: QUESTION, maxRetries: 0 }));
      expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
      expect((error as Error).message).toContain("providerOptions: { ctxstore: { keys: { <entity>: <key> }");
      expect((error as Error).message).toContain('whenMissing: "pass-through"');
      expect(mock.doGenerateCalls).toHaveLength(0);
    });

    it('whenMissing: "pass-through" calls the model unchanged, without a trace', async () => {
      const { mock, model } = wrapped({ whenMissing: "pass-through" });
      const call = { system: "Be brief.", prompt: QUESTION };
      const result = await sdk.generateText({ model, ...call, maxRetries: 0 });
      expect(mock.doGenerateCalls[0]?.prompt).toEqual(await baselinePrompt(call));
      expect(contextTrace(result.providerMetadata)).toBeUndefined();
      expect(result.providerMetadata?.mock).toEqual({ echoed: true });
    });

    it.each([
      ["keys missing", { query: "x" }, "keys"],
      ["keys not an object", { keys: "ana" }, "keys"],
      ["a misspelt option", { keys: KEYS, maxToken: 100 }, "maxToken"],
      ["a bad duration", { keys: KEYS, deadline: "soon" }, "deadline"],
      ["a negative budget", { keys: KEYS, budget: { maxTokens: -1 } }, "maxTokens"],
    ])(
      "malformed providerOptions.ctxstore (%s): core's typed error and message, naming the shape and the field",
      async (_, ctxstore, field) => {
        const { mock, model } = wrapped();
        const error = await rejection(
          sdk.generateText({ model, prompt: QUESTION, providerOptions: { ctxstore }, maxRetries: 0 }),
        );
        // Exactly what core's check says of the same layer (CTX_INVALID_BUDGET for the budget alone).
        const expected = (await rejection(
          Promise.resolve().then(() =>
            checkRequestLayer(ctxstore, "providerOptions.ctxstore", { requireKeys: true }),
          ),
        )) as CtxError;
        expect(isCtxError(error, expected.code)).toBe(true);
        expect((error as Error).message).toBe(expected.message);
        expect((error as Error).message).toContain(
          "providerOptions.ctxstore must be { keys: { <entity>: <key> }",
        );
        expect((error as Error).message).toContain(field);
        expect(mock.doGenerateCalls).toHaveLength(0);
      },
    );

    it("keys for an unknown entity: CTX_UNKNOWN_ENTITY", async () => {
      const { mock, model } = wrapped();
      const error = await rejection(
        sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions: { ctxstore: { keys: { ...KEYS, tenant: { id: "t1" } } } },
          maxRetries: 0,
        }),
      );
      expect(isCtxError(error, "CTX_UNKNOWN_ENTITY")).toBe(true);
      expect((error as Error).message).toContain("tenant");
      expect(mock.doGenerateCalls).toHaveLength(0);
    });

    it("a key that fails its entity's schema: CTX_INVALID_KEY", async () => {
      const { mock, model } = wrapped();
      const error = await rejection(
        sdk.generateText({
          model,
          prompt: QUESTION,
          providerOptions: { ctxstore: { keys: { user: { id: 7 } } } },
          maxRetries: 0,
        }),
      );
      expect(isCtxError(error, "CTX_INVALID_KEY")).toBe(true);
      expect(mock.doGenerateCalls).toHaveLength(0);
    });

    it("a prompt with no user message: CTX_INVALID_REQUEST unless the query is given", async () => {
      const { mock, model } = wrapped();
      const messages = [{ role: "assistant", content: "Welcome back! Anything I can help with?" }];
      const error = await rejection(
        sdk.generateText({ model, system: "Be brief.", messages, providerOptions, maxRetries: 0 }),
      );
      expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
      expect((error as Error).message).toContain("no user message");
      expect(mock.doGenerateCalls).toHaveLength(0);
      const withQuery = { ctxstore: { keys: KEYS, query: QUESTION } };
      const result = await sdk.generateText({
        model,
        system: "Be brief.",
        messages,
        providerOptions: withQuery,
        maxRetries: 0,
      });
      expect(contextTrace(result.providerMetadata)?.query).toBe(QUESTION);
    });

    it("a request function returning undefined: CTX_INVALID_REQUEST, the model is not called", async () => {
      const { mock, model } = wrapped({ request: () => undefined });
      const error = await rejection(sdk.generateText({ model, prompt: QUESTION, maxRetries: 0 }));
      expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
      expect((error as Error).message).toContain("returned undefined");
      expect(mock.doGenerateCalls).toHaveLength(0);
    });

    it('placement "user-prefix" with no user message: CTX_INVALID_REQUEST even with a query', async () => {
      const { mock, model } = wrapped({ placement: "user-prefix" });
      const messages = [{ role: "assistant", content: "Welcome back!" }];
      const withQuery = { ctxstore: { keys: KEYS, query: QUESTION } };
      const error = await rejection(
        sdk.generateText({
          model,
          system: "Be brief.",
          messages,
          providerOptions: withQuery,
          maxRetries: 0,
        }),
      );
      expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
      expect((error as Error).message).toContain('placement: "system"');
      expect(mock.doGenerateCalls).toHaveLength(0);
    });

    it("bad middleware options fail at construction with CTX_CONFIG", () => {
      for (const options of [
        { budget: undefined },
        { budget: {} },
        { placement: "footer" },
        { whenMissing: "ignore" },
        { request: "user" },
        { deadline: "soon" },
        { providerKey: "two words" },
        { telemetry: { enabled: "yes" } },
      ]) {
        let caught: unknown;
        try {
          middleware(options);
        } catch (error) {
          caught = error;
        }
        expect(isCtxError(caught), JSON.stringify(options)).toBe(true);
      }
      expect(() => contextMiddleware({ budget: BUDGET } as never)).toThrow(
        /`contextStore` must be a ContextStore/,
      );
    });
  });
}
