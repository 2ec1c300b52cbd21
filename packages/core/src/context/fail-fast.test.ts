// Required context fails fast (#16 item 3), and an abandoned or overdue realtime call is never
// shared with a later request (#16 item 4). No absolute timings: "fast" is shown by what had not
// happened yet (the hung lookup's own timeout) when the assembly had already failed.
import { describe, expect, it } from "vitest";
import { isCtxError } from "../index.js";
import { budget, contextWith, keys, profile, realtimeSource } from "./assemble.fixtures.js";

function hungLookup(name: string, timeout: string) {
  const seen: { abortReason?: unknown; timedOut: boolean } = { timedOut: false };
  const source = realtimeSource(
    name,
    (_key, { signal }) => {
      signal.addEventListener("abort", () => {
        seen.abortReason = signal.reason;
        if (/timed out/.test(String((signal.reason as Error)?.message))) seen.timedOut = true;
      });
      return new Promise(() => {});
    },
    { timeout },
  );
  return { source, seen };
}

describe("a required source known unavailable", () => {
  it("fails the assembly at once and aborts the lookups that no longer matter", async () => {
    const { source, seen } = hungLookup("loyalty", "2s");
    const ctx = await contextWith([{ ...profile, required: true, onUnavailable: "fail" }, source]);
    const error = await ctx.assemble({ keys, budget, deadline: "5s" }).catch((caught: unknown) => caught);
    expect(isCtxError(error, "CTX_REQUIRED_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain("profile is missing");
    // Failed before the hung lookup's own 2 s timeout, and the resolver was told to stop.
    expect(seen.abortReason).toBeDefined();
    expect(seen.timedOut).toBe(false);
  });

  it("a required realtime lookup that errors fails it too, aborting a hung one", async () => {
    const { source, seen } = hungLookup("slow", "2s");
    const broken = realtimeSource(
      "loyalty",
      () => {
        throw new Error("connection refused");
      },
      { required: true, onUnavailable: "fail" },
    );
    const ctx = await contextWith([broken, source]);
    const error = await ctx.assemble({ keys, budget, deadline: "5s" }).catch((caught: unknown) => caught);
    expect(isCtxError(error, "CTX_REQUIRED_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain("loyalty is error (connection refused)");
    expect(seen.abortReason).toBeDefined();
    expect(seen.timedOut).toBe(false);
  });

  it("required sources that are facts do not stop the assembly", async () => {
    const requiredProfile = { ...profile, required: true, onUnavailable: "fail" } as typeof profile;
    const ctx = await contextWith([requiredProfile]);
    await ctx.write(requiredProfile, { userId: "u1" }, { summary: "Runs trails." });
    const result = await ctx.assemble({ keys, budget });
    expect(result.values.profile?.status).toBe("ok");
  });
});

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
