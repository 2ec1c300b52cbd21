// Materialization: offline -> online. For each source, the latest value per entity among the
// history rows recorded since the last published run (a stored watermark), written in pipelined
// batches through the same write path serving uses (ctx.toValueWrite / toWindowAppend).
//
// The phantom-zero guard (guard.ts has the rule, zero-like.ts what counts as zero): an upstream
// failure often shows up as a burst of empty, zero or null values (a job that timed out and wrote
// "no orders" for everyone). Each run is judged on the state it would leave online against a
// reference of earlier good runs; a run that fails is held back: the online store keeps its last
// good values (or, with onHold "publish-non-zero", gets only the run's values that are not
// zero-like) and the report names the source, the shares and sample keys. `force` publishes anyway.
import { randomUUID } from "node:crypto";
import { type AnySource, type ContextStore, CtxError, type OnlineStore } from "@ctxstore/core";
import { sourceField } from "@ctxstore/core/store";
import { contextStoreOption } from "./context-option.js";
import { type PhantomZeroGuard, resolveGuard } from "./guard.js";
import { planSource } from "./materialize-plan.js";
import { finishRun, publish } from "./materialize-publish.js";
import {
  dryRunReport,
  type MaterializeProgress,
  type MaterializeReport,
  type SourceRunReport,
} from "./materialize-report.js";
import type { DuckdbOfflineStore } from "./offline-store.js";
import { requireSameTenancy } from "./tenancy.js";
import { checkTimestamp, ISO_TIMESTAMP_PATTERN } from "./time.js";

export type {
  MaterializeProgress,
  MaterializeReport,
  SourceRunReport,
  SourceRunStatus,
} from "./materialize-report.js";

/**
 * Options of `materialize`: the offline store and the context store whose write path is used, the
 * tenant (multi-tenant stores), the online target, which sources, batch size and concurrency, the
 * phantom-zero guard and its overrides (`force`, `resetReference`), `dryRun`, `since`, progress and
 * an abort signal.
 */
export interface MaterializeOptions {
  offline: DuckdbOfflineStore;
  /** The context store whose definitions and write path (render, token counts, TTL) are used. */
  contextStore?: ContextStore;
  /** @deprecated The former name of `contextStore`; still accepted. */
  context?: ContextStore;
  /**
   * Required on a multi-tenant store (refused on a single-tenant one): the run publishes this
   * tenant's history only, to this tenant's online records, with its own watermarks and guard
   * reference. Run once per tenant.
   */
  tenant?: string;
  /** Default: `context.online`. */
  online?: OnlineStore;
  /** Default: every batch and stream source of the context store. */
  sources?: ReadonlyArray<AnySource | string>;
  /** Names the online target in the stored watermarks (one offline store can feed several). Default: `online.name`. */
  target?: string;
  /** Values per online write call. Default 1,000. */
  batchSize?: number;
  /** Write calls in flight at once. Default 4. */
  concurrency?: number;
  /** The phantom-zero guard's settings (see PhantomZeroGuard); `false` turns it off. */
  guard?: PhantomZeroGuard | false;
  /** Publish held sources anyway: `true` for all, or source names. A forced run does not become the guard's reference. */
  force?: boolean | readonly string[];
  /**
   * Make this run (if published) the guard's only reference, forgetting earlier ones: after an
   * intended change (a new cohort of empty customers, a fixed pipeline), with `force` when held.
   * `true` for all sources, or source names.
   */
  resetReference?: boolean | readonly string[];
  /** Called after every written batch (the CLI draws its progress bar from it). */
  onProgress?: (progress: MaterializeProgress) => void;
  /**
   * Plan and judge every source, and report what a run would do (statuses, values, the guard's
   * verdict), without writing to the online store or recording a run: the watermarks and the guard's
   * reference stay as they are.
   */
  dryRun?: boolean;
  /**
   * Also re-publish history written at or after this time (epoch ms, ISO 8601 or Date), even if an
   * earlier run published it, e.g. after the online store lost data. Everything newer than the
   * watermark is published as always: `since` only widens a run, so no new history is skipped.
   */
  since?: Date | number | string;
  /**
   * Stops the run between sources: the source being published finishes (its writes are whole and
   * its watermark is stored), the rest are not started and are listed in `notStarted`. The next run
   * resumes from the stored watermarks.
   */
  signal?: AbortSignal;
}

