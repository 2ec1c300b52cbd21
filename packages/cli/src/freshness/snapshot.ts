// The freshness snapshot `ctxstore freshness` and the inspector's freshness panel show, per source:
// the share of stored values within / past maxAge and their age percentiles (sampled by a freshness
// monitor), ingest lag per stream, and the last materialization with the guard's verdict.
//
// Core has no freshness monitor yet (issue #17). Until it has, a config can provide a snapshot with
// `freshness: () => snapshot`, and otherwise the CLI fills in what it can read itself (the last
// materialization, from the offline store's run table) and marks the rest unavailable, with why.
// Nothing unknown is ever shown as fresh.
import type { AnySource, ContextStore, Tier } from "@ctxstore/core";

/** What a snapshot is measured from: a config's context, offline store and freshness provider. */
export interface FreshnessInputs {
  readonly context: ContextStore;
  readonly offline?: unknown;
  readonly freshness?: () => Promise<FreshnessSnapshot> | FreshnessSnapshot;
}

export const NEEDS_MONITOR = "not available: needs the freshness monitor (#17)";

export interface AgePercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

export interface LastMaterialization {
  readonly finishedAt: number;
  readonly target: string;
  /** The guard's verdict: `published` (possibly forced) or `held`. */
  readonly status: "published" | "held";
  readonly forced: boolean;
  readonly rows: number;
  readonly zeroRate: number | undefined;
  readonly previousZeroRate: number | undefined;
}

export interface SourceFreshness {
  readonly source: string;
  readonly tier: Tier;
  readonly maxAgeMs: number | undefined;
  /** Values sampled from the online store, or the reason there is no sample. */
  readonly sample:
    | {
        readonly values: number;
        readonly freshShare: number;
        readonly staleShare: number;
        readonly ageMs: AgePercentiles;
      }
    | { readonly unavailable: string };
  /** Stream sources: how far the ingest watermark trails now. */
  readonly ingestLagMs?: number | { readonly unavailable: string };
  /** Batch/stream sources with an offline store. */
  readonly lastMaterialization?: LastMaterialization | { readonly unavailable: string };
}

export interface FreshnessSnapshot {
  readonly at: number;
  /** Who measured it: "config" (the config's provider) or "cli" (what the CLI can read itself). */
  readonly provider: string;
  readonly sources: readonly SourceFreshness[];
}

export interface Unavailable {
  readonly unavailable: string;
}

export function isUnavailable<T extends object>(value: T | Unavailable): value is Unavailable {
  return value !== null && typeof value === "object" && "unavailable" in value;
}

export async function freshnessSnapshot(
  inputs: FreshnessInputs,
  now = Date.now(),
): Promise<FreshnessSnapshot> {
  if (inputs.freshness) {
    const provided = await inputs.freshness();
    return { ...provided, provider: provided.provider ?? "config" };
  }
  const sources = [...inputs.context.sources.values()] as AnySource[];
  const runs = await lastMaterializations(inputs.offline);
  return {
    at: now,
    provider: "cli",
    sources: sources.map((source): SourceFreshness => {
      const stored = source.tier === "batch" || source.tier === "stream";
      const base = {
        source: source.name,
        tier: source.tier,
        maxAgeMs: source.maxAgeMs,
        sample: {
          unavailable: stored
            ? NEEDS_MONITOR
            : `not applicable: ${source.tier} values are ${source.tier === "realtime" ? "fetched per request" : "searched per request"}, not stored`,
        },
      };
      if (!stored) return base;
      const lastMaterialization =
        runs === undefined
          ? { unavailable: "not available: the config has no offline store" }
          : (runs.get(`${source.name}@${source.version}`) ?? {
              unavailable: "never materialized from the offline store",
            });
      return {
        ...base,
        ...(source.tier === "stream" ? { ingestLagMs: { unavailable: NEEDS_MONITOR } } : {}),
        lastMaterialization,
      };
    }),
  };
}

/** The newest run per source@version in the offline store's ctx_materializations table. */
async function lastMaterializations(store: unknown): Promise<Map<string, LastMaterialization> | undefined> {
  const offline = store as
    | { exclusive?: <T>(body: (connection: DuckConnection) => Promise<T>) => Promise<T> }
    | undefined;
  if (!offline?.exclusive) return undefined;
  const { MATERIALIZATION_TABLE } = await import("@ctxstore/duckdb");
  const rows = await offline.exclusive(async (connection) => {
    const reader = await connection.runAndReadAll(
      `SELECT source, schema_version, target, status, forced, rows, zero_rate, previous_zero_rate, finished_at
       FROM ${MATERIALIZATION_TABLE}
       QUALIFY row_number() OVER (PARTITION BY source, schema_version ORDER BY finished_at DESC, to_seq DESC) = 1`,
    );
    return reader.getRowObjectsJS();
  });
  const runs = new Map<string, LastMaterialization>();
  for (const row of rows) {
    const number = (value: unknown) => (value === null || value === undefined ? undefined : Number(value));
    runs.set(`${String(row.source)}@${Number(row.schema_version)}`, {
      finishedAt: Number(row.finished_at),
      target: String(row.target),
      status: row.status === "held" ? "held" : "published",
      forced: row.forced === true,
      rows: Number(row.rows),
      zeroRate: number(row.zero_rate),
      previousZeroRate: number(row.previous_zero_rate),
    });
  }
  return runs;
}

interface DuckConnection {
  runAndReadAll(sql: string): Promise<{ getRowObjectsJS(): Array<Record<string, unknown>> }>;
}
