// What the prompt says about a stale value (#16 item 8): a window that never had events has no "last
// known value"; what is true is that no events were seen while ingest is behind, so it is unknown.
import { describe, expect, it } from "vitest";
import { activity, budget, contextWith, keys, NOW, profile } from "./assemble.fixtures.js";

describe("stale notes say what is true", () => {
  it("a stale window that never had events: no events seen while ingest is behind, unknown", async () => {
    const ctx = await contextWith([activity]);
    await ctx.heartbeat(activity, NOW - 3_600_000);
    const result = await ctx.assemble({ keys, budget });
    expect(result.values.activity?.status).toBe("stale");
    expect(result.text).toContain("unknown — no events seen while ingest is behind");
    expect(result.text).not.toContain("last known value");
    expect(result.values.activity?.reason).toMatch(/^no events seen; ingest last confirmed 1h ago/);
  });

  it("a stale window with events, and a stale batch value, keep the last-known-value wording", async () => {
    const ctx = await contextWith([activity, profile]);
    // Straight to the store: ctx.append would also confirm ingest up to now.
    await ctx.online.append([
      ctx.toWindowAppend(activity, { sessionId: "s1" }, { action: "viewed" }, { eventTime: NOW - 3_600_000 }),
    ]);
    await ctx.heartbeat(activity, NOW - 3_600_000);
    await ctx.write(
      profile,
      { userId: "u1" },
      { summary: "Runs trails." },
      { eventTime: NOW - 5 * 86_400_000 },
    );
    const result = await ctx.assemble({ keys, budget });
    expect(result.values.activity?.status).toBe("stale");
    expect(result.values.profile?.status).toBe("stale");
    expect(result.text).not.toContain("no events seen");
    expect(result.text.match(/last known value is older than its freshness limit/g)).toHaveLength(2);
  });
});
