import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batch, defineEntity, empty, isCtxError, stream } from "@ctxstore/core";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type DuckdbOfflineStore, duckdbOfflineStore } from "./offline-store.js";
import { pointInTime } from "./point-in-time.js";

const BASE = Date.UTC(2025, 0, 1);
const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const account = defineEntity("account", { key: z.object({ accountId: z.string() }) });

let store: DuckdbOfflineStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

interface HistoryEntry {
  key: string;
  eventTime: number;
  writeTime: number;
  value: number | null;
}

/**
 * The brute-force oracle, written from the definition and nothing else: among rows with
 * event time <= t (and write time <= t when late writes are excluded), take the greatest
 * (event time, write time, insertion order); stale when older than maxAge at t.
 */
function oracle(
  history: readonly HistoryEntry[],
  key: string,
  t: number,
  maxAge: number | undefined,
  excludeLateWrites: boolean,
) {
  let best: { entry: HistoryEntry; order: number } | undefined;
  history.forEach((entry, order) => {
    if (entry.key !== key || entry.eventTime > t) return;
    if (excludeLateWrites && entry.writeTime > t) return;
    if (
      !best ||
      entry.eventTime > best.entry.eventTime ||
      (entry.eventTime === best.entry.eventTime &&
        (entry.writeTime > best.entry.writeTime ||
          (entry.writeTime === best.entry.writeTime && order > best.order)))
    ) {
      best = { entry, order };
    }
  });
  if (!best) return { status: "missing" };
  const age = t - best.entry.eventTime;
  if (maxAge !== undefined && age > maxAge)
    return { status: "stale", value: best.entry.value, eventTime: best.entry.eventTime };
  if (best.entry.value === null) return { status: "empty", eventTime: best.entry.eventTime };
  return { status: "ok", value: best.entry.value, eventTime: best.entry.eventTime };
}

