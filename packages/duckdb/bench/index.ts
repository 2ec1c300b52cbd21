// Benchmarks for @ctxstore/duckdb.
//   pit.duckdb         point-in-time retrieval: 1,000,000 label events x 10 sources over 10,000,000
//                      history rows (BENCH_QUICK=1: a tenth). Baseline in the same run: one bare
//                      DuckDB ASOF JOIN per source with no tie-breaking, statuses or key validation.
//   materialize.redis  values/s published into a private redis-server through the full write path
//                      (validate, render, count tokens, LWW Lua write), by incremental runs after a
//                      warm-up run, best of two. Baseline: the same pre-built writes sent straight to
//                      the store, after each run.
// Bench data is generated inside DuckDB with range()/random(), never in JavaScript.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchFigure, report } from "@ctxstore/bench-fixtures";
import { batch, createContextStore, defineEntity, type ValueWrite } from "@ctxstore/core";
import { z } from "zod";
import { type DuckdbOfflineStore, duckdbOfflineStore, materialize, pointInTime } from "../src/index.js";
import { bareAsofSql, generateBenchHistory, startBenchRedis as startRedis } from "./history.js";

const quick = process.env.BENCH_QUICK === "1";
const SOURCES = 10;
const HISTORY_ROWS = quick ? 1_000_000 : 10_000_000;
const LABELS = quick ? 100_000 : 1_000_000;
const ENTITIES = quick ? 10_000 : 100_000;
const MATERIALIZE_VALUES = quick ? 20_000 : 200_000;
const WARMUP_VALUES = quick ? 2_000 : 20_000;
const REPEATS = 2;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const DAY = 86_400_000;

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const benchSources = Array.from({ length: SOURCES }, (_, index) =>
  batch(`src_${index}`, {
    entity: user,
    schema: z.object({ n: z.number() }),
    maxAge: "7d",
    section: `Source ${index}`,
  }),
);

async function seconds<T>(body: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await body();
  return { value, seconds: (performance.now() - started) / 1000 };
}

function generateHistory(offline: DuckdbOfflineStore): Promise<void> {
  return generateBenchHistory(offline, {
    rows: HISTORY_ROWS,
    labels: LABELS,
    entities: ENTITIES,
    sources: SOURCES,
  });
}

async function benchPointInTime(figures: BenchFigure[]): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), "ctxstore-bench-"));
  const offline = await duckdbOfflineStore({ path: join(directory, "bench.duckdb"), sources: benchSources });
  try {
    const generated = await seconds(() => generateHistory(offline));
    process.stderr.write(
      `generated ${HISTORY_ROWS} history rows and ${LABELS} labels in ${generated.seconds.toFixed(1)}s\n`,
    );
    const labels = {
      table: "bench_labels",
      timestamp: "filed_at",
      keys: { user: { userId: "user_id" } },
    } as const;
    const dims = {
      labels: LABELS,
      sources: SOURCES,
      history_rows: HISTORY_ROWS,
      machine: "2 cores, Node 24",
    };

    // Baseline: the bare ASOF JOIN DuckDB does for this shape (no tie-break, status, staging or
    // validation). The machine is shared and noisy, so every figure is the best of REPEATS runs,
    // interleaved so that a burst of load hits baseline and subject alike.
    const bareSql = bareAsofSql(benchSources, "bench_bare");
    const best = {
      bare: Number.POSITIVE_INFINITY,
      pit: Number.POSITIVE_INFINITY,
      late: Number.POSITIVE_INFINITY,
    };
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      best.bare = Math.min(best.bare, (await seconds(() => offline.connection.run(bareSql))).seconds);
      for (const excludeLateWrites of [false, true]) {
        const run = await seconds(() =>
          pointInTime(offline, { labels, sources: benchSources, excludeLateWrites }),
        );
        if (repeat === 0)
          process.stderr.write(
            `pit excludeLateWrites=${excludeLateWrites}: src_0 statuses ${JSON.stringify(run.value.statusCounts.src_0)}\n`,
          );
        await run.value.drop();
        if (excludeLateWrites) best.late = Math.min(best.late, run.seconds);
        else best.pit = Math.min(best.pit, run.seconds);
      }
    }
    for (const [name, secondsTaken] of [
      ["pit.duckdb", best.pit],
      ["pit.duckdb.exclude_late_writes", best.late],
    ] as const) {
      figures.push({ bench: name, metric: "seconds", value: secondsTaken, unit: "s", ...dims });
      figures.push({
        bench: name,
        metric: "rows_per_s",
        value: LABELS / secondsTaken,
        unit: "label events/s",
        ...dims,
      });
      figures.push({
        bench: name,
        metric: "values_per_s",
        value: (LABELS * SOURCES) / secondsTaken,
        unit: "values/s",
        ...dims,
      });
      figures.push({
        bench: name,
        metric: "vs_bare_asof",
        value: secondsTaken / best.bare,
        unit: "x",
        ...(name === "pit.duckdb" && { target: "<= 2" }),
        bare_asof_s: Math.round(best.bare * 100) / 100,
      });
    }
  } finally {
    await offline.close();
    await rm(directory, { recursive: true, force: true });
  }
}

