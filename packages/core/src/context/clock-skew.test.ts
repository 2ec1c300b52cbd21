// Times ahead of the writer's clock (#16 item 6): refused beyond maxClockSkew, and never used for
// freshness, so a future-dated event cannot keep a window "ok" after its pipeline stopped.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { batch, createContextStore, isCtxError, stream } from "../index.js";
import { budget, keys, NOW, session, user } from "./assemble.fixtures.js";

const events = stream("events", {
  entity: session,
  schema: z.object({ action: z.string() }),
  window: 5,
  maxAge: "5s",
  section: "Events",
  priority: 50,
  render: (event) => event.action,
});
const plan = batch("plan", {
  entity: user,
  schema: z.object({ name: z.string() }),
  maxAge: "5s",
  section: "Plan",
  priority: 60,
  render: (value) => value.name,
});

async function storeAt(options: { maxClockSkew?: "15m" } = {}) {
  const clock = { now: NOW };
  const ctx = createContextStore({
    sources: [events, plan],
    entities: [user, session],
    now: () => clock.now,
    ...options,
  });
  await ctx.ready();
  return { ctx, clock };
}

async function refusal(run: () => Promise<unknown>): Promise<unknown> {
  return run().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("times ahead of the writer's clock", () => {
  it("beyond maxClockSkew (default 1 minute) are refused with CTX_INVALID_VALUE, nothing written", async () => {
    const { ctx } = await storeAt();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 60_001, max: 365 * 86_400_000 }), async (ahead) => {
        const appended = await refusal(() =>
          ctx.append(events, { sessionId: "s1" }, { action: "future" }, { eventTime: NOW + ahead }),
        );
        expect(isCtxError(appended, "CTX_INVALID_VALUE")).toBe(true);
        expect((appended as Error).message).toMatch(/ahead of this writer's clock.*maxClockSkew 1m/);
        const written = await refusal(() =>
          ctx.write(plan, { userId: "u1" }, { name: "x" }, { eventTime: NOW + ahead }),
        );
        expect(isCtxError(written, "CTX_INVALID_VALUE")).toBe(true);
        // With a write time given (a replay, the ingest worker's publish time), it is checked against that.
        const replayed = await refusal(() =>
          ctx.write(
            plan,
            { userId: "u1" },
            { name: "x" },
            { eventTime: NOW + ahead, writeTime: NOW - 1_000 },
          ),
        );
        expect((replayed as Error).message).toMatch(/ahead of its write time/);
        const heartbeat = await refusal(() => ctx.heartbeat(events, NOW + ahead));
        expect(isCtxError(heartbeat, "CTX_INVALID_VALUE")).toBe(true);
      }),
      { numRuns: 25 },
    );
    const result = await ctx.assemble({ keys, budget });
    expect(result.values.plan?.status).toBe("missing");
    expect(result.text).not.toContain("future");
  });

  it("a replay with its recorded write time is checked against that time, not a frozen clock", async () => {
    const { ctx } = await storeAt();
    const day = 86_400_000;
    await ctx.write(
      plan,
      { userId: "u1" },
      { name: "later" },
      { eventTime: NOW + day, writeTime: NOW + day },
    );
    const result = await ctx.assemble({ keys, budget }, { now: NOW + day });
    expect(result.values.plan?.status).toBe("ok");
  });

  it("within the tolerance they are accepted", async () => {
    const { ctx } = await storeAt();
    await ctx.append(events, { sessionId: "s1" }, { action: "soon" }, { eventTime: NOW + 60_000 });
    const result = await ctx.assemble({ keys, budget });
    expect(result.values.events?.status).toBe("ok");
  });

  it("an accepted future time never keeps a window or value fresh: the pipeline stops, it goes stale", async () => {
    const { ctx, clock } = await storeAt({ maxClockSkew: "15m" });
    await ctx.append(events, { sessionId: "s1" }, { action: "ahead" }, { eventTime: NOW + 600_000 });
    await ctx.write(plan, { userId: "u1" }, { name: "gold" }, { eventTime: NOW + 600_000 });
    expect((await ctx.assemble({ keys, budget })).values.events?.status).toBe("ok");
    // The writer stops; 6 s later (maxAge 5 s) both are stale, although their event time is still ahead.
    clock.now = NOW + 6_000;
    const result = await ctx.assemble({ keys, budget });
    expect(result.values.events?.status).toBe("stale");
    expect(result.values.plan?.status).toBe("stale");
  });

  it("a foreign writer's future event time is not used for freshness either", async () => {
    const { ctx, clock } = await storeAt({ maxClockSkew: "15m" });
    const append = ctx.toWindowAppend(events, { sessionId: "s1" }, { action: "ahead" });
    await ctx.online.append([{ ...append, event: { ...append.event, eventTime: NOW + 3_600_000 } }]);
    await ctx.heartbeat(events, NOW);
    clock.now = NOW + 6_000;
    expect((await ctx.assemble({ keys, budget })).values.events?.status).toBe("stale");
  });
});
