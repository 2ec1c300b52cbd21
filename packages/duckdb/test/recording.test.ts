import { createContextStore, empty, isCtxError, memoryStore } from "@ctxstore/core";
import { sourceField } from "@ctxstore/core/store";
import { describe, expect, it } from "vitest";
import { duckdbOfflineStore, withOfflineRecording } from "../src/index.js";
import { accountStatus, customerProfile, recentActivity } from "./support-fixture.js";

const T0 = Date.parse("2026-04-01T10:00:00Z");

describe("withOfflineRecording", () => {
  it("records exactly the envelopes written online, watermarks and resolved realtime values", async () => {
    let now = T0;
    const clock = () => now;
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const online = memoryStore({ now: clock });
    const status = accountStatus(() => ({ standing: "good" }));
    const ctx = withOfflineRecording(
      createContextStore({ sources: [customerProfile, recentActivity, status], online, now: clock }),
      offline,
      { now: clock },
    );
    const key = { customerId: "c1" };
    await ctx.write(
      customerProfile,
      key,
      { plan: "Pro", since: "2024", summary: "Hi." },
      { eventTime: T0 - 1000 },
    );
    now += 5;
    await ctx.write(customerProfile, { customerId: "c2" }, empty("not computed"));
    now += 5;
    await ctx.append(recentActivity, key, { action: "opened app" });
    now += 5;
    await ctx.heartbeat(recentActivity, T0 + 12);
    now += 5;
    await ctx.assemble({ keys: { customer: key }, budget: { maxTokens: 200 } });

    const stored = await online.read({
      records: [
        { entity: "customer", key: "customerId=c1", field: sourceField(customerProfile), kind: "value" },
      ],
    });
    const envelope = stored.records[0]?.kind === "value" ? stored.records[0].envelope : undefined;
    const [profileRow, emptyRow] = await offline.history(customerProfile);
    expect(profileRow).toMatchObject({
      eventTime: envelope?.eventTime,
      writeTime: envelope?.writeTime,
      value: JSON.stringify(envelope?.value),
    });
    expect(emptyRow).toMatchObject({ isEmpty: true, emptyReason: "not computed", eventTime: T0 + 5 });
    const [event] = await offline.history(recentActivity);
    expect(event).toMatchObject({ eventTime: T0 + 10, value: '{"action":"opened app"}' });
    expect(event?.eventId).toMatch(/.+/);
    const marks = await offline.connection.runAndReadAll(
      "SELECT time, write_time FROM ctx_watermarks ORDER BY write_time",
    );
    expect(marks.getRowsJS()).toEqual([
      [BigInt(T0 + 10), BigInt(T0 + 10)],
      [BigInt(T0 + 12), BigInt(T0 + 15)],
    ]);
    expect(await offline.history(status)).toMatchObject([
      { value: '{"standing":"good"}', writeTime: T0 + 20 },
    ]);
    await offline.close();
  });

  it("says so when the online write succeeded but the offline record failed", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const online = memoryStore();
    const ctx = withOfflineRecording(
      createContextStore({ sources: [customerProfile], online, now: () => T0 }),
      offline,
    );
    await offline.close();
    const error = await ctx
      .write(customerProfile, { customerId: "c1" }, { plan: "Pro", since: "2024", summary: "Hi." })
      .catch((caught: unknown) => caught);
    expect(isCtxError(error, "CTX_STORE_UNAVAILABLE")).toBe(true);
    expect(String((error as Error).message)).toMatch(
      /reached the online store but could not be recorded offline/,
    );
    const stored = await online.read({
      records: [
        { entity: "customer", key: "customerId=c1", field: sourceField(customerProfile), kind: "value" },
      ],
    });
    expect(stored.records[0]?.kind === "value" && stored.records[0].envelope?.value).toMatchObject({
      plan: "Pro",
    });
  });

  it("logs each online write's TTL and whether it was applied, and realtime lookups that gave no fact with reason and fallback", async () => {
    let now = T0;
    const clock = () => now;
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    let fail = false;
    const status = accountStatus(() => {
      if (fail) throw new Error("billing down");
      return { standing: "good" };
    });
    const online = memoryStore({ now: clock });
    const ctx = withOfflineRecording(
      createContextStore({ sources: [customerProfile, status], online, now: clock }),
      offline,
      { now: clock },
    );
    await ctx.ready();
    const key = { customerId: "c1" };
    const profile = { plan: "Pro", since: "2024", summary: "Hi." };
    await ctx.write(customerProfile, key, profile, { eventTime: T0 });
    now += 1;
    // Older than what the online store holds: refused there, recorded offline as not applied.
    const refused = await ctx.write(customerProfile, key, profile, { eventTime: T0 - 1_000 });
    expect(refused.applied).toBe(false);
    await ctx.assemble({ keys: { customer: key }, budget: { maxTokens: 200 } });
    now += 1_000;
    fail = true;
    await ctx.assemble({ keys: { customer: key }, budget: { maxTokens: 200 } });
    const writes = await offline.connection.runAndReadAll(
      "SELECT w.ttl_ms, w.applied FROM ctx_online_writes w JOIN ctx_history h USING (seq) ORDER BY seq",
    );
    // customer_profile's maxAge is 30 days: the online TTL is twice that.
    expect(writes.getRowsJS()).toEqual([
      [BigInt(60 * 86_400_000), true],
      [BigInt(60 * 86_400_000), false],
    ]);
    const outcomes = await offline.connection.runAndReadAll(
      "SELECT h.value IS NULL AS no_value, h.is_empty, o.status, o.reason, o.fallback_value::VARCHAR, o.fallback_event_time FROM ctx_realtime_outcomes o JOIN ctx_history h USING (seq)",
    );
    expect(outcomes.getRowsJS()).toEqual([
      [true, false, "error", "billing down", '{"standing":"good"}', BigInt(T0 + 1)],
    ]);
    await offline.close();
  });
});
