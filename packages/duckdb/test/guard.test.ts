// The phantom-zero guard through the public API, case by case as issue #21 lists them: every zero
// shape at 30%, slow creep, forced runs, small runs, first runs, publishing the good values of a held
// run, and per-source rules. Each verdict is the one packages/duckdb/README.md promises.
import {
  batch,
  createContextStore,
  defineEntity,
  empty,
  isCtxError,
  memoryStore,
  type OnlineStore,
} from "@ctxstore/core";
import { sourceField } from "@ctxstore/core/store";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type DuckdbOfflineStore,
  duckdbOfflineStore,
  type MaterializeOptions,
  materialize,
  type PhantomZeroGuard,
  type SourceRunReport,
} from "../src/index.js";
import { INFORMATIVE_SHAPES, ZERO_SHAPES } from "./zero-shapes.js";

const T0 = Date.parse("2026-02-01T00:00:00Z");
const customer = defineEntity("customer", { key: z.object({ customerId: z.string() }) });
const stats = batch("customer_stats", {
  entity: customer,
  schema: z.unknown(),
  section: "Stats",
  render: (value) => JSON.stringify(value),
});
const good = (index: number) => ({ name: `Customer ${index}`, orders: index + 1, spend: (index + 1) * 10 });

interface Harness {
  offline: DuckdbOfflineStore;
  online: OnlineStore;
  /** Records one run's values (entity index -> value) and materializes it. */
  run(
    values: ReadonlyMap<number, unknown> | ReadonlyArray<unknown>,
    options?: Partial<MaterializeOptions>,
  ): Promise<SourceRunReport>;
  read(index: number): Promise<unknown>;
  close(): Promise<void>;
}

async function harness(guard?: MaterializeOptions["guard"]): Promise<Harness> {
  const offline = await duckdbOfflineStore({ path: ":memory:" });
  const online = memoryStore();
  let runs = 0;
  // The writer's clock stands at the latest run (event times are never ahead of it).
  const context = createContextStore({ sources: [stats], online, now: () => T0 + runs * 60_000 });
  offline.register([stats]);
  return {
    offline,
    online,
    async run(values, options = {}) {
      runs += 1;
      const at = T0 + runs * 60_000;
      const entries = values instanceof Map ? [...values] : [...(values as unknown[]).entries()];
      await offline.record(
        entries.map(([index, value]) => ({
          source: stats,
          key: { customerId: `c${index}` },
          value,
          eventTime: at,
          writeTime: at,
        })),
      );
      const report = await materialize({
        offline,
        context,
        ...(guard === undefined ? {} : { guard }),
        ...options,
      });
      return report.sources[0] as SourceRunReport;
    },
    async read(index) {
      const result = await online.read({
        records: [
          { kind: "value", entity: "customer", key: `customerId=c${index}`, field: sourceField(stats) },
        ],
      });
      const record = result.records[0];
      return record?.kind === "value" ? record.envelope?.value : undefined;
    },
    close: () => offline.close(),
  };
}

/** 1,000 entities, `share` of them (the first ones) holding `zero`. */
function fullRun(
  share: number,
  zero: unknown = { name: "x", orders: 0, spend: 0 },
  count = 1_000,
): unknown[] {
  return Array.from({ length: count }, (_, index) =>
    index < Math.round(share * count) ? zero : good(index),
  );
}

