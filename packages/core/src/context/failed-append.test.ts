// A failed append never lets a window read as confirmed empty (#16 item 7), with an injected failure
// for one entity in a batch. Redis runs the same scenario in packages/redis/test/failed-append.test.ts.
import { describe, expect, it } from "vitest";
import { createContextStore, memoryStore, type OnlineStore } from "../index.js";
import { activity, budget, clock, NOW, session, user } from "./assemble.fixtures.js";

/** Applies every append except those for `failing`, then rejects the call, as a partial store failure would. */
export function failingFor(inner: OnlineStore, failing: string): OnlineStore {
  return {
    ...inner,
    read: (batch, options) => inner.read(batch, options),
    write: (writes) => inner.write(writes),
    async append(appends) {
      const healthy = appends.filter((append) => append.key !== failing);
      if (healthy.length === appends.length) return inner.append(appends);
      await inner.append(healthy);
      throw new Error(`append for ${failing} failed: connection reset`);
    },
    setWatermark: (field, time) => inner.setWatermark(field, time),
    delete: (addresses) => inner.delete(addresses),
    close: () => inner.close(),
  };
}

async function windowOf(ctx: ReturnType<typeof createContextStore>, sessionId: string) {
  const result = await ctx.assemble({ keys: { session: { sessionId } }, budget, sources: ["activity"] });
  return { value: result.values.activity, text: result.text };
}

describe("a failed append in a batch", () => {
  it("leaves those windows stale ('events may be missing'), never confirmed empty, until fed again", async () => {
    const ctx = createContextStore({
      sources: [activity],
      entities: [user, session],
      online: failingFor(memoryStore(), "sessionId=s2"),
      now: clock,
    });
    await ctx.ready();
    const batch = ["s1", "s2"].map((sessionId) =>
      ctx.toWindowAppend(
        activity,
        { sessionId },
        { action: `viewed ${sessionId}` },
        { eventTime: NOW - 1_000 },
      ),
    );
    await expect(ctx.appendEvents(batch)).rejects.toThrow("connection reset");
    // The pipeline carries on: other appends and heartbeats confirm the stream up to now.
    await ctx.heartbeat(activity, NOW);

    const lost = await windowOf(ctx, "s2");
    expect(lost.value?.status).toBe("stale");
    expect(lost.value?.reason).toMatch(/append to this window failed .* events may be missing/);
    expect(lost.text).not.toContain("confirmed");
    // s1's event was applied, but the call failed as a whole: it is marked too, with its event kept.
    const applied = await windowOf(ctx, "s1");
    expect(applied.value?.status).toBe("stale");
    expect(applied.value?.value).toEqual([{ action: "viewed s1" }]);
    // A quiet session the failure did not touch is still a confirmed empty window.
    expect((await windowOf(ctx, "s3")).value?.status).toBe("empty");

    // The next successful append to a marked window clears its mark.
    await ctx.appendEvents([ctx.toWindowAppend(activity, { sessionId: "s1" }, { action: "again" })]);
    expect((await windowOf(ctx, "s1")).value?.status).toBe("ok");
    expect((await windowOf(ctx, "s2")).value?.status).toBe("stale");
  });

  it("ctx.append marks its window the same way", async () => {
    const ctx = createContextStore({
      sources: [activity],
      entities: [user, session],
      online: failingFor(memoryStore(), "sessionId=s2"),
      now: clock,
    });
    await expect(ctx.append(activity, { sessionId: "s2" }, { action: "viewed" })).rejects.toThrow();
    await ctx.heartbeat(activity, NOW);
    expect((await windowOf(ctx, "s2")).value?.status).toBe("stale");
  });
});
