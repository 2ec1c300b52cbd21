import { isCtxError } from "@ctxstore/core";
import { describe, expect, it } from "vitest";
import { parseContextRequest } from "./request.js";

describe("parseContextRequest", () => {
  it("accepts the documented shape", () => {
    const input = {
      keys: { user: { userId: "u1" }, session: { sessionId: "s9" } },
      query: "trail shoes?",
      maxTokens: 900,
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
    ["a string", "user:u1", "(value)"],
    ["no keys", {}, "keys"],
    ["keys as an array", { keys: [{ userId: "u1" }] }, "keys"],
    ["a fractional budget", { keys: { user: "u1" }, maxTokens: 1.5 }, "maxTokens"],
    ["a zero budget", { keys: { user: "u1" }, maxTokens: 0 }, "maxTokens"],
    ["a malformed deadline", { keys: { user: "u1" }, deadline: "soon" }, "deadline"],
    ["a misspelt field", { keys: { user: "u1" }, maxToken: 100 }, "maxToken"],
    ["empty sources", { keys: { user: "u1" }, sources: [] }, "sources"],
  ])("rejects %s with CTX_INVALID_REQUEST naming the shape and the field", (_, input, field) => {
    let caught: unknown;
    try {
      parseContextRequest(input, "providerOptions.ctxstore");
    } catch (error) {
      caught = error;
    }
    expect(isCtxError(caught, "CTX_INVALID_REQUEST")).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain("providerOptions.ctxstore must be { keys: { <entity>: <key> }");
    expect(message).toContain(field);
  });
});
