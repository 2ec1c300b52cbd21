// The freshness snapshot: per source, how old the stored values are against the source's own maxAge,
// how far a stream's ingest trails, and the last materialization with the guard's verdict. The CLI's
// `ctxstore freshness` and the inspector's freshness panel read this shape (it is the CLI's own
// `FreshnessSnapshot`, so a config can hand `monitor.snapshot` to the CLI as is). Anything that could
// not be measured says so in `unavailable`, with why: it is never reported as fresh.
import type { Tier } from "../definitions/source.js";

/** Percentiles of the sampled values' ages, in milliseconds. */
export interface AgePercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/**
 * A source's last materialization run (offline to online), with the phantom-zero guard's verdict and
 * the zero-like share of its values (0..1) against the previous run's.
 */
export interface LastMaterialization {
  /** Epoch ms at which the run finished. */
  readonly finishedAt: number;
  /** What was written ("online", a table name...). */
  readonly target: string;
  /** The guard's verdict: `published` (possibly forced) or `held`. */
  readonly status: "published" | "held";
  readonly forced: boolean;
  readonly rows: number;
  readonly zeroRate: number | undefined;
  readonly previousZeroRate: number | undefined;
}

/**
 * A figure that could not be measured, with why (`{ unavailable: "no ingest watermark stored" }`):
 * reported instead of a number, never as fresh or zero.
 */
export interface Unavailable {
  readonly unavailable: string;
}

/**
 * One source in a freshness snapshot: its sampled ages against `maxAgeMs`, stream ingest lag and last
 * materialization, each a measurement or `Unavailable`.
 */
export interface SourceFreshness {
  readonly source: string;
  readonly tier: Tier;
  readonly maxAgeMs: number | undefined;
  /** Values sampled from the online store, or the reason there is no sample. */
  readonly sample:
    | {
        readonly values: number;
        /** Share of sampled values within maxAge (1 when the source has no maxAge). */
        readonly freshShare: number;
        readonly staleShare: number;
        readonly ageMs: AgePercentiles;
      }
    | Unavailable;
  /** Stream sources: how far the ingest watermark trails now. */
  readonly ingestLagMs?: number | Unavailable;
  /** Batch/stream sources, when the monitor was given `materializations`. */
  readonly lastMaterialization?: LastMaterialization | Unavailable;
}

/**
 * A freshness measurement of every source at one moment: what `monitor.snapshot()` returns and what
 * `ctxstore freshness` and the inspector display.
 */
export interface FreshnessSnapshot {
  /** Epoch ms of the measurement. */
  readonly at: number;
  /** Who measured it: "monitor" for `monitorFreshness`. */
  readonly provider: string;
  readonly sources: readonly SourceFreshness[];
}

/** True when a freshness figure could not be measured (as opposed to a measured zero). */
export function isUnavailable<T extends object>(value: T | Unavailable): value is Unavailable {
  return value !== null && typeof value === "object" && "unavailable" in value;
}
