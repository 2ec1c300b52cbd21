// The events route on a freshly started server (#16 item 2): this file's module graph is its own, so
// the tokenizer has not been loaded when the first event arrives (nothing here calls ctx.ready()).
import { createContextStore, memoryStore } from "@ctxstore/core";
import { describe, expect, it } from "vitest";
import { activity, identifyFromCookies, jsonRequest, profile, session, user } from "../test/fixtures.js";
import { eventsRoute } from "./events-route.js";

describe("eventsRoute on a cold process", () => {
  it("records the first event (202) although the tokenizer was still loading", async () => {
    const ctx = createContextStore({
      sources: [profile, activity],
      entities: [user, session],
      online: memoryStore(),
    });
    // Cold: the encoding is not loaded yet, so a synchronous count would refuse.
    expect(() => ctx.tokenizer.count("x")).toThrow(/not loaded yet/);
    const route = eventsRoute({ contextStore: ctx, source: activity, identify: identifyFromCookies });
    const response = await route(
      jsonRequest("http://shop.test/api/events", {
        type: "view",
        productId: "trail-runner-x",
        label: "Trail Runner X",
        at: "2026-11-21T10:00:00.000Z",
      }),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1, duplicates: 0 });
    const result = await ctx.assemble({ keys: { session: { sessionId: "s1" } }, budget: { maxTokens: 200 } });
    expect(result.values.session_activity?.status).toBe("ok");
    expect(result.text).toContain("view: Trail Runner X");
  });
});