async function benchMaterialize(figures: BenchFigure[]): Promise<void> {
  const profile = batch("customer_profile", {
    entity: user,
    schema: z.object({ plan: z.string(), orders: z.number(), summary: z.string() }),
    section: "Customer profile",
    render: (value) => `${value.summary} Plan ${value.plan}, ${value.orders} orders.`,
  });
  const offline = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
  const target = await startRedis();
  try {
    // One customer profile per user, appended after `seqBase` history rows.
    const appendProfiles = (prefix: string, seqBase: number, count: number) =>
      offline.connection.run(`
        INSERT INTO ctx_history
        SELECT ${seqBase} + i + 1, 'customer_profile', 1, 'user', 'userId=${prefix}' || i, '{"userId":"${prefix}' || i || '"}', ${T0} + i, ${T0} + i,
               '{"plan":"' || (['free','pro','enterprise'])[1 + i % 3] || '","orders":' || (i % 40) || ',"summary":"Customer ${prefix}' || i || ' prefers email and usually buys running gear."}',
               false, NULL, NULL, ''
        FROM range(${count}) r(i)`);
    const context = createContextStore({ sources: [profile], online: target.online });
    await context.ready();
    const publish = async (expected: number) => {
      const run = await seconds(() => materialize({ offline, context, batchSize: 1_000, concurrency: 4 }));
      const published = run.value.sources[0];
      if (published?.status !== "published" || published.applied !== expected) {
        throw new Error(`materialize did not publish everything: ${JSON.stringify(published)}`);
      }
      return run;
    };
    // Materialization is incremental and runs again and again; the figures are runs after the first
    // (a warm-up of WARMUP_VALUES other users, which also leaves a watermark), not the process's
    // first few hundred milliseconds of compiling the write path. Then REPEATS rounds, each an
    // incremental run over MATERIALIZE_VALUES new users followed by the baseline, and the best of
    // each is reported (as for pit.duckdb: these machines are noisy).
    await appendProfiles("w", 0, WARMUP_VALUES);
    await publish(WARMUP_VALUES);
    // Baseline: the same number of pre-built writes (re-stamped so they apply) straight to the store.
    const profileWrite = (prefix: string, index: number, eventTime: number) =>
      context.toValueWrite(
        profile,
        { userId: `${prefix}${index}` },
        {
          plan: "pro",
          orders: index % 40,
          summary: `Customer ${prefix}${index} prefers email and usually buys running gear.`,
        },
        { eventTime },
      );
    const runSeconds: number[] = [];
    const rawSeconds: number[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const prefix = `u${repeat}_`;
      await appendProfiles(prefix, WARMUP_VALUES + repeat * MATERIALIZE_VALUES, MATERIALIZE_VALUES);
      runSeconds.push((await publish(MATERIALIZE_VALUES)).seconds);
      const writes: ValueWrite[] = [];
      for (let index = 0; index < MATERIALIZE_VALUES; index++)
        writes.push(profileWrite(prefix, index, T0 + DAY + index));
      const raw = await seconds(async () => {
        const inFlight = new Set<Promise<unknown>>();
        for (let first = 0; first < writes.length; first += 1_000) {
          const task = target.online.write(writes.slice(first, first + 1_000));
          inFlight.add(task);
          void task.finally(() => inFlight.delete(task));
          if (inFlight.size >= 4) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
      });
      rawSeconds.push(raw.seconds);
    }
    // The write path alone, each write dropped at once (keeping 200,000 alive, as the baseline
    // must, would also measure promoting them out of the young generation).
    const renderStarted = performance.now();
    let checksum = 0;
    for (let index = 0; index < MATERIALIZE_VALUES; index++)
      checksum += profileWrite("x", index, T0 + DAY + index).envelope.eventTime;
    const renderMs = performance.now() - renderStarted;
    if (checksum === 0) throw new Error("unreachable: keeps the loop from being optimised away");
    const run = { seconds: Math.min(...runSeconds) };
    const raw = { seconds: Math.min(...rawSeconds) };
    const perSecond = (list: readonly number[]) =>
      list.map((value) => Math.round(MATERIALIZE_VALUES / value));
    const name = `materialize.${target.kind}`;
    const dims = {
      values: MATERIALIZE_VALUES,
      warmup_values: WARMUP_VALUES,
      batch: 1_000,
      concurrency: 4,
      machine: "2 cores, Node 24",
    };
    figures.push({
      bench: name,
      metric: "values_per_s",
      value: MATERIALIZE_VALUES / run.seconds,
      unit: "values/s",
      ...dims,
      runs: perSecond(runSeconds),
    });
    figures.push({
      bench: name,
      metric: "raw_write_values_per_s",
      value: MATERIALIZE_VALUES / raw.seconds,
      unit: "values/s",
      ...dims,
      runs: perSecond(rawSeconds),
    });
    figures.push({ bench: name, metric: "vs_raw_write", value: run.seconds / raw.seconds, unit: "x" });
    figures.push({
      bench: name,
      metric: "vs_floor",
      value: raw.seconds / run.seconds,
      unit: "ratio",
      target: ">= 0.5",
      note: "values_per_s / pre-built writes into the same store, same run",
    });
    // Where the time goes: building one envelope (validate, render, exact token counts) per value.
    figures.push({
      bench: name,
      metric: "write_path_us_per_value",
      value: (renderMs * 1000) / MATERIALIZE_VALUES,
      unit: "us",
      note: "ctx.toValueWrite alone",
    });
  } finally {
    await target.stop();
    await offline.close();
  }
}

const figures: BenchFigure[] = [];
// BENCH_ONLY=pit, BENCH_ONLY=materialize or BENCH_ONLY=curves runs one of them. Materialize runs first, as a
// materialization job does in its own process: run after pit, it inherited ~160 MB of pit's garbage
// and its collections, which cut its figure by a quarter (46,300 -> 35,000 values/s, same machine).
const only = process.env.BENCH_ONLY;
if (only === undefined || only === "materialize") await benchMaterialize(figures);
if (only === undefined || only === "pit") await benchPointInTime(figures);
if (only === undefined || only === "curves") {
  const { materializeCurve, pointInTimeCurve } = await import("./curves.js");
  figures.push(...(await materializeCurve()), ...(await pointInTimeCurve()));
}
report(figures);
