// The request layer: one checked shape with one message for every caller, and one merge rule.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { batch, createContextStore, defineEntity, isCtxError } from "../index.js";
import { catchError } from "../pack/packer.fixtures.js";
import { checkAssembleRequest, checkRequestLayer } from "./check.js";
import { DEFAULT_BUDGET, mergeRequestLayers } from "./merge.js";
import type { RequestLayer } from "./types.js";

describe("checkAssembleRequest", () => {
  it("accepts a complete request, with undefined for absent optional fields", () => {
    const request = {
      keys: { user: { userId: "u1" } },
      budget: { maxTokens: 900 },
      query: undefined,
      deadline: "150ms",
      sources: ["profile"],
      tenant: undefined,
      signal: new AbortController().signal,
    };
    expect(checkAssembleRequest(request)).toBe(request);
  });

  it.each([
    ["not an object", "user:u1", "CTX_INVALID_REQUEST", "(value)"],
    ["no keys", { budget: { maxTokens: 5 } }, "CTX_INVALID_REQUEST", "keys"],
    ["keys as an array", { keys: [], budget: { maxTokens: 5 } }, "CTX_INVALID_REQUEST", "keys"],
    [
      "an unknown field",
      { keys: {}, budget: { maxTokens: 5 }, maxToken: 5 },
      "CTX_INVALID_REQUEST",
      "maxToken",
    ],
    [
      "a bad duration",
      { keys: {}, budget: { maxTokens: 5 }, deadline: "soon" },
      "CTX_INVALID_REQUEST",
      "deadline",
    ],
    ["empty sources", { keys: {}, budget: { maxTokens: 5 }, sources: [] }, "CTX_INVALID_REQUEST", "sources"],
    ["no budget", { keys: {} }, "CTX_INVALID_BUDGET", "budget"],
    [
      "a fractional budget",
      { keys: {}, budget: { maxTokens: 1.5 } },
      "CTX_INVALID_BUDGET",
      "budget.maxTokens",
    ],
    ["a budget field misspelt", { keys: {}, budget: { tokens: 5 } }, "CTX_INVALID_BUDGET", "budget"],
  ])("rejects %s with a typed error naming the shape and the field", (_, input, code, field) => {
    const error = catchError(() => checkAssembleRequest(input, "the request"));
    expect(error.code).toBe(code);
    expect(error.message).toContain(
      "the request must be { keys: { <entity>: <key> }, query?: string, budget: { maxTokens: positive integer }",
    );
    expect(error.message.split("}; ")[1]).toContain(field);
  });

  it("ctx.assemble throws exactly what checkAssembleRequest throws", async () => {
    const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
    const ctx = createContextStore({
      sources: [batch("profile", { entity: user, schema: z.string(), section: "P" })],
    });
    for (const input of [
      { keys: {}, budget: { maxTokens: 0 } },
      { keys: {}, budget: { maxTokens: 5 }, deadline: "2 days" },
      { keys: {}, budget: { maxTokens: 5 }, budgets: 1 },
    ]) {
      const expected = catchError(() => checkAssembleRequest(input));
      const error = await ctx.assemble(input as never).catch((caught: unknown) => caught);
      expect(isCtxError(error, expected.code)).toBe(true);
      expect((error as Error).message).toBe(expected.message);
    }
  });
});

describe("checkRequestLayer", () => {
  it("every field is optional unless keys are required", () => {
    expect(checkRequestLayer({}, "layer")).toEqual({});
    expect(checkRequestLayer({ query: "q", keys: undefined }, "layer")).toEqual({
      query: "q",
      keys: undefined,
    });
    const error = catchError(() =>
      checkRequestLayer({ query: "q" }, "providerOptions.ctxstore", { requireKeys: true }),
    );
    expect(error.code).toBe("CTX_INVALID_REQUEST");
    expect(error.message).toContain(
      "providerOptions.ctxstore must be { keys: { <entity>: <key> }, query?: string, budget?: ",
    );
    expect(
      catchError(() => checkRequestLayer({ key: {} }, "config.configurable.ctxstore")).message,
    ).toContain("config.configurable.ctxstore must be { keys?: { <entity>: <key> }");
  });
});

describe("mergeRequestLayers", () => {
  const layer = fc.record(
    {
      keys: fc.option(
        fc.dictionary(
          fc.constantFrom("user", "session", "tenant"),
          fc.option(fc.string(), { nil: undefined }),
        ),
        { nil: undefined },
      ),
      query: fc.option(fc.string(), { nil: undefined }),
      budget: fc.option(fc.record({ maxTokens: fc.integer({ min: 1, max: 9999 }) }), { nil: undefined }),
      deadline: fc.option(fc.integer({ min: 1, max: 9999 }), { nil: undefined }),
      tenant: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    },
    { requiredKeys: [] },
  );

  it("later layers win field by field and keys entity by entity; undefined gives nothing", () => {
    fc.assert(
      fc.property(fc.array(fc.option(layer, { nil: undefined }), { maxLength: 5 }), (layers) => {
        const merged = mergeRequestLayers(layers as RequestLayer[]);
        const given = layers.filter((item) => item !== undefined);
        for (const field of ["query", "deadline", "tenant"] as const) {
          const last = given
            .map((item) => item[field])
            .filter((value) => value !== undefined)
            .at(-1);
          expect(merged[field]).toBe(last);
        }
        const lastBudget = given
          .map((item) => item.budget)
          .filter((value) => value !== undefined)
          .at(-1);
        expect(merged.budget).toEqual(lastBudget ?? DEFAULT_BUDGET);
        const expectedKeys: Record<string, unknown> = {};
        for (const item of given)
          for (const [entity, key] of Object.entries(item.keys ?? {}))
            if (key !== undefined) expectedKeys[entity] = key;
        expect(merged.keys).toEqual(expectedKeys);
        // No field is set to undefined: the result is a plain request.
        expect(Object.values(merged).every((value) => value !== undefined)).toBe(true);
      }),
    );
  });

  it("the default budget is 1500 tokens, and the merged request passes the check", () => {
    const merged = mergeRequestLayers([{ keys: { user: { userId: "u1" } } }, undefined, { query: "q" }]);
    expect(merged).toEqual({ keys: { user: { userId: "u1" } }, query: "q", budget: { maxTokens: 1500 } });
    expect(checkAssembleRequest(merged)).toBe(merged);
  });
});