describe("pointInTime", () => {
  it("equals a brute-force oracle on random histories (out-of-order, tied and late writes)", async () => {
    const profile = batch("profile", {
      entity: user,
      schema: z.object({ n: z.number() }),
      section: "Profile",
    });
    const keys = ["a", "b", "c"];
    const entry = fc.record({
      key: fc.constantFrom(...keys),
      eventTime: fc.integer({ min: 0, max: 40 }),
      writeTime: fc.integer({ min: 0, max: 70 }),
      value: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null, freq: 5 }),
    });
    const label = fc.record({
      key: fc.constantFrom(...keys, "never-written"),
      t: fc.integer({ min: -3, max: 80 }),
    });
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 30 }),
        fc.array(label, { minLength: 10, maxLength: 40 }),
        fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
        fc.boolean(),
        async (history, labels, maxAge, excludeLateWrites) => {
          const offline = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
          try {
            // One call records in array order, so the insertion order that breaks exact ties is the array's.
            await offline.record(
              history.map((item) => ({
                source: profile,
                key: { userId: item.key },
                value: item.value === null ? empty() : { n: item.value },
                eventTime: BASE + item.eventTime,
                writeTime: BASE + item.writeTime,
              })),
            );
            const result = await pointInTime(offline, {
              labels: labels.map((item) => ({
                timestamp: BASE + item.t,
                keys: { user: { userId: item.key } },
              })),
              sources: [profile],
              excludeLateWrites,
              ...(maxAge === undefined ? {} : { maxAge }),
            });
            const rows = await result.toArray();
            expect(rows).toHaveLength(labels.length);
            for (const [index, item] of labels.entries()) {
              const expected = oracle(history, item.key, item.t, maxAge, excludeLateWrites);
              const actual = rows[index]?.values.profile;
              expect({
                status: actual?.status,
                value: actual?.value === undefined ? undefined : (actual.value as { n: number }).n,
                eventTime: actual?.eventTime === undefined ? undefined : actual.eventTime - BASE,
              }).toEqual({
                status: expected.status,
                value: expected.value ?? undefined,
                eventTime: expected.eventTime,
              });
              compared += 1;
            }
          } finally {
            await offline.close();
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(compared).toBeGreaterThan(5_000);
  }, 120_000);

  it("returns stream windows equal to a brute-force oracle (dedupe, window, watermarks, late writes)", async () => {
    const clicks = stream("clicks", {
      entity: user,
      schema: z.object({ page: z.string() }),
      window: 3,
      section: "Activity",
    });
    const event = fc.record({
      key: fc.constantFrom("a", "b"),
      eventTime: fc.integer({ min: 0, max: 30 }),
      writeTime: fc.integer({ min: 0, max: 50 }),
      eventId: fc.constantFrom("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7"),
      page: fc.constantFrom("/a", "/b", "/c", "/d"),
    });
    const mark = fc.record({
      time: fc.integer({ min: 0, max: 40 }),
      writeTime: fc.integer({ min: 0, max: 50 }),
    });
    const label = fc.record({ key: fc.constantFrom("a", "b", "c"), t: fc.integer({ min: -2, max: 55 }) });
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { maxLength: 25 }),
        fc.array(mark, { maxLength: 3 }),
        fc.array(label, { minLength: 5, maxLength: 20 }),
        fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
        fc.boolean(),
        async (events, marks, labels, maxAge, excludeLateWrites) => {
          const offline = await duckdbOfflineStore({ path: ":memory:", sources: [clicks] });
          try {
            await offline.record(
              events.map((item) => ({
                source: clicks,
                key: { userId: item.key },
                value: { page: item.page },
                eventTime: BASE + item.eventTime,
                writeTime: BASE + item.writeTime,
                eventId: item.eventId,
              })),
            );
            for (const item of marks)
              await offline.recordWatermark(clicks, BASE + item.time, BASE + item.writeTime);
            const rows = await (
              await pointInTime(offline, {
                labels: labels.map((item) => ({
                  timestamp: BASE + item.t,
                  keys: { user: { userId: item.key } },
                })),
                excludeLateWrites,
                ...(maxAge === undefined ? {} : { maxAge }),
              })
            ).toArray();
            for (const [index, item] of labels.entries()) {
              // Oracle: visible events, first arrival per event id, newest 3 by (event, write, order).
              const seen = new Set<string>();
              const visible = events
                .map((entry, order) => ({ ...entry, order }))
                .filter(
                  (entry) =>
                    entry.key === item.key &&
                    entry.eventTime <= item.t &&
                    (!excludeLateWrites || entry.writeTime <= item.t),
                )
                .filter((entry) => {
                  if (seen.has(entry.eventId)) return false;
                  seen.add(entry.eventId);
                  return true;
                });
              visible.sort(
                (x, y) => y.eventTime - x.eventTime || y.writeTime - x.writeTime || y.order - x.order,
              );
              const window = visible.slice(0, 3).reverse();
              const visibleMarks = marks.filter(
                (entry) => entry.time <= item.t && (!excludeLateWrites || entry.writeTime <= item.t),
              );
              const watermark =
                visibleMarks.length > 0 ? Math.max(...visibleMarks.map((entry) => entry.time)) : undefined;
              const newest =
                window.length > 0 ? Math.max(...window.map((entry) => entry.eventTime)) : undefined;
              const freshness = Math.max(
                watermark ?? Number.NEGATIVE_INFINITY,
                newest ?? Number.NEGATIVE_INFINITY,
              );
              const status =
                window.length === 0 && watermark === undefined
                  ? "missing"
                  : maxAge !== undefined && item.t - freshness > maxAge
                    ? "stale"
                    : window.length === 0
                      ? "empty"
                      : "ok";
              const actual = rows[index]?.values.clicks;
              expect({
                status: actual?.status,
                pages: ((actual?.value as Array<{ page: string }> | undefined) ?? []).map(
                  (entry) => entry.page,
                ),
              }).toEqual({
                status,
                pages: window.map((entry) => entry.page),
              });
              compared += 1;
            }
          } finally {
            await offline.close();
          }
        },
      ),
      { numRuns: 150 },
    );
    expect(compared).toBeGreaterThan(1_500);
  }, 120_000);

  it("never shows a value written after t when late writes are excluded (backfill leakage)", async () => {
    const profile = batch("profile", {
      entity: user,
      schema: z.object({ plan: z.string() }),
      section: "Profile",
    });
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    const ticketFiled = BASE + 10 * 86_400_000;
    await store.record([
      { source: profile, key: { userId: "u1" }, value: { plan: "free" }, eventTime: BASE, writeTime: BASE },
      // Backfilled a month later, claiming to be true since before the ticket.
      {
        source: profile,
        key: { userId: "u1" },
        value: { plan: "enterprise" },
        eventTime: BASE + 86_400_000,
        writeTime: BASE + 40 * 86_400_000,
      },
    ]);
    const labels = [{ timestamp: ticketFiled, keys: { user: { userId: "u1" } } }];
    const strict = await (await pointInTime(store, { labels, excludeLateWrites: true })).toArray();
    expect(strict[0]?.values.profile).toMatchObject({ status: "ok", value: { plan: "free" } });
    const asOfNow = await (await pointInTime(store, { labels })).toArray();
    expect(asOfNow[0]?.values.profile).toMatchObject({ status: "ok", value: { plan: "enterprise" } });
  });

  it("keeps missing, stale and skipped as they are, never as empties", async () => {
    const profile = batch("profile", {
      entity: user,
      schema: z.object({ plan: z.string() }),
      maxAge: "1d",
      section: "Profile",
    });
    const billing = batch("billing", {
      entity: account,
      schema: z.object({ due: z.number() }),
      section: "Billing",
    });
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile, billing] });
    await store.record([
      { source: profile, key: { userId: "old" }, value: { plan: "pro" }, eventTime: BASE },
      { source: profile, key: { userId: "none" }, value: empty("no profile yet"), eventTime: BASE },
    ]);
    const t = BASE + 3 * 86_400_000;
    const rows = await (
      await pointInTime(store, {
        labels: [
          { timestamp: t, keys: { user: { userId: "old" } } },
          { timestamp: BASE + 1000, keys: { user: { userId: "none" } } },
          { timestamp: t, keys: { user: { userId: "nobody" }, account: { accountId: "acc" } } },
        ],
      })
    ).toArray();
    expect(rows[0]?.values.profile).toMatchObject({
      status: "stale",
      value: { plan: "pro" },
      ageMs: 3 * 86_400_000,
    });
    expect(rows[0]?.values.billing?.status).toBe("skipped");
    expect(rows[1]?.values.profile).toMatchObject({ status: "empty", emptyReason: "no profile yet" });
    expect(rows[1]?.values.profile?.value).toBeUndefined();
    expect(rows[2]?.values.profile?.status).toBe("missing");
    expect(rows[2]?.values.billing?.status).toBe("missing");
  });

  it("normalises mixed time zones to UTC", async () => {
    const profile = batch("profile", {
      entity: user,
      schema: z.object({ plan: z.string() }),
      section: "Profile",
    });
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    await store.record([
      {
        source: profile,
        key: { userId: "u1" },
        value: { plan: "a" },
        eventTime: "2025-03-01T10:00:00+02:00",
      }, // 08:00Z
      { source: profile, key: { userId: "u1" }, value: { plan: "b" }, eventTime: "2025-03-01T08:30:00Z" },
    ]);
    const rows = await (
      await pointInTime(store, {
        labels: [
          { timestamp: "2025-03-01T08:15:00", keys: { user: { userId: "u1" } } }, // no offset: UTC
          { timestamp: "2025-03-01T04:29:00-04:00", keys: { user: { userId: "u1" } } }, // 08:29Z
          { timestamp: new Date("2025-03-01T08:30:00Z"), keys: { user: { userId: "u1" } } },
        ],
      })
    ).toArray();
    expect(rows.map((row) => (row.values.profile?.value as { plan: string } | undefined)?.plan)).toEqual([
      "a",
      "a",
      "b",
    ]);
    expect(rows[0]?.timestamp).toBe(Date.UTC(2025, 2, 1, 8, 15));
  });

  it("rejects label events without timestamps or with bad keys, listing row numbers", async () => {
    const profile = batch("profile", {
      entity: user,
      schema: z.object({ plan: z.string() }),
      section: "Profile",
    });
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    const labels = [
      { timestamp: BASE, keys: { user: { userId: "fine" } } },
      { keys: { user: { userId: "no time" } } },
      { timestamp: BASE, keys: { user: { userId: 42 } } },
      { timestamp: "yesterday-ish", keys: { user: { userId: "x" } } },
    ] as never;
    const error = await pointInTime(store, { labels }).catch((caught: unknown) => caught);
    expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
    expect(
      (error as { details: { rows: Array<{ row: number }> } }).details.rows.map((problem) => problem.row),
    ).toEqual([2, 3, 4]);
    expect(String((error as Error).message)).toMatch(/row 2: no timestamp/);
  });

  it("reads label events from a file: mixed zones, any column names, bad rows listed by row number", async () => {
    const profile = batch("profile", {
      entity: user,
      schema: z.object({ plan: z.string() }),
      section: "Profile",
    });
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    await store.record([
      {
        source: profile,
        key: { userId: "u1" },
        value: { plan: "pro" },
        eventTime: "2025-03-01T08:00:00Z",
        writeTime: "2025-03-01T08:00:00Z",
      },
    ]);
    const directory = await mkdtemp(join(tmpdir(), "ctxstore-labels-"));
    try {
      const good = join(directory, "tickets.csv");
      await writeFile(
        good,
        [
          "ticket,user_id,ts,label_row",
          "T1,u1,2025-03-01T09:00:00+01:00,x",
          "T2,u1,2025-03-01T07:59:59Z,y",
          "T3,u2,2025-03-01 09:00:00,z",
        ].join("\n"),
      );
      const result = await pointInTime(store, {
        labels: { file: good, timestamp: "ts", keys: { user: { userId: "user_id" } } },
      });
      const rows = await result.toArray();
      expect(
        rows.map((row) => [row.columns.ticket, row.columns.label_row, row.values.profile?.status]),
      ).toEqual([
        ["T1", "x", "ok"],
        ["T2", "y", "missing"],
        ["T3", "z", "missing"],
      ]);
      expect(rows[0]?.timestamp).toBe(Date.UTC(2025, 2, 1, 8));
      const parquet = join(directory, "values.parquet");
      await result.writeParquet(parquet);
      const back = await store.connection.runAndReadAll(
        `SELECT ticket, profile.status AS status, profile.value AS value FROM read_parquet('${parquet}') ORDER BY ctx_row`,
      );
      expect(back.getRowObjectsJS()).toEqual([
        { ticket: "T1", status: "ok", value: '{"plan":"pro"}' },
        { ticket: "T2", status: "missing", value: null },
        { ticket: "T3", status: "missing", value: null },
      ]);
      await result.drop();

      const bad = join(directory, "bad.csv");
      await writeFile(
        bad,
        ["user_id,ts", "u,2025-03-01T09:00:00Z", ",2025-03-01T09:00:00Z", "u1,", "u1,soon"].join("\n"),
      );
      const strictUser = defineEntity("user", { key: z.object({ userId: z.string().min(2) }) });
      const strict = batch("strict_profile", {
        entity: strictUser,
        schema: z.object({ plan: z.string() }),
        section: "Profile",
      });
      const error = await pointInTime(store, {
        labels: { file: bad, timestamp: "ts", keys: { user: { userId: "user_id" } } },
        sources: [strict],
      }).catch((caught: unknown) => caught);
      expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
      const problems = (error as { details: { rows: Array<{ row: number; reason: string }> } }).details.rows;
      expect(problems.map((problem) => problem.row)).toEqual([1, 3, 4]);
      expect(problems[0]?.reason).toMatch(/fails the "user" key schema/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("rejects unknown and vector sources", async () => {
    store = await duckdbOfflineStore({ path: ":memory:" });
    const error = await pointInTime(store, {
      labels: [{ timestamp: BASE, keys: {} }],
      sources: ["nope"],
    }).catch((caught: unknown) => caught);
    expect(isCtxError(error, "CTX_UNKNOWN_SOURCE")).toBe(true);
  });

  it("returns a stream's window at t with watermark-based statuses", async () => {
    const clicks = stream("clicks", {
      entity: user,
      schema: z.object({ page: z.string() }),
      window: 2,
      maxAge: "1h",
      section: "Activity",
    });
    store = await duckdbOfflineStore({ path: ":memory:", sources: [clicks] });
    const minute = 60_000;
    await store.record([
      { source: clicks, key: { userId: "u1" }, value: { page: "a" }, eventTime: BASE + minute },
      { source: clicks, key: { userId: "u1" }, value: { page: "b" }, eventTime: BASE + 2 * minute },
      { source: clicks, key: { userId: "u1" }, value: { page: "c" }, eventTime: BASE + 3 * minute },
      { source: clicks, key: { userId: "u1" }, value: { page: "c" }, eventTime: BASE + 3 * minute }, // same event again: deduped
    ]);
    await store.recordWatermark(clicks, BASE + 10 * minute, BASE + 10 * minute);
    const rows = await (
      await pointInTime(store, {
        labels: [
          { timestamp: BASE + 150_000, keys: { user: { userId: "u1" } } },
          { timestamp: BASE + 5 * minute, keys: { user: { userId: "u1" } } },
          { timestamp: BASE + 30 * minute, keys: { user: { userId: "quiet" } } },
          { timestamp: BASE + 10 * minute - 1, keys: { user: { userId: "quiet" } } }, // before the first watermark
          { timestamp: BASE + 5 * 60 * minute, keys: { user: { userId: "u1" } } },
        ],
      })
    ).toArray();
    expect(rows[0]?.values.clicks).toMatchObject({ status: "ok", value: [{ page: "a" }, { page: "b" }] });
    expect(rows[1]?.values.clicks).toMatchObject({ status: "ok", value: [{ page: "b" }, { page: "c" }] });
    expect(rows[2]?.values.clicks?.status).toBe("empty");
    expect(rows[3]?.values.clicks?.status).toBe("missing");
    expect(rows[4]?.values.clicks?.status).toBe("stale");
  });
});
