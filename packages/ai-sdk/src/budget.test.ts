import { isCtxError, loadEncoding, tiktokenTokenizer } from "@ctxstore/core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { decideBudget, resolveBudgetOptions } from "./budget.js";
import { countPromptTokens, type PromptMessage } from "./prompt.js";

const tokenizer = tiktokenTokenizer("o200k_base");
beforeAll(() => loadEncoding("o200k_base"));

const prompt: PromptMessage[] = [
  { role: "system", content: "You are a helpful shop assistant." },
  { role: "user", content: [{ type: "text", text: "Do you have trail shoes in size 44?" }] },
];
const base = { prompt, tools: undefined, placement: "system" as const, requestedMaxTokens: undefined };

describe("resolveBudgetOptions", () => {
  it.each([
    [undefined, "`budget` is required"],
    [{}, "needs `maxTokens`"],
    [{ maxTokens: 0 }, "`budget.maxTokens` must be a positive integer"],
    [{ maxTokens: 1.5 }, "`budget.maxTokens` must be a positive integer"],
    [{ contextWindow: -1 }, "`budget.contextWindow` must be a positive integer"],
    [{ contextWindow: 1000, reserveTokens: -5 }, "`budget.reserveTokens` must be a non-negative integer"],
  ])("rejects %j with CTX_CONFIG", (budget, message) => {
    expect(() => resolveBudgetOptions(budget as never)).toThrow(message);
    try {
      resolveBudgetOptions(budget as never);
    } catch (error) {
      expect(isCtxError(error, "CTX_CONFIG")).toBe(true);
    }
  });
});

describe("decideBudget", () => {
  it("uses a fixed budget as given, and a per-call maxTokens instead of it", () => {
    const options = resolveBudgetOptions({ maxTokens: 800 });
    expect(decideBudget(options, { ...base, maxOutputTokens: undefined }, tokenizer)).toEqual({
      maxTokens: 800,
    });
    expect(
      decideBudget(options, { ...base, maxOutputTokens: undefined, requestedMaxTokens: 120 }, tokenizer),
    ).toEqual({ maxTokens: 120 });
  });

  it("derives the budget from the window minus prompt, output, headroom and framing", () => {
    const options = resolveBudgetOptions({ contextWindow: 8000, reserveTokens: 50 });
    const promptTokens = countPromptTokens(prompt, undefined, tokenizer, options).total;
    const decision = decideBudget(options, { ...base, maxOutputTokens: 500 }, tokenizer);
    expect(decision.maxTokens).toBe(8000 - promptTokens - 500 - 50 - 4);
    expect(decision.derivation).toEqual({
      contextWindow: 8000,
      promptTokens,
      outputTokens: 500,
      reserveTokens: 50,
      framingTokens: 4,
    });
    // Without maxOutputTokens on the call, the configured default reply size is kept free.
    expect(decideBudget(options, { ...base, maxOutputTokens: undefined }, tokenizer).maxTokens).toBe(
      8000 - promptTokens - 1024 - 50 - 4,
    );
  });

  it("keeps framing for two system messages when the context is split at a cache breakpoint", () => {
    const options = resolveBudgetOptions({ contextWindow: 8000, reserveTokens: 50 });
    const one = decideBudget(options, { ...base, maxOutputTokens: 500 }, tokenizer);
    const two = decideBudget(options, { ...base, maxOutputTokens: 500, contextMessages: 2 }, tokenizer);
    expect(two.derivation?.framingTokens).toBe(8);
    expect(two.maxTokens).toBe(one.maxTokens - 4);
  });

  it("caps a fixed or per-call budget at what the window leaves", () => {
    const options = resolveBudgetOptions({ contextWindow: 2000, maxTokens: 100_000, reserveTokens: 0 });
    const free = decideBudget(options, { ...base, maxOutputTokens: 1000 }, tokenizer).maxTokens;
    expect(free).toBeLessThan(1000);
    expect(
      decideBudget(options, { ...base, maxOutputTokens: 1000, requestedMaxTokens: 10 }, tokenizer).maxTokens,
    ).toBe(10);
    expect(
      decideBudget(options, { ...base, maxOutputTokens: 1000, requestedMaxTokens: 5000 }, tokenizer)
        .maxTokens,
    ).toBe(free);
  });

  it("throws CTX_BUDGET_TOO_SMALL with the arithmetic when the prompt leaves no room", () => {
    const options = resolveBudgetOptions({ contextWindow: 100 });
    expect(() => decideBudget(options, { ...base, maxOutputTokens: 90 }, tokenizer)).toThrow(
      /No room for context: the 100-token window/,
    );
    try {
      decideBudget(options, { ...base, maxOutputTokens: 90 }, tokenizer);
    } catch (error) {
      expect(isCtxError(error, "CTX_BUDGET_TOO_SMALL")).toBe(true);
    }
  });

  it("prompt + context + reply never exceed the window (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 200 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 0, max: 4_000 }),
        (texts, contextWindow, maxOutputTokens) => {
          const conversation: PromptMessage[] = texts.map((text) => ({
            role: "user",
            content: [{ type: "text", text }],
          }));
          const options = resolveBudgetOptions({ contextWindow });
          const promptTokens = countPromptTokens(conversation, undefined, tokenizer, options).total;
          try {
            const { maxTokens } = decideBudget(
              options,
              { ...base, prompt: conversation, maxOutputTokens },
              tokenizer,
            );
            expect(maxTokens).toBeGreaterThanOrEqual(1);
            expect(promptTokens + options.tokensPerMessage + maxTokens + maxOutputTokens).toBeLessThanOrEqual(
              contextWindow,
            );
          } catch (error) {
            expect(isCtxError(error, "CTX_BUDGET_TOO_SMALL")).toBe(true);
            expect(
              promptTokens + options.tokensPerMessage + options.reserveTokens + maxOutputTokens,
            ).toBeGreaterThanOrEqual(contextWindow);
          }
        },
      ),
    );
  });
});
