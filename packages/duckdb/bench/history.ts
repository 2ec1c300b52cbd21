// Shared by the duckdb benches (index.ts, curves.ts): bench history generated inside DuckDB with
// range()/random() (never in JavaScript), and the online store materialize writes into.
import { memoryStore, type OnlineStore } from "@ctxstore/core";
import type { DuckdbOfflineStore } from "../src/index.js";

export const BENCH_T0 = Date.parse("2026-01-01T00:00:00Z");
const DAY = 86_400_000;

/**
 * `rows` history rows of `sources` batch sources (`src_0`...) over `entities` users, ~rows /
 * (sources x entities) versions each over 30 days; 5% are backfills written 5 days after their event
 * time, 2% positive empties. Plus `labels` label events in `bench_labels` (replaced if present).
 */
export async function generateBenchHistory(
  offline: DuckdbOfflineStore,
  shape: { rows: number; labels: number; entities: number; sources: number },
): Promise<void> {
  const { rows, labels, entities, sources } = shape;
  await offline.connection.run(`
    INSERT INTO ctx_history
    SELECT i + 1, 'src_' || (i % ${sources}), 1, 'user', 'userId=u' || ((i // ${sources}) % ${entities}),
           '{"userId":"u' || ((i // ${sources}) % ${entities}) || '"}',
           et, et + (random() * 60000)::BIGINT + CASE WHEN random() < 0.05 THEN ${5 * DAY} ELSE 0 END,
           CASE WHEN empty THEN NULL ELSE '{"n":' || i || '}' END, empty, NULL, NULL, ''
    FROM (SELECT i, ${BENCH_T0} + (random() * ${30 * DAY})::BIGINT AS et, random() < 0.02 AS empty FROM range(${rows}) r(i))`);
  await generateBenchLabels(offline, labels, entities);
}

/** `labels` label events (ticket_id, user_id, filed_at) in `bench_labels`, replacing any before. */
export async function generateBenchLabels(
  offline: DuckdbOfflineStore,
  labels: number,
  entities: number,
): Promise<void> {
  await offline.connection.run(`
    CREATE OR REPLACE TABLE bench_labels AS
    SELECT i AS ticket_id, 'u' || (random() * ${entities - 1})::BIGINT AS user_id,
           make_timestamptz((${BENCH_T0} + (random() * ${30 * DAY})::BIGINT) * 1000) AS filed_at, 'resolved' AS outcome
    FROM range(${labels}) r(i)`);
}

/**
 * The floor of pit.duckdb: the bare ASOF JOIN DuckDB does for this shape, one per source (no
 * tie-break, statuses, staging or validation), over `bench_labels`.
 */
export function bareAsofSql(sources: ReadonlyArray<{ readonly name: string }>, table: string): string {
  return `CREATE OR REPLACE TEMP TABLE ${table} AS ${sources
    .map(
      (source) =>
        `SELECT l.ticket_id, h.seq FROM (SELECT ticket_id, 'userId=' || user_id AS entity_key, epoch_ms(filed_at) AS ts FROM bench_labels) l
         ASOF LEFT JOIN (SELECT entity_key, event_time, seq FROM ctx_history WHERE source = '${source.name}') h ON l.entity_key = h.entity_key AND l.ts >= h.event_time`,
    )
    .join(" UNION ALL ")}`;
}

/** A private redis-server (a memory store, loudly, when none can start off CI). */
export async function startBenchRedis(
  label: string = "duckdb-bench",
): Promise<{ online: OnlineStore; stop: () => Promise<void>; kind: string }> {
  try {
    const { redisServerAvailable, startRedisServer } = await import("@ctxstore/redis/testing");
    const { redisStore } = await import("@ctxstore/redis");
    if (!redisServerAvailable()) throw new Error("redis-server is not on PATH");
    const server = await startRedisServer({ label });
    const online = redisStore({ url: server.url, commandTimeoutMs: 10_000 });
    return {
      online,
      kind: "redis",
      stop: async () => {
        await online.close();
        await server.stop();
      },
    };
  } catch (error) {
    if (process.env.CI === "true") throw error;
    process.stderr.write(
      `WARNING: Redis unavailable (${(error as Error).message}); measuring into memoryStore instead (named *.memory).\n`,
    );
    const online = memoryStore();
    return { online, kind: "memory", stop: () => online.close() };
  }
}
