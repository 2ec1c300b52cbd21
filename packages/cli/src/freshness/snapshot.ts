// The freshness snapshot `ctxstore freshness` and the inspector's freshness panel show: per source,
// the share of stored values within / past maxAge and their age percentiles, ingest lag per stream,
// and the last materialization with the guard's verdict. The shape is core's (`FreshnessSnapshot`).
//
// A config may provide its own snapshot (`freshness: () => monitor.snapshot()`, e.g. the monitor its
// server already runs). Otherwise the CLI runs core's `monitorFreshness` over the config's online
// store itself: a bounded sample of stored records (SAMPLE_SIZE per measurement), the stream
// watermarks, and the last materializations read from the offline store's run table. Nothing
// unknown is ever shown as fresh: what could not be measured says why.
import {
  type ContextStore,
  type FreshnessMonitor,
  type FreshnessSnapshot,
  type LastMaterialization,
  monitorFreshness,
} from "@ctxstore/core";

export type {
  AgePercentiles,
  FreshnessSnapshot,
  LastMaterialization,
  SourceFreshness,
  Unavailable,
} from "@ctxstore/core";
export { isUnavailable } from "@ctxstore/core";

/** What a snapshot is measured from: a config's context, offline store and freshness provider. */
export interface FreshnessInputs {
  readonly context: ContextStore;
  readonly offline?: unknown;
  readonly freshness?: () => Promise<FreshnessSnapshot> | FreshnessSnapshot;
}

export const NO_OFFLINE = "not available: the config has no offline store";

/** Stored records read per measurement (one page of the store's `sampleRecords`). */
export const SAMPLE_SIZE = 5_000;

/** Measures snapshots for one config; `watch` and the inspector keep one so age windows carry over. */
export interface FreshnessReader {
  /** Measures now: the config's own provider's snapshot, or one tick of the CLI's freshness monitor. */
  snapshot(): Promise<FreshnessSnapshot>;
  /** Stops the monitor the reader started (if any). */
  stop(): void;
}

/**
 * A reader of freshness snapshots for a config: its `freshness` provider when it has one, else core's
 * `monitorFreshness` over its online store (a bounded sample per measurement) with the last
 * materializations from its offline store; what cannot be measured is reported as unavailable.
 */
export function freshnessReader(inputs: FreshnessInputs): FreshnessReader {
  const provided = inputs.freshness;
  if (provided) {
    return {
      snapshot: async () => {
        const snapshot = await provided();
        return { ...snapshot, provider: snapshot.provider ?? "config" };
      },
      stop: () => {},
    };
  }
  let monitor: FreshnessMonitor | undefined;
  return {
    snapshot() {
      monitor ??= monitorFreshness(inputs.context, {
        sampleSize: SAMPLE_SIZE,
        // The CLI measures on demand: the timer only matters for a long `--watch`.
        every: "1h",
        ...(offlineRuns(inputs.offline) ? { materializations: () => lastMaterializations(inputs) } : {}),
      });
      const withoutOffline = offlineRuns(inputs.offline) === undefined;
      return monitor.tick().then((snapshot) => ({
        ...snapshot,
        provider: "cli (monitorFreshness)",
        sources: snapshot.sources.map((source) =>
          withoutOffline && (source.tier === "batch" || source.tier === "stream")
            ? { ...source, lastMaterialization: { unavailable: NO_OFFLINE } }
            : source,
        ),
      }));
    },
    stop() {
      monitor?.stop();
    },
  };
}

/** One snapshot (a reader used once). */
export async function freshnessSnapshot(inputs: FreshnessInputs): Promise<FreshnessSnapshot> {
  const reader = freshnessReader(inputs);
  try {
    return await reader.snapshot();
  } finally {
    reader.stop();
  }
}

interface OfflineRuns {
  exclusive<T>(body: (connection: DuckConnection) => Promise<T>): Promise<T>;
}

function offlineRuns(store: unknown): OfflineRuns | undefined {
  const offline = store as Partial<OfflineRuns> | undefined;
  return typeof offline?.exclusive === "function" ? (offline as OfflineRuns) : undefined;
}

/**
 * The newest run per source in the offline store's ctx_materializations table, for the version each
 * source is defined with now (a run of an older schema version is not this source's last run).
 */
async function lastMaterializations(inputs: FreshnessInputs): Promise<Record<string, LastMaterialization>> {
  const offline = offlineRuns(inputs.offline);
  if (!offline) return {};
  // Loaded at run time, never bundled: a Next.js app mounting the inspector must not pull DuckDB's
  // native binding into its webpack build (this path runs only when the config has an offline store).
  const { MATERIALIZATION_TABLE } = await import(
    /* webpackIgnore: true */ /* turbopackIgnore: true */ "@ctxstore/duckdb"
  );
  const rows = await offline.exclusive(async (connection) => {
    const reader = await connection.runAndReadAll(
      `SELECT source, schema_version, target, status, forced, rows, zero_rate, previous_zero_rate, finished_at
       FROM ${MATERIALIZATION_TABLE}
       QUALIFY row_number() OVER (PARTITION BY source, schema_version ORDER BY finished_at DESC, to_seq DESC) = 1`,
    );
    return reader.getRowObjectsJS();
  });
  const versions = new Map(
    [...inputs.context.sources.values()].map((source) => [source.name, source.version]),
  );
  const runs: Record<string, LastMaterialization> = {};
  for (const row of rows) {
    const name = String(row.source);
    if (versions.get(name) !== Number(row.schema_version)) continue;
    const number = (value: unknown) => (value === null || value === undefined ? undefined : Number(value));
    runs[name] = {
      finishedAt: Number(row.finished_at),
      target: String(row.target),
      status: row.status === "held" ? "held" : "published",
      forced: row.forced === true,
      rows: Number(row.rows),
      zeroRate: number(row.zero_rate),
      previousZeroRate: number(row.previous_zero_rate),
    };
  }
  return runs;
}

interface DuckConnection {
  runAndReadAll(sql: string): Promise<{ getRowObjectsJS(): Array<Record<string, unknown>> }>;
}
