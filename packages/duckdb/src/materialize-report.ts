// What a materialization run reports, per source and in all, and what a dry run would report.
import type { SourcePlan } from "./materialize-plan.js";

/**
 * Progress of a materialization, after each written batch: values written for the current source and
 * over the whole run, against the totals.
 */
export interface MaterializeProgress {
  readonly source: string;
  /** Values written so far for this source. */
  readonly written: number;
  readonly total: number;
  /** Over all sources of the run. */
  readonly writtenAll: number;
  readonly totalAll: number;
  readonly elapsedMs: number;
}

/**
 * What a run did with a source: published its new values, held them back (the guard), or had nothing new.
 */
export type SourceRunStatus = "published" | "held" | "unchanged";

/**
 * One source in a materialization report: its status, new history rows and values, the guard's
 * figures and verdict.
 */
export interface SourceRunReport {
  readonly source: string;
  readonly field: string;
  readonly status: SourceRunStatus;
  /** History rows recorded since the watermark. */
  readonly newRows: number;
  /** Values (batch: one per entity; stream: events) this run publishes or would have. */
  readonly values: number;
  /** Of those, accepted by the online store (the rest were older than what it holds). */
  readonly applied: number;
  /** Of `values`, how many were written (all when published; with onHold "publish-non-zero", the non-zero ones of a held run). */
  readonly publishedValues: number;
  /** Of `values`, how many were held back (zero-like ones of a partially published run; all of a held one). */
  readonly heldValues: number;
  /** The share the guard judged: zero-like values across the source's entities after the run (batch), or among the run's events (stream). */
  readonly zeroRate: number | undefined;
  /** The zero-like share among this run's own values. */
  readonly runZeroRate: number | undefined;
  /** The zero-like share among this run's values for entities that already had a published value (batch). */
  readonly changedZeroRate: number | undefined;
  /** The guard's reference share (median of the last reference runs), undefined before the first. */
  readonly previousZeroRate: number | undefined;
  /** Whether this run became one of the guard's reference runs. */
  readonly reference: boolean;
  /** Entity keys whose new value is zero-like (up to 5). */
  readonly sampleZeroKeys: readonly string[];
  readonly forced: boolean;
  /** History insertion order covered: (from, to] (with `since`, also older rows written since then). */
  readonly watermark: { readonly from: number; readonly to: number };
  readonly reason?: string;
}

/**
 * What `materialize` returns: the run id, each source's report, the sources held and not started,
 * values written and the rate (values per second), and timings (epoch ms, ms).
 */
export interface MaterializeReport {
  readonly runId: string;
  /** A dry run: `sources` say what a run would do; nothing was written or recorded. */
  readonly dryRun: boolean;
  /** The `since` bound in epoch ms, when one was given. */
  readonly since?: number;
  readonly target: string;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly sources: readonly SourceRunReport[];
  /** Names of sources held back by the guard. */
  readonly held: readonly string[];
  /** Sources not started because `signal` aborted the run (their watermarks did not move). */
  readonly notStarted: readonly string[];
  readonly written: number;
  readonly valuesPerSecond: number;
}

/** What a run would report for this plan, had it run (a dry run writes and records nothing). */
export function dryRunReport(
  base: Omit<
    SourceRunReport,
    "status" | "applied" | "publishedValues" | "heldValues" | "reference" | "forced"
  >,
  plan: SourcePlan,
  forced: boolean,
): SourceRunReport {
  const common = { ...base, applied: 0, reference: false };
  if (plan.newRows === 0)
    return { ...common, status: "unchanged", publishedValues: 0, heldValues: 0, forced: false };
  if (plan.publish || forced) {
    return {
      ...common,
      status: "published",
      publishedValues: plan.values,
      heldValues: 0,
      forced,
      ...(plan.publish ? {} : { reason: `${plan.reason} Would be published anyway (force).` }),
    };
  }
  return {
    ...common,
    status: "held",
    publishedValues: plan.partialValues,
    heldValues: plan.values - plan.partialValues,
    forced: false,
    reason: plan.reason ?? "",
  };
}
