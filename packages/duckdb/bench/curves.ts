// Cost curves of the offline store (scripts/bench-charts.mjs draws them):
//   pit.curve          pointInTime seconds vs label events (100k, 1M, 5M; BENCH_QUICK=1: a tenth)
//                      over 10 sources of 10,000,000 history rows, with DuckDB's bare ASOF JOIN of
//                      the same shape at each point (the floor, same run).
//   materialize.curve  values/s published into a private redis-server vs batch size (100, 1,000,
//                      10,000 values per write call), 50,000 values per point (BENCH_QUICK: 10,000).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchFigure } from "@ctxstore/bench-fixtures";
import { batch, createContextStore, defineEntity } from "@ctxstore/core";
import { z } from "zod";
import { duckdbOfflineStore, materialize, pointInTime } from "../src/index.js";
import {
  BENCH_T0,
  bareAsofSql,
  generateBenchHistory,
  generateBenchLabels,
  startBenchRedis,
} from "./history.js";

const quick = process.env.BENCH_QUICK === "1";
const SOURCES = 10;
const ENTITIES = quick ? 10_000 : 100_000;
const HISTORY_ROWS = quick ? 1_000_000 : 10_000_000;
const LABEL_POINTS = quick ? [10_000, 100_000, 500_000] : [100_000, 1_000_000, 5_000_000];
const MATERIALIZE_VALUES = quick ? 10_000 : 50_000;

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const sources = Array.from({ length: SOURCES }, (_, index) =>
  batch(`src_${index}`, {
    entity: user,
    schema: z.object({ n: z.number() }),
    maxAge: "7d",
    section: `S${index}`,
  }),
);

async function seconds(body: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await body();
  return (performance.now() - started) / 1000;
}

export async function pointInTimeCurve(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const directory = await mkdtemp(join(tmpdir(), "ctxstore-bench-curve-"));
  const offline = await duckdbOfflineStore({ path: join(directory, "curve.duckdb"), sources });
  try {
    await generateBenchHistory(offline, {
      rows: HISTORY_ROWS,
      labels: 0,
      entities: ENTITIES,
      sources: SOURCES,
    });
    for (const labels of LABEL_POINTS) {
      await generateBenchLabels(offline, labels, ENTITIES);
      const bare = await seconds(() => offline.connection.run(bareAsofSql(sources, "curve_bare")));
      let result: Awaited<ReturnType<typeof pointInTime>> | undefined;
      const pit = await seconds(async () => {
        result = await pointInTime(offline, {
          labels: { table: "bench_labels", timestamp: "filed_at", keys: { user: { userId: "user_id" } } },
          sources,
        });
      });
      await result?.drop();
      const dims = { labels, sources: SOURCES, history_rows: HISTORY_ROWS };
      figures.push({ bench: "pit.curve", metric: "seconds", value: pit, unit: "s", ...dims });
      figures.push({ bench: "pit.curve", metric: "bare_asof_seconds", value: bare, unit: "s", ...dims });
      figures.push({ bench: "pit.curve", metric: "vs_bare_asof", value: pit / bare, unit: "x", ...dims });
    }
  } finally {
    await offline.close();
    await rm(directory, { recursive: true, force: true });
  }
  return figures;
}

export async function materializeCurve(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const profile = batch("customer_profile", {
    entity: user,
    schema: z.object({ plan: z.string(), orders: z.number() }),
    section: "Customer profile",
    render: (value) => `Plan ${value.plan}, ${value.orders} orders.`,
  });
  const offline = await duckdbOfflineStore({ path: ":memory:", sources: [profile] });
  const target = await startBenchRedis("duckdb-curve");
  try {
    const context = createContextStore({ sources: [profile], online: target.online });
    await context.ready();
    let seq = 0;
    const append = async (prefix: string, count: number) => {
      await offline.connection.run(`
        INSERT INTO ctx_history
        SELECT ${seq} + i + 1, 'customer_profile', 1, 'user', 'userId=${prefix}' || i, '{"userId":"${prefix}' || i || '"}', ${BENCH_T0} + i, ${BENCH_T0} + i,
               '{"plan":"' || (['free','pro','enterprise'])[1 + i % 3] || '","orders":' || (i % 40) || '}', false, NULL, NULL, ''
        FROM range(${count}) r(i)`);
      seq += count;
    };
    // A warm-up run, so every point is an incremental run of a compiled write path.
    await append("warm", 2_000);
    await materialize({ offline, context });
    for (const batchSize of [100, 1_000, 10_000]) {
      await append(`b${batchSize}_`, MATERIALIZE_VALUES);
      const taken = await seconds(() => materialize({ offline, context, batchSize, concurrency: 4 }));
      figures.push({
        bench: `materialize.curve.${target.kind}`,
        metric: "values_per_s",
        value: MATERIALIZE_VALUES / taken,
        unit: "values/s",
        batch: batchSize,
        values: MATERIALIZE_VALUES,
      });
    }
  } finally {
    await target.stop();
    await offline.close();
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { report } = await import("@ctxstore/bench-fixtures");
  report([...(await materializeCurve()), ...(await pointInTimeCurve())]);
}
