// materialize's dryRun and since options (the CLI's `materialize --dry-run` and `--since`).
import {
  batch,
  createContextStore,
  defineEntity,
  isCtxError,
  memoryStore,
  type OnlineStore,
} from "@ctxstore/core";
import { sourceField } from "@ctxstore/core/store";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { duckdbOfflineStore, materialize } from "../src/index.js";

const T0 = Date.parse("2026-01-10T00:00:00Z");
const DAY = 86_400_000;
const customer = defineEntity("customer", { key: z.object({ customerId: z.string() }) });
const orderStats = batch("order_stats", {
  entity: customer,
  schema: z.object({ orders: z.number() }),
  section: "Orders",
  render: (stats) => `${stats.orders} orders.`,
});

function rows(count: number, zeroEvery: number, at: number) {
  return Array.from({ length: count }, (_, index) => ({
    source: orderStats,
    key: { customerId: `c${index}` },
    value: { orders: index % zeroEvery === 0 ? 0 : index + 1 },
    eventTime: at,
    writeTime: at,
  }));
}

async function stored(online: OnlineStore, ids: readonly string[]) {
  const result = await online.read({
    records: ids.map((id) => ({
      entity: "customer",
      key: `customerId=${id}`,
      field: sourceField(orderStats),
      kind: "value" as const,
    })),
  });
  return result.records.map((record) =>
    record.kind === "value" ? (record.envelope?.value ?? "missing") : record.kind,
  );
}

async function setUp() {
  const offline = await duckdbOfflineStore({ path: ":memory:" });
  const online = memoryStore();
  const context = createContextStore({ sources: [orderStats], online, now: () => T0 + 2 * DAY });
  offline.register([orderStats]);
  return { offline, online, context };
}

describe("materialize dryRun", () => {
  it("reports what a run would do and writes nothing: no values, no watermark, no guard reference", async () => {
    const { offline, online, context } = await setUp();
    await offline.record(rows(100, 50, T0));
    const dry = await materialize({ offline, context, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, written: 0, held: [] });
    expect(dry.sources[0]).toMatchObject({ status: "published", newRows: 100, values: 100, applied: 0 });
    expect(await stored(online, ["c1", "c2"])).toEqual(["missing", "missing"]);

    const real = await materialize({ offline, context });
    expect(real.dryRun).toBe(false);
    // Same rows as the dry run: it moved no watermark; and no reference share came from it.
    expect(real.sources[0]).toMatchObject({
      status: "published",
      newRows: 100,
      applied: 100,
      previousZeroRate: undefined,
    });
    expect(await stored(online, ["c1"])).toEqual([{ orders: 2 }]);

    // Day 2: half zeros. The dry run says it would be held, and why; nothing changes online.
    await offline.record(rows(100, 2, T0 + DAY));
    const heldDry = await materialize({ offline, context, dryRun: true });
    expect(heldDry.held).toEqual(["order_stats"]);
    expect(heldDry.sources[0]).toMatchObject({ status: "held", values: 100, heldValues: 100, zeroRate: 0.5 });
    expect(heldDry.sources[0]?.reason).toMatch(/Held back/);
    const forcedDry = await materialize({ offline, context, dryRun: true, force: true });
    expect(forcedDry.sources[0]).toMatchObject({ status: "published", forced: true, applied: 0 });
    expect(forcedDry.sources[0]?.reason).toMatch(/Would be published anyway/);
    expect(await stored(online, ["c2"])).toEqual([{ orders: 3 }]);
    expect((await materialize({ offline, context })).held).toEqual(["order_stats"]);
    await offline.close();
  });

  it("always predicts the run that follows it (property: random waves of zeros)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 4 }),
        async (waves) => {
          const { offline, context } = await setUp();
          try {
            for (const [day, zeroEvery] of waves.entries()) {
              await offline.record(rows(40, zeroEvery, T0 + day * DAY));
              const predicted = (await materialize({ offline, context, dryRun: true })).sources[0];
              const actual = (await materialize({ offline, context })).sources[0];
              const shape = (report: typeof actual) => ({
                status: report?.status,
                newRows: report?.newRows,
                values: report?.values,
                zeroRate: report?.zeroRate,
                previousZeroRate: report?.previousZeroRate,
                reason: report?.reason,
              });
              expect(shape(predicted)).toEqual(shape(actual));
            }
          } finally {
            await offline.close();
          }
        },
      ),
      { numRuns: 8 },
    );
  });

  it("refuses a dryRun that is not a boolean", async () => {
    const { offline, context } = await setUp();
    const error = await materialize({ offline, context, dryRun: "yes" as never }).catch((caught) => caught);
    expect(isCtxError(error) && error.code).toBe("CTX_CONFIG");
    await offline.close();
  });
});

