import {
  batch,
  createContextStore,
  defineEntity,
  empty,
  isCtxError,
  memoryStore,
  type OnlineStore,
  stream,
} from "@ctxstore/core";
import { sourceField } from "@ctxstore/core/store";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { duckdbOfflineStore, type MaterializeProgress, materialize } from "../src/index.js";

const T0 = Date.parse("2026-01-10T00:00:00Z");
const customer = defineEntity("customer", { key: z.object({ customerId: z.string() }) });
const orderStats = batch("order_stats", {
  entity: customer,
  schema: z.object({ orders: z.number(), spend: z.number() }),
  section: "Orders",
  render: (stats) => `${stats.orders} orders, ${stats.spend} EUR spent.`,
});
const clicks = stream("clicks", {
  entity: customer,
  schema: z.object({ page: z.string() }),
  window: 2,
  section: "Activity",
});

async function readStats(online: OnlineStore, ids: readonly string[]) {
  const result = await online.read({
    records: ids.map((id) => ({
      entity: "customer",
      key: `customerId=${id}`,
      field: sourceField(orderStats),
      kind: "value" as const,
    })),
  });
  return result.records.map((record) =>
    record.kind === "value" ? (record.envelope?.value ?? null) : record.kind,
  );
}

function statsRows(count: number, zeroEvery: number, at: number) {
  return Array.from({ length: count }, (_, index) => ({
    source: orderStats,
    key: { customerId: `c${index}` },
    value: index % zeroEvery === 0 ? { orders: 0, spend: 0 } : { orders: index, spend: index * 10 },
    eventTime: at,
    writeTime: at,
  }));
}

