// Timestamps entering the offline store (#16 items 10 and 11): only forms that name one moment
// whatever the machine's zone are taken, and everything else is a typed error naming the row, with
// nothing stored. The zone-independence is checked in child processes under several TZ values.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { batch, type CtxError, defineEntity, isCtxError } from "@ctxstore/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type DuckdbOfflineStore, duckdbOfflineStore, loadFile, pointInTime } from "../src/index.js";

const run = promisify(execFile);
const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const profile = batch("profile", {
  entity: user,
  schema: z.object({ plan: z.string() }),
  section: "Profile",
});

let directory: string;
let store: DuckdbOfflineStore | undefined;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "ctxstore-timestamps-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function failure(promise: Promise<unknown>): Promise<CtxError> {
  try {
    await promise;
  } catch (error) {
    return error as CtxError;
  }
  throw new Error("expected a failure");
}

const UNAMBIGUOUS_ONLY = ["2025/01/01 10:00:00", "Jan 1 2025 10:00:00"];

describe("offline timestamps", () => {
  it("reads offset-less ISO as UTC and refuses local-time forms the same way under every TZ", async () => {
    const script = fileURLToPath(new URL("./fixtures/timezone-child.ts", import.meta.url));
    const outcomes = [];
    for (const zone of ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]) {
      const { stdout } = await run(
        process.execPath,
        ["--conditions=@ctxstore/source", "--import", "tsx", script, directory],
        { cwd: fileURLToPath(new URL("..", import.meta.url)), env: { ...process.env, TZ: zone } },
      );
      const outcome = JSON.parse(stdout.trim()) as Record<string, unknown>;
      // The child runs in the zone asked for (ICU may name Kolkata by its old name, Calcutta).
      expect(String(outcome.zone)).toMatch(
        zone === "Asia/Kolkata" ? /^Asia\/(Kolkata|Calcutta)$/ : new RegExp(`^${zone}$`),
      );
      outcomes.push({ ...outcome, zone: undefined });
    }
    const ten = Date.UTC(2025, 0, 1, 10);
    for (const outcome of outcomes) {
      expect(outcome).toEqual({
        stored: [0, 1, 2, 3].map(() => [expect.any(String), ten]),
        labels: [[ten, "ok"]],
        slashes: "CTX_INVALID_REQUEST",
        slashesRecord: "CTX_INVALID_REQUEST",
        words: "CTX_INVALID_REQUEST",
        wordsRecord: "CTX_INVALID_REQUEST",
        count: 4,
        zone: undefined,
      });
      expect(outcome).toEqual(outcomes[0]);
    }
  }, 60_000);

  it("refuses ambiguous text, NaN, Infinity, fractions and times beyond the Date range in record(), storing nothing", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    const cases: Array<[unknown, RegExp]> = [
      ...UNAMBIGUOUS_ONLY.map((input) => [input, /is not ISO 8601 .* local time zone/] as [unknown, RegExp]),
      [1e20, /is 100000000000000000000 epoch milliseconds, beyond the range of dates/],
      [9e15, /9000000000000000 epoch milliseconds, beyond the range of dates/],
      [1_735_725_600_000.5, /is 1735725600000\.5, a fraction of a millisecond/],
      [Number.NaN, /eventTime is NaN, not a moment/],
      [Number.POSITIVE_INFINITY, /eventTime is Infinity, not a moment/],
      ["2025-01-01T10:00:00.0005Z", /digits below the millisecond/],
    ];
    for (const [eventTime, message] of cases) {
      const error = await failure(
        store.record([
          { source: profile, key: { userId: "ok" }, value: { plan: "a" }, eventTime: 0 },
          { source: profile, key: { userId: "u1" }, value: { plan: "a" }, eventTime: eventTime as number },
        ]),
      );
      expect(isCtxError(error, "CTX_INVALID_REQUEST"), String(eventTime)).toBe(true);
      expect(error.message).toMatch(/^.*Entry 1: eventTime /);
      expect(error.message).toMatch(message);
      expect(error.message).not.toMatch(/eventTime null/);
    }
    const writeError = await failure(
      store.record([{ source: profile, key: { userId: "u1" }, value: { plan: "a" }, writeTime: 1e20 }]),
    );
    expect(writeError.message).toMatch(
      /Entry 0: writeTime is 100000000000000000000 epoch milliseconds, beyond the range/,
    );
    expect(await store.count()).toBe(0);
  });

  it("refuses bad label timestamps (array and file) with CTX_INVALID_REQUEST naming each row", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    const bad = [...UNAMBIGUOUS_ONLY, 1e20, 9e15, 1.5, Number.NaN, Number.NEGATIVE_INFINITY];
    const error = await failure(
      pointInTime(store, {
        labels: [
          { timestamp: "2025-01-01T10:00:00Z", keys: { user: { userId: "u1" } } },
          ...bad.map((timestamp) => ({ timestamp, keys: { user: { userId: "u1" } } })),
        ],
      }),
    );
    expect(isCtxError(error, "CTX_INVALID_REQUEST")).toBe(true);
    expect(error.message).toMatch(/^.*7 label events are invalid/);
    expect(error.message).toMatch(/row 2: timestamp "2025\/01\/01 10:00:00" is not ISO 8601/);
    expect(error.message).toMatch(/row 3: timestamp "Jan 1 2025 10:00:00" is not ISO 8601/);
    expect(error.message).toMatch(
      /row 4: timestamp is 100000000000000000000 epoch milliseconds, beyond the range/,
    );
    expect(error.message).toMatch(/row 5: timestamp is 9000000000000000 epoch milliseconds, beyond/);
    expect(error.message).toMatch(/row 6: timestamp is 1\.5, a fraction of a millisecond/);
    expect(error.message).toMatch(/row 7: timestamp is NaN, not a moment/);
    expect(error.message).toMatch(/row 8: timestamp is -Infinity, not a moment/);

    const csv = join(directory, "labels.csv");
    await writeFile(
      csv,
      "user_id,at\nu1,2025-01-01T10:00:00Z\nu1,2025/01/01 10:00:00\nu1,Jan 1 2025 10:00:00\nu1,2025-01-01 10:00:00\nu1,2025-02-30\n",
    );
    const fromFile = await failure(
      pointInTime(store, { labels: { file: csv, timestamp: "at", keys: { user: { userId: "user_id" } } } }),
    );
    expect(isCtxError(fromFile, "CTX_INVALID_REQUEST")).toBe(true);
    expect(fromFile.message).toMatch(/3 label rows are invalid/);
    expect(fromFile.message).toMatch(/row 2: at "2025\/01\/01 10:00:00" is not ISO 8601/);
    expect(fromFile.message).toMatch(/row 3: at "Jan 1 2025 10:00:00" is not ISO 8601/);
    expect(fromFile.message).toMatch(/row 5: at "2025-02-30" is not a date of the calendar/);

    // Mixed integers and fractions make the column DOUBLE: 1e20 is shown as DuckDB prints it.
    const jsonl = join(directory, "labels.jsonl");
    await writeFile(
      jsonl,
      [1_735_725_600_000, 1e20, 9e15, 1_735_725_600_000.5]
        .map((at) => `{"user_id":"u1","at":${at === 1e20 ? "100000000000000000000" : at}}`)
        .join("\n"),
    );
    const fromJsonl = await failure(
      pointInTime(store, { labels: { file: jsonl, timestamp: "at", keys: { user: { userId: "user_id" } } } }),
    );
    expect(fromJsonl.message).toMatch(/3 label rows are invalid/);
    expect(fromJsonl.message).toMatch(/row 2: at is 1e\+20 epoch milliseconds, beyond the range of dates/);
    expect(fromJsonl.message).toMatch(/row 3: at is 9000000000000000(\.0)? epoch milliseconds, beyond/);
    expect(fromJsonl.message).toMatch(/row 4: at is 1735725600000\.5, a fraction of a millisecond/);
  });

  it("loadFile refuses the same cells (text, numbers, sub-millisecond TIMESTAMPs) with row numbers and loads nothing", async () => {
    store = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
    const csv = join(directory, "profiles.csv");
    await writeFile(
      csv,
      "userId,plan,event_time\nu1,a,2025-01-01T10:00:00Z\nu2,b,2025/01/01 10:00:00\nu3,c,Jan 1 2025 10:00:00\nu4,d,2025-01-01 10:00:00\n",
    );
    const fromCsv = await failure(loadFile(store, { source: profile, file: csv }));
    expect(isCtxError(fromCsv, "CTX_INVALID_VALUE")).toBe(true);
    expect(fromCsv.message).toMatch(/2 of 4 rows/);
    expect(fromCsv.message).toMatch(/row 2: event_time "2025\/01\/01 10:00:00" is not ISO 8601/);
    expect(fromCsv.message).toMatch(/row 3: event_time "Jan 1 2025 10:00:00" is not ISO 8601/);

    const jsonl = join(directory, "profiles.jsonl");
    await writeFile(
      jsonl,
      [
        "1735725600000",
        "100000000000000000000",
        "9000000000000000",
        "1735725600000.5",
        '"2025-01-01T10:00:00Z"',
      ]
        .map((at, index) => `{"userId":"u${index}","plan":"a","event_time":${at}}`)
        .join("\n"),
    );
    const fromJsonl = await failure(loadFile(store, { source: profile, file: jsonl }));
    expect(fromJsonl.message).toMatch(/3 of 5 rows/);
    expect(fromJsonl.message).toMatch(
      /row 2: event_time is 100000000000000000000 epoch milliseconds, beyond the range/,
    );
    expect(fromJsonl.message).toMatch(
      /row 3: event_time is 9000000000000000 epoch milliseconds, beyond the range/,
    );
    expect(fromJsonl.message).toMatch(/row 4: event_time is 1735725600000\.5, a fraction of a millisecond/);

    const parquet = join(directory, "micro.parquet");
    await store.connection.run(
      `COPY (SELECT 'u' || i AS userId, 'a' AS plan, TIMESTAMP '2025-01-01 10:00:00' + INTERVAL (i * 250) MICROSECOND AS event_time FROM range(5) t(i)) TO '${parquet}' (FORMAT parquet)`,
    );
    const fromParquet = await failure(loadFile(store, { source: profile, file: parquet }));
    expect(fromParquet.message).toMatch(/3 of 5 rows/);
    expect(fromParquet.message).toMatch(
      /row 2: event_time 2025-01-01 10:00:00\.00025 has digits below the millisecond/,
    );
    const nanos = join(directory, "nanos.parquet");
    await store.connection.run(
      `COPY (SELECT * FROM (VALUES ('n1', 'a', '2025-01-01 10:00:00.001'::TIMESTAMP_NS), ('n2', 'a', '2025-01-01 10:00:00.000000001'::TIMESTAMP_NS), ('n3', 'a', '2025-01-01'::DATE::TIMESTAMP_NS)) t(userId, plan, event_time)) TO '${nanos}' (FORMAT parquet)`,
    );
    const fromNanos = await failure(loadFile(store, { source: profile, file: nanos }));
    expect(fromNanos.message).toMatch(
      /^[^;]*1 of 3 rows.*row 2: event_time 2025-01-01 10:00:00\.000000001 has digits below the millisecond/,
    );
    expect(await store.count()).toBe(0);

    const partial = await loadFile(store, { source: profile, file: parquet, partial: true });
    expect(partial).toMatchObject({ loaded: 2, rejectedCount: 3 });
    expect((await store.history(profile)).map((row) => row.eventTime)).toEqual([
      Date.UTC(2025, 0, 1, 10),
      Date.UTC(2025, 0, 1, 10) + 1, // 1,000 microseconds
    ]);
  });
});