describe("the phantom-zero guard", () => {
  it("holds a 30% wave of every zero shape a broken upstream writes, and publishes 30% of informative look-alikes", async () => {
    for (const shape of ZERO_SHAPES) {
      const guarded = await harness();
      expect((await guarded.run(fullRun(0.02))).status).toBe("published");
      const report = await guarded.run(fullRun(0.3, shape));
      expect({ shape, status: report.status, zeroRate: report.zeroRate }).toEqual({
        shape,
        status: "held",
        zeroRate: 0.3,
      });
      expect(await guarded.read(0)).toEqual({ name: "x", orders: 0, spend: 0 });
      await guarded.close();
    }
    for (const shape of INFORMATIVE_SHAPES) {
      const guarded = await harness();
      await guarded.run(fullRun(0.02, undefined, 200));
      const report = await guarded.run(fullRun(0.3, shape, 200));
      expect({ shape, status: report.status }).toEqual({ shape, status: "published" });
      await guarded.close();
    }
  }, 120_000);

  it("holds slow creep: 2 → 5 → 9 → 14 → 20% is held at 20% (the reference is the median of reference runs, not the last run)", async () => {
    const guarded = await harness();
    const verdicts = [];
    for (const share of [0.02, 0.05, 0.09, 0.14, 0.2, 0.27]) {
      const report = await guarded.run(fullRun(share));
      const reference = report.previousZeroRate;
      verdicts.push([
        Math.round(share * 100),
        report.status,
        reference === undefined ? undefined : Math.round(reference * 1000) / 1000,
      ]);
    }
    expect(verdicts).toEqual([
      [2, "published", undefined],
      [5, "published", 0.02],
      [9, "published", 0.035],
      [14, "published", 0.05],
      [20, "held", 0.07],
      [27, "held", 0.07],
    ]);
    await guarded.close();
  });

  it("holds any state above the ceiling even when each step is small", async () => {
    const guarded = await harness({ threshold: 0.2, ceiling: 0.3 });
    const statuses = [];
    for (const share of [0.1, 0.2, 0.28, 0.35]) statuses.push((await guarded.run(fullRun(share))).status);
    expect(statuses).toEqual(["published", "published", "published", "held"]);
    await guarded.close();
  });

  it("a forced run does not move the reference: after forcing 30%, a 60% run is judged against the earlier 2%", async () => {
    const guarded = await harness();
    await guarded.run(fullRun(0.02));
    expect((await guarded.run(fullRun(0.3))).status).toBe("held");
    const forced = await guarded.run([], { force: true });
    expect(forced).toMatchObject({ status: "published", forced: true, reference: false, zeroRate: 0.3 });
    expect(forced.reason).toMatch(/Published anyway \(force\)/);
    const next = await guarded.run(fullRun(0.6));
    expect(next).toMatchObject({ status: "held", previousZeroRate: 0.02, zeroRate: 0.6 });
    await guarded.close();
  });

  it("judges small runs by the state they leave: 60 changed with 10 empties and 100 new empty customers publish; twenty 40-entity empty runs are held by the third", async () => {
    const guarded = await harness();
    await guarded.run(fullRun(0.02));
    // An incremental run over 60 existing customers, 10 of them now empty: 1% of the source.
    const incremental = new Map<number, unknown>();
    for (let index = 100; index < 160; index++)
      incremental.set(index, index < 110 ? empty("no orders this month") : good(index + 1));
    const small = await guarded.run(incremental);
    expect(small).toMatchObject({ status: "published", runZeroRate: 10 / 60, changedZeroRate: 10 / 60 });
    expect(small.zeroRate).toBeCloseTo(0.03, 5);
    // 100 brand-new customers, legitimately empty.
    const newcomers = new Map<number, unknown>();
    for (let index = 1_000; index < 1_100; index++) newcomers.set(index, empty("new customer"));
    const fresh = await guarded.run(newcomers);
    expect(fresh).toMatchObject({ status: "published", runZeroRate: 1, changedZeroRate: undefined });
    await guarded.close();

    // Twenty runs of 40 all-empty entities: each is below minValues, but the state they leave is judged.
    const trickle = await harness();
    await trickle.run(fullRun(0.02));
    const statuses: string[] = [];
    for (let wave = 0; wave < 5; wave++) {
      const run = new Map<number, unknown>();
      for (let index = 0; index < 40; index++) run.set(1_000 + wave * 40 + index, empty());
      statuses.push((await trickle.run(run)).status);
    }
    expect(statuses).toEqual(["published", "published", "held", "held", "held"]);
    await trickle.close();
  });

  it("a sub-minimum run never becomes the reference: after a 40-entity all-empty run, a 60% full run is held", async () => {
    const guarded = await harness();
    await guarded.run(fullRun(0.02));
    const run = new Map<number, unknown>();
    for (let index = 0; index < 40; index++) run.set(2_000 + index, empty());
    const small = await guarded.run(run);
    expect(small).toMatchObject({ status: "published", reference: false });
    const wave = await guarded.run(fullRun(0.6));
    expect(wave).toMatchObject({ status: "held", previousZeroRate: 0.02 });
    await guarded.close();
  });

  it("holds a first run above the ceiling (no reference yet), publishes it when forced, and accepts it as the reference only with resetReference", async () => {
    const guarded = await harness();
    const first = await guarded.run(fullRun(1, empty("not computed")));
    expect(first).toMatchObject({ status: "held", previousZeroRate: undefined, zeroRate: 1 });
    expect(first.reason).toMatch(/above the ceiling of 50% \(no reference run yet\)/);
    expect(await guarded.read(0)).toBeUndefined();
    await guarded.close();

    const small = await harness();
    // A source too small to judge (below minValues) publishes.
    expect((await small.run(fullRun(1, null, 20))).status).toBe("published");
    await small.close();

    const legit = await harness();
    await legit.run(fullRun(0.8, empty("no open tickets")));
    const forced = await legit.run([], { force: true, resetReference: true });
    expect(forced).toMatchObject({ status: "published", forced: true, reference: true });
    // The accepted 80% is the new normal: the next run is judged against it, not the ceiling.
    const next = await legit.run(fullRun(0.82, empty("no open tickets")));
    expect(next).toMatchObject({ status: "published", previousZeroRate: 0.8 });
    await legit.close();
  });

  it('onHold "publish-non-zero" publishes the good values of a held run and holds the zero-like ones, saying which', async () => {
    const guarded = await harness({ onHold: "publish-non-zero" });
    await guarded.run(fullRun(0));
    const report = await guarded.run(
      Array.from({ length: 1_000 }, (_, index) =>
        index < 300 ? { name: "x", orders: 0, spend: 0 } : { ...good(index), orders: 7_000 + index },
      ),
    );
    expect(report).toMatchObject({ status: "held", publishedValues: 700, heldValues: 300, applied: 700 });
    expect(report.reason).toMatch(/700 values that are not zero-like were published/);
    expect(await guarded.read(0)).toEqual(good(0));
    expect(await guarded.read(500)).toEqual({ ...good(500), orders: 7_500 });
    // Still held next time (the watermark did not move); forcing publishes the rest.
    expect((await guarded.run([])).status).toBe("held");
    expect((await guarded.run([], { force: true })).status).toBe("published");
    expect(await guarded.read(0)).toEqual({ name: "x", orders: 0, spend: 0 });
    await guarded.close();
  });

  it("per source: declared informative fields, or an isZeroLike function, decide what is zero-like", async () => {
    // By the default rule { orders: 0, note: "called twice" } says something (a note); the source
    // declares that only orders and spend matter.
    const byFields = await harness({ sources: { customer_stats: { fields: ["orders", "stats.spend"] } } });
    await byFields.run(fullRun(0));
    const fieldsRun = await byFields.run(
      fullRun(0.3, { orders: 0, note: "called twice", stats: { spend: 0 } }),
    );
    expect(fieldsRun).toMatchObject({ status: "held", zeroRate: 0.3 });
    await byFields.close();

    const byFunction = await harness({
      sources: { customer_stats: { isZeroLike: (value) => (value as { orders?: number }).orders === -1 } },
    });
    await byFunction.run(fullRun(0));
    const functionRun = await byFunction.run(fullRun(0.3, { orders: -1 }));
    expect(functionRun).toMatchObject({
      status: "held",
      zeroRate: 0.3,
      sampleZeroKeys: ["customerId=c0", "customerId=c1", "customerId=c2", "customerId=c3", "customerId=c4"],
    });
    // Forced through: the values are published intact (the marks did not disturb the paging).
    expect((await byFunction.run([], { force: true })).status).toBe("published");
    expect(await byFunction.read(0)).toEqual({ orders: -1 });
    expect(await byFunction.read(999)).toEqual(good(999));
    await byFunction.close();

    const throwing = await harness({
      sources: {
        customer_stats: {
          isZeroLike: () => {
            throw new Error("not this shape");
          },
        },
      },
    });
    const thrown = await throwing.run([good(1)]).catch((caught: unknown) => caught);
    expect(isCtxError(thrown, "CTX_CONFIG")).toBe(true);
    expect(String((thrown as Error).message)).toMatch(
      /isZeroLike threw \(not this shape\); nothing was published/,
    );
    expect(await throwing.read(1)).toBeUndefined();
    await throwing.close();

    const off = await harness({ sources: { customer_stats: false } });
    await off.run(fullRun(0));
    expect((await off.run(fullRun(0.9))).status).toBe("published");
    await off.close();
  });

  it("refuses bad guard settings with CTX_CONFIG before anything is written", async () => {
    const guarded = await harness();
    for (const guard of [
      { threshold: 2 },
      { ceiling: -0.1 },
      { minValues: 0 },
      { baselineRuns: 1.5 },
      { onHold: "publish-all" },
      { sources: { customer_stats: { fields: [] } } },
      { sources: { customer_stats: { fields: ["a..b"] } } },
      { sources: { customer_stats: { isZeroLike: "yes" } } },
    ]) {
      const error = await guarded
        .run([good(1)], { guard: guard as PhantomZeroGuard })
        .catch((caught: unknown) => caught);
      expect({ guard, config: isCtxError(error, "CTX_CONFIG") }).toEqual({ guard, config: true });
    }
    const unknown = await guarded.run([], { force: ["nope"] }).catch((caught: unknown) => caught);
    expect(isCtxError(unknown, "CTX_UNKNOWN_SOURCE")).toBe(true);
    expect(await guarded.read(1)).toBeUndefined();
    await guarded.close();
  });

  it("property: the state share a run is judged on equals the zero-like share of what the online store holds after it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 79 }), fc.boolean()), { minLength: 1, maxLength: 60 }),
          { minLength: 1, maxLength: 6 },
        ),
        async (runs) => {
          const guarded = await harness(false);
          try {
            const online = new Map<number, boolean>();
            for (const [runIndex, run] of runs.entries()) {
              const values = new Map<number, unknown>();
              for (const [entity, zero] of run)
                values.set(entity, zero ? { name: "x", orders: 0 } : { orders: runIndex * 100 + entity + 1 });
              for (const [entity, value] of values)
                online.set(entity, (value as { orders: number }).orders === 0);
              const report = await guarded.run(values);
              const zeros = [...online.values()].filter(Boolean).length;
              expect(report.zeroRate).toBeCloseTo(zeros / online.size, 10);
            }
          } finally {
            await guarded.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