describe("materialize", () => {
  it("publishes the latest value per entity incrementally, with progress, and holds a burst of zeros until forced", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const online = memoryStore();
    // The writer's clock is past every run's event times (day 2 included): core refuses event times
    // ahead of it beyond maxClockSkew.
    const context = createContextStore({
      sources: [orderStats, clicks],
      online,
      now: () => T0 + 7 * 86_400_000,
    });
    offline.register([orderStats, clicks]);

    // Day 1: 200 customers, 1 in 50 legitimately has no orders (2%); one customer has two versions.
    await offline.record(statsRows(200, 50, T0));
    await offline.record([
      {
        source: orderStats,
        key: { customerId: "c1" },
        value: { orders: 2, spend: 25 },
        eventTime: T0 + 1000,
        writeTime: T0 + 1000,
      },
    ]);
    const progress: MaterializeProgress[] = [];
    const first = await materialize({
      offline,
      context,
      batchSize: 64,
      sources: [orderStats],
      onProgress: (update) => progress.push(update),
    });
    expect(first.sources[0]).toMatchObject({
      status: "published",
      newRows: 201,
      values: 200,
      applied: 200,
      zeroRate: 0.02,
      previousZeroRate: undefined,
    });
    expect(progress.map((update) => update.written)).toEqual([64, 128, 192, 200]);
    expect(progress.at(-1)).toMatchObject({ total: 200, totalAll: 200, writtenAll: 200 });
    expect(await readStats(online, ["c1", "c3"])).toEqual([
      { orders: 2, spend: 25 },
      { orders: 3, spend: 30 },
    ]);

    // Nothing new: nothing to do.
    const idle = await materialize({ offline, context, sources: [orderStats] });
    expect(idle.sources[0]).toMatchObject({ status: "unchanged", newRows: 0 });

    // Day 2: an upstream timeout wrote zeros for half the customers (50%).
    await offline.record(statsRows(200, 2, T0 + 86_400_000));
    const held = await materialize({ offline, context, sources: [orderStats] });
    expect(held.held).toEqual(["order_stats"]);
    const report = held.sources[0];
    expect(report).toMatchObject({
      status: "held",
      values: 200,
      applied: 0,
      zeroRate: 0.5,
      previousZeroRate: 0.02,
    });
    expect(report?.sampleZeroKeys).toEqual([
      "customerId=c0",
      "customerId=c2",
      "customerId=c4",
      "customerId=c6",
      "customerId=c8",
    ]);
    expect(report?.reason).toMatch(/would rise from 2% \(the reference\) to 50%/);
    expect(await readStats(online, ["c2", "c3"])).toEqual([
      { orders: 2, spend: 20 },
      { orders: 3, spend: 30 },
    ]);

    // Still held on the next run (the watermark did not move), until forced.
    expect((await materialize({ offline, context, sources: [orderStats] })).held).toEqual(["order_stats"]);
    const forced = await materialize({ offline, context, sources: [orderStats], force: ["order_stats"] });
    expect(forced.sources[0]).toMatchObject({ status: "published", forced: true, values: 200, applied: 200 });
    expect(forced.valuesPerSecond).toBeGreaterThan(0);
    expect(await readStats(online, ["c2", "c3"])).toEqual([
      { orders: 0, spend: 0 },
      { orders: 3, spend: 30 },
    ]);
    await offline.close();
  });

  it("publishes every value of a run read in several pages and chunks, text intact", async () => {
    const note = batch("note", {
      entity: customer,
      schema: z.object({ text: z.string(), n: z.number() }),
      section: "Notes",
      render: (value) => value.text,
    });
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const online = memoryStore();
    const context = createContextStore({ sources: [note], online, now: () => T0 });
    offline.register([note]);
    // More than one page (10,000 rows) and many chunks (500 rows); text with what the page format
    // uses as separators: newlines, commas, brackets, quotes.
    const total = 10_777;
    const text = (index: number) => `line ${index}\n"quoted", ],[ \\ end ${index % 7 === 0 ? "\u2028" : ""}`;
    await offline.record(
      Array.from({ length: total }, (_, index) => ({
        source: note,
        key: { customerId: `c${index}` },
        value: { text: text(index), n: index },
        eventTime: T0,
        writeTime: T0,
      })),
    );
    // One value stored as indented JSON text (as a bulk load or another writer may leave it): its
    // raw newlines must not split a chunk.
    await offline.connection.run(
      `INSERT INTO ctx_history SELECT max(seq) + 1, 'note', 1, 'customer', 'customerId=pretty', '{"customerId":"pretty"}', ${T0}, ${T0}, '{\n  "text": "indented",\n  "n": -1\n}', false, NULL, NULL, '' FROM ctx_history`,
    );
    let written = 0;
    const run = await materialize({ offline, context, onProgress: (update) => (written = update.written) });
    expect(run.sources[0]).toMatchObject({ status: "published", values: total + 1, applied: total + 1 });
    expect(written).toBe(total + 1);
    const pretty = await online.read({
      records: [{ entity: "customer", key: "customerId=pretty", field: sourceField(note), kind: "value" }],
    });
    expect(pretty.records[0]).toMatchObject({ envelope: { value: { text: "indented", n: -1 } } });
    const read = await online.read({
      records: Array.from({ length: total }, (_, index) => ({
        entity: "customer",
        key: `customerId=c${index}`,
        field: sourceField(note),
        kind: "value" as const,
      })),
    });
    const values = read.records.map((record) =>
      record.kind === "value" ? record.envelope?.value : undefined,
    );
    expect(values).toEqual(Array.from({ length: total }, (_, index) => ({ text: text(index), n: index })));
    await offline.close();
  });

  it("counts empty() and null-ish values as zero-like, and can be turned off", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const context = createContextStore({ sources: [orderStats], online: memoryStore(), now: () => T0 });
    offline.register([orderStats]);
    await offline.record(statsRows(100, 1_000, T0));
    await materialize({ offline, context });
    await offline.record(
      Array.from({ length: 100 }, (_, index) => ({
        source: orderStats,
        key: { customerId: `c${index}` },
        value: empty("no orders"),
        eventTime: T0 + 1,
        writeTime: T0 + 1,
      })),
    );
    const guarded = await materialize({ offline, context, guard: { threshold: 0.5, minValues: 10 } });
    expect(guarded.sources[0]).toMatchObject({ status: "held", zeroRate: 1 });
    const unguarded = await materialize({ offline, context, guard: false });
    expect(unguarded.sources[0]).toMatchObject({ status: "published", applied: 100 });
    await offline.close();
  });

  it("measures zero-like values: a record of zeros is zero-like whatever identifier it carries, a list of tags is not", async () => {
    const card = batch("card", {
      entity: customer,
      schema: z.object({ name: z.string(), tags: z.array(z.string()), score: z.number() }),
      section: "Card",
    });
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const context = createContextStore({ sources: [card], online: memoryStore(), now: () => T0 });
    offline.register([card]);
    const values = [
      { name: "", tags: [], score: 0 },
      { name: "Ada", tags: [], score: 0 },
      { name: "  ", tags: [], score: 0.0 },
      { name: "", tags: ["vip"], score: 0 },
    ];
    await offline.record(
      values.map((value, index) => ({
        source: card,
        key: { customerId: `c${index}` },
        value,
        eventTime: T0,
        writeTime: T0,
      })),
    );
    const report = await materialize({ offline, context });
    // { name: "Ada", tags: [], score: 0 } is the zeroed record of a broken join (the name is an
    // identifier, looked through); { name: "", tags: ["vip"], score: 0 } still says something.
    expect(report.sources[0]).toMatchObject({
      zeroRate: 0.75,
      sampleZeroKeys: ["customerId=c0", "customerId=c1", "customerId=c2"],
    });
    await offline.close();
  });

  it("materializes stream windows and the recorded ingest watermark", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const online = memoryStore();
    const context = createContextStore({ sources: [clicks], online, now: () => T0 });
    offline.register([clicks]);
    await offline.record(
      ["/a", "/b", "/c"].map((page, index) => ({
        source: clicks,
        key: { customerId: "c1" },
        value: { page },
        eventTime: T0 + index,
        writeTime: T0 + index,
      })),
    );
    await offline.recordWatermark(clicks, T0 + 10, T0 + 10);
    const report = await materialize({ offline, context });
    expect(report.sources[0]).toMatchObject({ status: "published", values: 2 });
    const read = await online.read({
      records: [{ entity: "customer", key: "customerId=c1", field: "clicks@1", kind: "window" }],
      watermarks: ["clicks@1"],
    });
    const record = read.records[0];
    expect(record?.kind === "window" ? record.events.map((event) => event.value) : record).toEqual([
      { page: "/b" },
      { page: "/c" },
    ]);
    expect(read.watermarks["clicks@1"]).toBe(T0 + 10);
    await offline.close();
  });

  it("leaves the watermark in place when the online store fails, so the next run repeats safely", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const healthy = memoryStore();
    let failing = true;
    const flaky: OnlineStore = {
      ...healthy,
      name: "flaky",
      write: (writes) => (failing ? Promise.reject(new Error("connection reset")) : healthy.write(writes)),
    };
    const context = createContextStore({ sources: [orderStats], online: flaky, now: () => T0 });
    offline.register([orderStats]);
    await offline.record(statsRows(10, 1_000, T0));
    const error = await materialize({ offline, context }).catch((caught: unknown) => caught);
    expect(isCtxError(error, "CTX_STORE_UNAVAILABLE")).toBe(true);
    expect(String((error as Error).message)).toMatch(/watermark did not move/);
    failing = false;
    const retry = await materialize({ offline, context });
    expect(retry.sources[0]).toMatchObject({ status: "published", newRows: 10, applied: 10 });
    await offline.close();
  });

  it("fails with a typed error when a page of offline history cannot be read, and the next run repeats", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const online = memoryStore();
    const context = createContextStore({ sources: [orderStats], online, now: () => T0 });
    offline.register([orderStats]);
    await offline.record(statsRows(10, 1_000, T0));
    // Call 1 plans the source, call 2 reads the first page: that one fails.
    let calls = 0;
    const failingRead = new Proxy(offline, {
      get(target, property, receiver) {
        if (property !== "exclusive") return Reflect.get(target, property, receiver);
        return (body: Parameters<typeof offline.exclusive>[0]) =>
          ++calls === 2
            ? Promise.reject(new Error("IO Error: could not read block"))
            : target.exclusive(body);
      },
    });
    const error = await materialize({ offline: failingRead, context }).catch((caught: unknown) => caught);
    expect(isCtxError(error, "CTX_STORE_UNAVAILABLE")).toBe(true);
    expect(String((error as Error).message)).toMatch(
      /reading "order_stats" from the offline store failed.*could not read block.*watermark did not move/,
    );
    const read = await online.read({
      records: [{ kind: "value", entity: "customer", key: "customerId=c1", field: sourceField(orderStats) }],
    });
    expect(read.records[0]).toEqual({ kind: "value", envelope: undefined });
    const retry = await materialize({ offline, context });
    expect(retry.sources[0]).toMatchObject({ status: "published", newRows: 10, applied: 10 });
    await offline.close();
  });

  it("stops on a history row the current schema refuses, with the write path's typed error, and publishes nothing of it", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const online = memoryStore();
    const context = createContextStore({ sources: [orderStats], online, now: () => T0 });
    offline.register([orderStats]);
    await offline.record(statsRows(3, 1_000, T0));
    // A foreign writer put a row straight into the table, bypassing the value schema.
    await offline.connection.run(
      `INSERT INTO ctx_history SELECT max(seq) + 1, 'order_stats', 1, 'customer', 'customerId=zz', '{"customerId":"zz"}', ${T0}, ${T0}, '{"orders":"many"}', false, NULL, NULL, '' FROM ctx_history`,
    );
    const error = await materialize({ offline, context, batchSize: 1 }).catch((caught: unknown) => caught);
    expect(isCtxError(error, "CTX_INVALID_VALUE")).toBe(true);
    const runs = await offline.connection.runAndReadAll("SELECT count(*) AS n FROM ctx_materializations");
    expect(Number(runs.getRowObjects()[0]?.n)).toBe(0);
    await offline.close();
  });
});
