// What a replay needs from assemble (issue #21): a realtime empty's reason and a failed lookup's
// fallback are in the result, and an override carries its own fallback, never the process's own last
// known value (a replay must show what serving showed then, not what this process learned since).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createContextStore, defineEntity, type Empty, empty, realtime } from "../index.js";

const customer = defineEntity("customer", { key: z.object({ customerId: z.string() }) });

describe("realtime outcomes for replay", () => {
  it("reports an empty's reason and a failed lookup's fallback, and an override's fallback is its own", async () => {
    let answer: () => { items: number } | Empty = () => ({ items: 7 });
    const inventory = realtime("inventory", {
      entity: customer,
      schema: z.object({ items: z.number() }),
      timeout: "50ms",
      section: "Inventory",
      onUnavailable: "fallback",
      render: (value) => `${value.items} tracked items.`,
      resolve: () => answer(),
    });
    let now = Date.parse("2026-05-01T08:00:00Z");
    const ctx = createContextStore({ sources: [inventory], now: () => now });
    await ctx.ready();
    const request = { keys: { customer: { customerId: "c1" } }, budget: { maxTokens: 100 } };

    const good = await ctx.assemble(request);
    expect(good.values.inventory).toMatchObject({ status: "ok", value: { items: 7 } });
    answer = () => empty("no tracked items");
    const none = await ctx.assemble(request);
    expect(none.values.inventory).toMatchObject({ status: "empty", emptyReason: "no tracked items" });
    expect(none.text).toContain("no tracked items");
    now += 60_000;
    answer = () => {
      throw new Error("inventory service down");
    };
    const failed = await ctx.assemble(request);
    expect(failed.values.inventory).toMatchObject({
      status: "error",
      reason: "inventory service down",
      fallback: { value: { items: 7 }, eventTime: now - 60_000 },
    });

    // Replayed with the fallback serving had: the same prompt.
    const replayed = await ctx.assemble(request, {
      realtime: {
        inventory: {
          status: "error",
          reason: "inventory service down",
          fallback: { value: { items: 7 }, eventTime: now - 60_000 },
        },
      },
    });
    expect(replayed.text).toBe(failed.text);
    // Without one, the override shows no value, although this process knows one.
    const bare = await ctx.assemble(request, { realtime: { inventory: { status: "error" } } });
    expect(bare.values.inventory?.fallback).toBeUndefined();
    expect(bare.text).not.toContain("7 tracked items");
  });
});
