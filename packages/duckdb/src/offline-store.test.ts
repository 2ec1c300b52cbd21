import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batch, defineEntity, empty, isCtxError, stream } from "@ctxstore/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadFile } from "./load.js";
import { type DuckdbOfflineStore, duckdbOfflineStore } from "./offline-store.js";
import { queryRows } from "./sql.js";

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const profile = batch("customer_profile", {
  entity: user,
  schema: z.object({ plan: z.enum(["free", "pro", "enterprise"]), orders: z.number().int().nonnegative() }),
  section: "Customer profile",
});
const clicks = stream("clicks", {
  entity: user,
  schema: z.object({ page: z.string() }),
  window: 5,
  section: "Activity",
});

let directory: string;
let store: DuckdbOfflineStore | undefined;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "ctxstore-duckdb-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe("duckdbOfflineStore", () => {
  it("records validated history and keeps it across reopen, with insertion order continuing", async () => {
    const path = join(directory, "history.duckdb");
    store = await duckdbOfflineStore({ path, sources: [profile], now: () => Date.UTC(2025, 0, 2) });
    await store.record([
      {
        source: profile,
        key: { userId: "u1" },
        value: { plan: "pro", orders: 3 },
        eventTime: "2025-01-01T00:00:00Z",
      },
      { source: "customer_profile", key: { userId: "u2" }, value: empty("new customer") },
    ]);
    await store.close();
    store = await duckdbOfflineStore({ path, sources: [profile] });
    await store.record([
      {
        source: profile,
        key: { userId: "u1" },
        value: { plan: "enterprise", orders: 4 },
        eventTime: Date.UTC(2025, 0, 3),
        writeTime: Date.UTC(2025, 0, 3),
      },
    ]);
    const rows = await store.history(profile);
    expect(rows.map((row) => [row.seq, row.entityKey, row.isEmpty, row.value])).toEqual([
      [1, "userId=u1", false, '{"plan":"pro","orders":3}'],
      [2, "userId=u2", true, null],
      [3, "userId=u1", false, '{"plan":"enterprise","orders":4}'],
    ]);
    expect(rows[0]).toMatchObject({
      eventTime: Date.UTC(2025, 0, 1),
      writeTime: Date.UTC(2025, 0, 2),
      schemaVersion: 1,
      keyJson: '{"userId":"u1"}',
    });
    expect(rows[1]).toMatchObject({ emptyReason: "new customer", eventTime: Date.UTC(2025, 0, 2) });
  });

  it("writes nothing when one entry of a batch is invalid, and names it", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    const error = await store
      .record([
        { source: profile, key: { userId: "u1" }, value: { plan: "pro", orders: 1 } },
        { source: profile, key: { userId: "u2" }, value: { plan: "gold", orders: 1 } },
      ])
      .catch((caught: unknown) => caught);
    expect(isCtxError(error, "CTX_INVALID_VALUE")).toBe(true);
    expect(String((error as Error).message)).toMatch(/Entry 1: value fails the schema/);
    const keyError = await store
      .record([{ source: profile, key: { id: 1 }, value: { plan: "pro", orders: 1 } }])
      .catch((caught: unknown) => caught);
    expect(isCtxError(keyError, "CTX_INVALID_KEY")).toBe(true);
    const unknown = await store
      .record([{ source: "nope", key: { userId: "u" }, value: 1 }])
      .catch((caught: unknown) => caught);
    expect(isCtxError(unknown, "CTX_UNKNOWN_SOURCE")).toBe(true);
    expect(await store.count()).toBe(0);
  });

  it("loads CSV with mixed time zones, JSON Lines and Parquet, and exports Parquet with UTC timestamps", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile, clicks] });
    const csv = join(directory, "profiles.csv");
    await writeFile(
      csv,
      [
        "userId,plan,orders,event_time",
        "u1,pro,3,2025-01-01T10:00:00+02:00",
        "u2,free,0,2025-01-01 08:00:00",
        "u3,enterprise,9,2025-01-01T03:00:00-05:00",
      ].join("\n"),
    );
    const fromCsv = await loadFile(store, { source: profile, file: csv });
    expect(fromCsv).toMatchObject({ rows: 3, loaded: 3, rejectedCount: 0 });
    const times = (await store.history(profile)).map((row) => row.eventTime);
    expect(times).toEqual([Date.UTC(2025, 0, 1, 8), Date.UTC(2025, 0, 1, 8), Date.UTC(2025, 0, 1, 8)]);

    const jsonl = join(directory, "clicks.jsonl");
    await writeFile(
      jsonl,
      `${JSON.stringify({ user_id: "u1", at: "2025-01-01T00:00:00Z", page: "/a", id: "e1" })}\n${JSON.stringify({ user_id: "u1", at: 1735689601000, page: "/b", id: "e2" })}\n`,
    );
    const fromJsonl = await loadFile(store, {
      source: clicks,
      file: jsonl,
      key: { userId: "user_id" },
      eventTime: "at",
      eventId: "id",
    });
    expect(fromJsonl.loaded).toBe(2);
    expect((await store.history(clicks)).map((row) => [row.eventId, row.value])).toEqual([
      ["e1", '{"page":"/a"}'],
      ["e2", '{"page":"/b"}'],
    ]);

    const parquet = join(directory, "profiles.parquet");
    await store.connection.run(
      `COPY (SELECT 'p' || i AS userId, {'plan': 'pro', 'orders': i::INTEGER} AS profile, TIMESTAMPTZ '2025-02-01 00:00:00+00' + INTERVAL (i) HOUR AS event_time FROM range(5) t(i)) TO '${parquet}' (FORMAT parquet)`,
    );
    const fromParquet = await loadFile(store, { source: profile, file: parquet, value: "profile" });
    expect(fromParquet.loaded).toBe(5);
    expect(await store.history(profile, { userId: "p4" })).toMatchObject([
      { value: '{"plan":"pro","orders":4}', eventTime: Date.UTC(2025, 1, 1, 4) },
    ]);

    const exported = join(directory, "export.parquet");
    expect(await store.exportParquet(exported, { sources: [profile] })).toEqual({ rows: 8 });
    const back = await queryRows(
      store.connection,
      `SELECT typeof(event_time) AS type, epoch_ms(min(event_time)) AS first, count(*) AS n FROM read_parquet('${exported}') GROUP BY 1`,
    );
    expect(back).toEqual([{ type: "TIMESTAMP WITH TIME ZONE", first: Date.UTC(2025, 0, 1, 8), n: 8 }]);
    expect((await readdir(directory)).filter((name) => name.includes(".partial-"))).toEqual([]);
  });

  it("rejects a file with bad rows as a whole, with row numbers and reasons, unless partial", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    const csv = join(directory, "bad.csv");
    await writeFile(
      csv,
      [
        "userId,plan,orders,event_time",
        "u1,pro,3,2025-01-01T00:00:00Z",
        "u2,gold,1,2025-01-01T00:00:00Z",
        "u3,free,-4,2025-01-01T00:00:00Z",
        "u4,free,1,not a date",
        "u5,free,2,2025-01-02",
      ].join("\n"),
    );
    const error = await loadFile(store, { source: profile, file: csv }).catch((caught: unknown) => caught);
    expect(isCtxError(error, "CTX_INVALID_VALUE")).toBe(true);
    const details = (
      error as { details: { rejected: Array<{ row: number; reason: string }>; rejectedCount: number } }
    ).details;
    expect(details.rejected.map((problem) => problem.row)).toEqual([2, 3, 4]);
    expect(details.rejected[2]?.reason).toMatch(/event_time "not a date" is not ISO 8601/);
    expect(await store.count()).toBe(0);

    const report = await loadFile(store, { source: profile, file: csv, partial: true });
    expect(report).toMatchObject({ rows: 5, loaded: 2, rejectedCount: 3 });
    expect((await store.history(profile)).map((row) => row.entityKey)).toEqual(["userId=u1", "userId=u5"]);
  });

  it("reports unreadable files and missing columns clearly", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    const missing = await loadFile(store, { source: profile, file: join(directory, "nope.parquet") }).catch(
      (caught: unknown) => caught,
    );
    expect(isCtxError(missing, "CTX_INVALID_REQUEST")).toBe(true);
    const csv = join(directory, "nocol.csv");
    await writeFile(csv, "userId,plan,orders\nu1,pro,1\n");
    const noTime = await loadFile(store, { source: profile, file: csv }).catch((caught: unknown) => caught);
    expect(String((noTime as Error).message)).toMatch(/no column "event_time"/);
  });
});