describe("materialize since", () => {
  it("re-publishes history written since a time into an online store that lost it, and never skips newer history", async () => {
    const { offline, context } = await setUp();
    await offline.record(rows(10, 100, T0));
    await offline.record([
      {
        source: orderStats,
        key: { customerId: "c1" },
        value: { orders: 7 },
        eventTime: T0 + 1_000,
        writeTime: T0 + 1_000,
      },
    ]);
    expect((await materialize({ offline, context })).sources[0]).toMatchObject({
      status: "published",
      values: 10,
    });

    // The online store lost everything (a flushed Redis): a plain run has nothing new to publish.
    const fresh = memoryStore();
    expect(
      (await materialize({ offline, context, online: fresh, target: context.online.name })).sources[0],
    ).toMatchObject({
      status: "unchanged",
    });
    // since T0 + 1 ms: only c1's second row was written then; since T0: everything.
    const late = await materialize({
      offline,
      context,
      online: fresh,
      target: context.online.name,
      since: T0 + 1,
    });
    expect(late).toMatchObject({ since: T0 + 1 });
    expect(late.sources[0]).toMatchObject({ status: "published", newRows: 1, values: 1 });
    expect(await stored(fresh, ["c1", "c2"])).toEqual([{ orders: 7 }, "missing"]);
    const all = await materialize({
      offline,
      context,
      online: fresh,
      target: context.online.name,
      since: new Date(T0).toISOString(),
    });
    expect(all.sources[0]).toMatchObject({ status: "published", newRows: 11, values: 10 });
    expect(await stored(fresh, ["c1", "c2"])).toEqual([{ orders: 7 }, { orders: 3 }]);

    // History newer than the watermark is published even when since is later than it was written.
    await offline.record(rows(3, 100, T0 + DAY).map((row) => ({ ...row, value: { orders: 99 } })));
    const widened = await materialize({
      offline,
      context,
      online: fresh,
      target: context.online.name,
      since: T0 + 10 * DAY,
    });
    expect(widened.sources[0]).toMatchObject({ status: "published", newRows: 3, values: 3 });
    expect(await stored(fresh, ["c0", "c2", "c5"])).toEqual([{ orders: 99 }, { orders: 99 }, { orders: 6 }]);
    await offline.close();
  });

  it("refuses a since that does not name one moment, saying which forms it takes", async () => {
    const { offline, context } = await setUp();
    for (const since of ["2025/01/01 10:00:00", "2025-01-01T10:00:00", "yesterday", Number.NaN, -1, 1.5]) {
      const error = await materialize({ offline, context, since }).catch((caught) => caught);
      expect(isCtxError(error) && error.code, String(since)).toBe("CTX_CONFIG");
      expect(error.message).toMatch(/ISO 8601 time with an offset/);
    }
    expect(await offline.history(orderStats)).toEqual([]);
    await offline.close();
  });
});

describe("materialize signal", () => {
  it("stops between sources: the running one finishes whole, the rest are notStarted and publish on the next run", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const online = memoryStore();
    const second = batch("order_notes", {
      entity: customer,
      schema: z.object({ note: z.string() }),
      section: "Notes",
    });
    const context = createContextStore({ sources: [orderStats, second], online, now: () => T0 + DAY });
    offline.register([orderStats, second]);
    await offline.record(rows(50, 100, T0));
    await offline.record(
      Array.from({ length: 50 }, (_, index) => ({
        source: second,
        key: { customerId: `c${index}` },
        value: { note: `note ${index}` },
        eventTime: T0,
        writeTime: T0,
      })),
    );
    const controller = new AbortController();
    const run = await materialize({
      offline,
      context,
      batchSize: 10,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(run.sources.map((source) => [source.source, source.status, source.applied])).toEqual([
      ["order_stats", "published", 50],
    ]);
    expect(run.notStarted).toEqual(["order_notes"]);
    const next = await materialize({ offline, context });
    expect(next.sources.map((source) => [source.source, source.status, source.newRows])).toEqual([
      ["order_stats", "unchanged", 0],
      ["order_notes", "published", 50],
    ]);
    expect(next.notStarted).toEqual([]);
    await offline.close();
  });
});