/** Publishes new offline history to the online store, source by source, under the phantom-zero guard. */
export async function materialize(options: MaterializeOptions): Promise<MaterializeReport> {
  const { offline } = options;
  const context = contextStoreOption(options, "materialize");
  if (!offline || !context)
    throw new CtxError(
      "CTX_CONFIG",
      "materialize needs { offline, contextStore }: the offline store and the context store whose definitions it publishes.",
      {},
    );
  requireSameTenancy(offline, context, "materialize");
  const tenant = offline.tenantFor(options.tenant, "materialize");
  const online = options.online ?? context.online;
  const target = options.target ?? online.name;
  const batchSize = positiveInteger(options.batchSize ?? 1_000, "batchSize");
  const concurrency = positiveInteger(options.concurrency ?? 4, "concurrency");
  if (options.guard !== undefined && options.guard !== false && typeof options.guard !== "object")
    throw new CtxError("CTX_CONFIG", "materialize guard must be an object of settings, or false.", {});
  const sources = (
    options.sources ??
    [...context.sources.values()].filter((source) => source.tier === "batch" || source.tier === "stream")
  ).map((reference) => {
    const name = typeof reference === "string" ? reference : reference.name;
    const source = context.sources.get(name);
    if (!source) {
      throw new CtxError(
        "CTX_UNKNOWN_SOURCE",
        `materialize: "${name}" is not a source of the context store (${[...context.sources.keys()].join(", ")}).`,
        { source: name },
      );
    }
    if (source.tier !== "batch" && source.tier !== "stream") {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `materialize: "${name}" is a ${source.tier} source; only batch and stream sources live in the online store.`,
        { source: name },
      );
    }
    offline.source(source);
    return source;
  });
  const named = (option: boolean | readonly string[] | undefined, what: string) => {
    if (option !== undefined && typeof option !== "boolean" && !Array.isArray(option))
      throw new CtxError(
        "CTX_CONFIG",
        `materialize ${what} must be true, false or a list of source names.`,
        {},
      );
    // A name may be of a source this run does not publish (a caller running sources one at a time
    // passes the same list to each run); one the context store does not know is a typo.
    for (const name of Array.isArray(option) ? option : [])
      if (!context.sources.has(name))
        throw new CtxError(
          "CTX_UNKNOWN_SOURCE",
          `materialize ${what} names "${name}", which is not a source of the context store (${[...context.sources.keys()].join(", ")}).`,
          { source: name },
        );
    return (name: string) => option === true || (Array.isArray(option) && option.includes(name));
  };
  const forced = named(options.force, "force");
  const resets = named(options.resetReference, "resetReference");
  const guards = new Map(sources.map((source) => [source.name, resolveGuard(options.guard, source)]));
  const dryRun = options.dryRun ?? false;
  if (typeof dryRun !== "boolean")
    throw new CtxError("CTX_CONFIG", `materialize dryRun must be true or false; got ${String(dryRun)}.`, {});
  const since = options.since === undefined ? undefined : materializeSince(options.since);
  await context.ready();
  const runId = randomUUID();
  const startedAt = Date.now();
  const started = performance.now();
  const reports: SourceRunReport[] = [];

  // Plan every source first, so progress can report a total for the whole run.
  const plans = [];
  const notStarted: string[] = [];
  for (const source of sources) {
    if (options.signal?.aborted) notStarted.push(source.name);
    else plans.push(await planSource(offline, source, target, guards.get(source.name), since, tenant));
  }
  const totalAll = plans.reduce(
    (sum, plan) => sum + (plan.publish || forced(plan.source.name) ? plan.values : plan.partialValues),
    0,
  );
  let writtenAll = 0;

  for (const plan of plans) {
    const { source } = plan;
    const field = sourceField(source);
    const isForced = forced(source.name) && !plan.publish;
    const base = {
      source: source.name,
      field,
      newRows: plan.newRows,
      values: plan.values,
      zeroRate: plan.share,
      runZeroRate: plan.counts.runValues > 0 ? plan.counts.runZeros / plan.counts.runValues : undefined,
      changedZeroRate:
        plan.counts.changedValues > 0 ? plan.counts.changedZeros / plan.counts.changedValues : undefined,
      previousZeroRate: plan.reference,
      sampleZeroKeys: plan.sampleZeroKeys,
      watermark: { from: plan.fromSeq, to: plan.toSeq },
    };
    try {
      if (options.signal?.aborted) {
        notStarted.push(source.name);
        continue;
      }
      if (dryRun) {
        reports.push(dryRunReport(base, plan, isForced));
        continue;
      }
      if (plan.newRows === 0) {
        reports.push({
          ...base,
          status: "unchanged",
          applied: 0,
          publishedValues: 0,
          heldValues: 0,
          reference: false,
          forced: false,
        });
        continue;
      }
      const partial = !plan.publish && !isForced && plan.partialValues > 0;
      if (!plan.publish && !isForced && !partial) {
        await finishRun(offline, runId, target, tenant, plan, "held", false, false, startedAt);
        reports.push({
          ...base,
          status: "held",
          applied: 0,
          publishedValues: 0,
          heldValues: plan.values,
          reference: false,
          forced: false,
          reason: plan.reason ?? "",
        });
        continue;
      }
      const count = partial ? plan.partialValues : plan.values;
      const applied = await publish(
        offline,
        context,
        online,
        tenant,
        plan,
        partial,
        batchSize,
        concurrency,
        (written) => {
          options.onProgress?.({
            source: source.name,
            written,
            total: count,
            writtenAll: writtenAll + written,
            totalAll,
            elapsedMs: performance.now() - started,
          });
        },
      );
      writtenAll += count;
      if (partial) {
        await finishRun(offline, runId, target, tenant, plan, "held", false, false, startedAt, true);
        reports.push({
          ...base,
          status: "held",
          applied,
          publishedValues: count,
          heldValues: plan.values - count,
          reference: false,
          forced: false,
          reason: `${plan.reason} The ${count} values that are not zero-like were published (onHold "publish-non-zero"); the ${plan.values - count} zero-like ones are held.`,
        });
        continue;
      }
      const reset = resets(source.name);
      // A reference run is one the guard judged and passed (or that the caller resets the reference to).
      const reference =
        plan.guard !== undefined && plan.share !== undefined && (reset || (plan.publish && plan.eligible));
      await finishRun(
        offline,
        runId,
        target,
        tenant,
        plan,
        "published",
        isForced,
        reference,
        startedAt,
        false,
        reset,
      );
      reports.push({
        ...base,
        status: "published",
        applied,
        publishedValues: plan.values,
        heldValues: 0,
        reference,
        forced: isForced,
        ...(plan.publish ? {} : { reason: `${plan.reason} Published anyway (force).` }),
      });
    } finally {
      await offline.exclusive((connection) => connection.run(`DROP TABLE IF EXISTS ${plan.table}`));
    }
  }
  const durationMs = performance.now() - started;
  const written = dryRun
    ? 0
    : reports.reduce((sum, report) => sum + (report.status === "published" ? report.values : 0), 0);
  return {
    runId,
    dryRun,
    ...(since === undefined ? {} : { since }),
    target,
    startedAt,
    durationMs,
    sources: reports,
    held: reports.filter((report) => report.status === "held").map((report) => report.source),
    notStarted: sources.map((source) => source.name).filter((name) => notStarted.includes(name)),
    written,
    valuesPerSecond: durationMs > 0 ? (written / durationMs) * 1000 : 0,
  };
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new CtxError("CTX_CONFIG", `materialize ${what} must be a positive integer; got ${value}.`, {});
  return value;
}

/** The epoch ms a `since` bound names; a typed CTX_CONFIG error for any other form (the CLI checks `--since` with it). */
export function materializeSince(since: Date | number | string): number {
  // The offline store's own timestamp rules (time.ts), plus: text must carry its offset, because a
  // re-publish bound typed by an operator should not depend on a convention.
  const checked = checkTimestamp(since);
  const offsetMissing = typeof since === "string" && WITH_OFFSET.exec(since)?.[8] === undefined;
  if ("problem" in checked || checked.ms < 0 || offsetMissing) {
    throw new CtxError(
      "CTX_CONFIG",
      `materialize since must be a Date, whole epoch milliseconds or an ISO 8601 time with an offset (2026-12-01T00:00:00Z); got ${JSON.stringify(since)}.`,
      { since: String(since) },
    );
  }
  return checked.ms;
}

const WITH_OFFSET = new RegExp(`^${ISO_TIMESTAMP_PATTERN}$`);
