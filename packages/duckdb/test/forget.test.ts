// Right to erasure through the offline store: `ctx.forget` with the DuckDB store as an erasure
// target deletes the entity's history in the same call, so point-in-time queries, a rebuilt
// dataset and a re-run materialization (even one re-publishing all history) cannot bring it back.
import { batch, createContextStore, defineEntity, memoryStore } from "@ctxstore/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { duckdbOfflineStore, materialize, pointInTime } from "../src/index.js";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const customer = defineEntity("customer", { key: z.object({ customerId: z.string().min(1) }) });
const profile = batch("profile", {
  entity: customer,
  schema: z.object({ summary: z.string() }),
  section: "Customer",
  render: (value) => value.summary,
});

describe("forget with the offline store as an erasure target", () => {
  it("deletes the history in the same call; pointInTime and materialize cannot bring it back", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    const online = memoryStore();
    const ctx = createContextStore({
      sources: [profile],
      online,
      now: () => T0 + 10_000,
      erasure: [offline],
    });
    await offline.record([
      {
        source: profile,
        key: { customerId: "c1" },
        value: { summary: "ERASE-ME v1" },
        eventTime: T0,
        writeTime: T0,
      },
      {
        source: profile,
        key: { customerId: "c1" },
        value: { summary: "ERASE-ME v2" },
        eventTime: T0 + 1,
        writeTime: T0 + 1,
      },
      {
        source: profile,
        key: { customerId: "c2" },
        value: { summary: "keep" },
        eventTime: T0,
        writeTime: T0,
      },
    ]);
    await materialize({ offline, context: ctx, sources: [profile] });

    const receipt = await ctx.forget({ entity: customer, key: { customerId: "c1" } });
    expect(receipt.tiers).toEqual([
      { tier: "online", store: "memory", removed: 1 },
      { tier: "offline", store: "duckdb", removed: 2 },
    ]);
    expect(receipt.complete).toBe(true);
    expect(await offline.history(profile, { customerId: "c1" })).toEqual([]);
    expect(await offline.count(profile)).toBe(1);

    // Re-publishing every row since the beginning finds nothing of c1.
    await materialize({ offline, context: ctx, sources: [profile], since: 0 });
    const result = await ctx.assemble({
      keys: { customer: { customerId: "c1" } },
      budget: { maxTokens: 200 },
    });
    expect(result.values.profile?.status).toBe("missing");
    const kept = await ctx.assemble({ keys: { customer: { customerId: "c2" } }, budget: { maxTokens: 200 } });
    expect(kept.text).toContain("keep");

    const history = await pointInTime(offline, {
      labels: [
        { timestamp: T0 + 5_000, keys: { customer: { customerId: "c1" } } },
        { timestamp: T0 + 5_000, keys: { customer: { customerId: "c2" } } },
      ],
      sources: [profile],
    });
    const rows = await history.toArray();
    expect(rows.map((row) => row.values.profile?.status)).toEqual(["missing", "ok"]);
    expect(JSON.stringify(rows)).not.toContain("ERASE-ME");
    await history.drop();
    await offline.close();
  });

  it("a single-tenant store refuses a tenant (it would be ignored) and deletes nothing", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    await offline.record([
      { source: profile, key: { customerId: "c1" }, value: { summary: "x" }, eventTime: T0 },
    ]);
    await expect(
      offline.forget({ entity: "customer", key: "customerId=c1", tenant: "acme" }),
    ).rejects.toMatchObject({
      code: "CTX_INVALID_REQUEST",
    });
    expect(await offline.count()).toBe(1);
    await offline.close();
  });
});
