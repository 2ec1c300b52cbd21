// Required context fails fast (#16 item 3), and an abandoned or overdue realtime call is never
// shared with a later request (#16 item 4). No absolute timings: "fast" is shown by what had not
// happened yet (the hung lookup's own timeout) when the assembly had already failed.
import { describe, expect, it } from "vitest";
import { budget, contextWith, keys, realtimeSource } from "./assemble.fixtures.js";

describe("shared realtime calls", () => {
  it("a request never joins a call every earlier requester abandoned", async () => {
    let calls = 0;
    const loyalty = realtimeSource(
      "loyalty",
      () => {
        calls += 1;
        // The first call hangs (the service was down); later ones answer (it is back).
        return calls === 1 ? new Promise(() => {}) : Promise.resolve({ tier: "gold" });
      },
      { timeout: "2s" },
    );
    const ctx = await contextWith([loyalty]);
    const first = await ctx.assemble({ keys, budget, deadline: "20ms" });
    expect(first.values.loyalty?.status).toBe("timeout");
    const second = await ctx.assemble({ keys, budget, deadline: "1s" });
    expect(calls).toBe(2);
    expect(second.values.loyalty?.status).toBe("ok");
    expect(second.trace.sources[0]?.shared).toBeUndefined();
  });

  it("a request never joins a call older than its own timeout, even when its timer is late", async () => {
    let calls = 0;
    const loyalty = realtimeSource(
      "loyalty",
      () => {
        calls += 1;
        return calls === 1 ? new Promise(() => {}) : Promise.resolve({ tier: "gold" });
      },
      { timeout: "30ms" },
    );
    const ctx = await contextWith([loyalty]);
    const first = ctx.assemble({ keys, budget, deadline: "1s" });
    // Keep the event loop busy past the call's timeout, so its timer has not fired yet.
    const busyUntil = performance.now() + 60;
    while (performance.now() < busyUntil) {}
    const second = ctx.assemble({ keys, budget, deadline: "1s" });
    const [firstResult, secondResult] = await Promise.all([first, second]);
    expect(firstResult.values.loyalty?.status).toBe("timeout");
    expect(calls).toBe(2);
    expect(secondResult.values.loyalty?.status).toBe("ok");
  });

  it("a live call is still shared", async () => {
    let calls = 0;
    const loyalty = realtimeSource(
      "loyalty",
      async () => {
        calls += 1;
        await new Promise((done) => setTimeout(done, 5));
        return { tier: "gold" };
      },
      { timeout: "2s" },
    );
    const ctx = await contextWith([loyalty]);
    const results = await Promise.all([ctx.assemble({ keys, budget }), ctx.assemble({ keys, budget })]);
    expect(calls).toBe(1);
    expect(results.map((result) => result.values.loyalty?.status)).toEqual(["ok", "ok"]);
  });
});
