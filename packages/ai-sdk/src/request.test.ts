// The per-call request (`providerOptions.ctxstore`) is core's request layer with `keys` required,
// checked by core's `checkRequestLayer`; the middleware suite's bad-input group checks that a call
// fails with exactly this error.
import { checkRequestLayer, isCtxError } from "@ctxstore/core";
import { describe, expect, it } from "vitest";

const parseContextRequest = (input: unknown, origin: string) =>
  checkRequestLayer(input, origin, { requireKeys: true });

describe("providerOptions.ctxstore", () => {
  it("accepts the documented shape", () => {
    const input = {
      keys: { user: { userId: "u1" }, session: { sessionId: "s9" } },
      query: "trail shoes?",
      budget: { maxTokens: 900 },
      deadline: "150ms",
      sources: ["user_profile"],
      tenant: "acme",
    };
    expect(parseContextRequest(input, "providerOptions.ctxstore")).toEqual(input);
    expect(parseContextRequest({ keys: { user: { userId: "u1" } }, deadline: 200 }, "x")).toEqual({
      keys: { user: { userId: "u1" } },
      deadline: 200,
    });
  });

  it.each([
    ["a string", "user:u1", "(value)", "CTX_INVALID_REQUEST"],
    ["no keys", {}, "keys", "CTX_INVALID_REQUEST"],
    ["keys as an array", { keys: [{ userId: "u1" }] }, "keys", "CTX_INVALID_REQUEST"],
    [
      "a fractional budget",
      { keys: { user: "u1" }, budget: { maxTokens: 1.5 } },
      "maxTokens",
      "CTX_INVALID_BUDGET",
    ],
    ["a zero budget", { keys: { user: "u1" }, budget: { maxTokens: 0 } }, "maxTokens", "CTX_INVALID_BUDGET"],
    ["a malformed deadline", { keys: { user: "u1" }, deadline: "soon" }, "deadline", "CTX_INVALID_REQUEST"],
    ["a misspelt field", { keys: { user: "u1" }, maxToken: 100 }, "maxToken", "CTX_INVALID_REQUEST"],
    ["empty sources", { keys: { user: "u1" }, sources: [] }, "sources", "CTX_INVALID_REQUEST"],
  ] as const)("rejects %s with a typed error naming the shape and the field", (_, input, field, code) => {
    let caught: unknown;
    try {
      parseContextRequest(input, "providerOptions.ctxstore");
    } catch (error) {
      caught = error;
    }
    expect(isCtxError(caught, code)).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain("providerOptions.ctxstore must be { keys: { <entity>: <key> }");
    expect(message).toContain(field);
  });
});
