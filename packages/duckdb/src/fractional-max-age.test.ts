// A fractional maxAge (#16 item 9): DuckDB compares ages as BIGINT, which rounded 10.5 ms to 11 and
// read a row of age 11 as `ok`. Durations are whole milliseconds: a fraction is refused up front.
import { batch, defineEntity, isCtxError } from "@ctxstore/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type DuckdbOfflineStore, duckdbOfflineStore } from "./offline-store.js";
import { pointInTime } from "./point-in-time.js";

const BASE = Date.UTC(2025, 0, 1);
const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const profile = batch("profile", {
  entity: user,
  schema: z.object({ n: z.number() }),
  maxAge: 10,
  section: "Profile",
  priority: 1,
});

let store: DuckdbOfflineStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe("pointInTime maxAge override", () => {
  it("refuses fractional milliseconds (one for all, or by source) instead of rounding them", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    await store.record([
      { source: profile, key: { userId: "u1" }, value: { n: 1 }, eventTime: BASE, writeTime: BASE },
    ]);
    const labels = [{ timestamp: BASE + 11, keys: { user: { userId: "u1" } } }];
    for (const maxAge of [10.5, { profile: 10.5 }, "10.5ms"] as const) {
      const error = await pointInTime(store, { labels, maxAge }).catch((caught: unknown) => caught);
      expect(isCtxError(error, "CTX_INVALID_DURATION")).toBe(true);
      expect((error as Error).message).toMatch(/whole number of milliseconds/);
    }
    // Whole milliseconds compare exactly: age 11 is stale under 10, fresh under 11.
    const stale = await (await pointInTime(store, { labels, maxAge: 10 })).toArray();
    expect(stale[0]?.values.profile?.status).toBe("stale");
    const fresh = await (await pointInTime(store, { labels, maxAge: 11 })).toArray();
    expect(fresh[0]?.values.profile?.status).toBe("ok");
  });
});
