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
import {
  type AnySource,
  type ContextStore,
  CtxError,
  empty,
  isCtxError,
  type OnlineStore,
  type ValueWrite,
  type WindowAppend,
} from "@ctxstore/core";
import { sourceField } from "@ctxstore/core/store";
import type { DuckDBConnection } from "@duckdb/node-api";
import { contextStoreOption } from "./context-option.js";
import {
  countBatchRun,
  ensureGuardTables,
  judge,
  type PhantomZeroGuard,
  type ResolvedGuard,
  type RunCounts,
  recordGuardRun,
  referenceShare,
  resolveGuard,
  stateJoinSql,
  updateState,
} from "./guard.js";
import { uniqueName } from "./labels.js";
import {
  type DuckdbOfflineStore,
  HISTORY_TABLE,
  MATERIALIZATION_TABLE,
  WATERMARK_TABLE,
} from "./offline-store.js";
import { queryRows, quoteLiteral } from "./sql.js";
import { boundValues, NO_TENANT, requireSameTenancy, tenantCondition } from "./tenancy.js";
import { checkTimestamp, ISO_TIMESTAMP_PATTERN } from "./time.js";
import { fieldsZeroSql, markZeroLike, zeroSql } from "./zero-like.js";

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
 * Options of `materialize`: the offline store and the context store whose write path is used, the
 * online target, which sources, batch size and concurrency, the phantom-zero guard and its overrides
 * (`force`, `resetReference`), `dryRun`, `since`, progress and an abort signal.
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

const PAGE_ROWS = 10_000;
/** Rows parsed at a time within a page. */
const CHUNK_ROWS = 500;

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

interface SourcePlan {
  readonly source: AnySource;
  readonly guard: ResolvedGuard | undefined;
  readonly table: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly newRows: number;
  readonly values: number;
  readonly counts: RunCounts;
  /** The share the guard judges (state share for batch, run share for stream). */
  readonly share: number | undefined;
  readonly reference: number | undefined;
  /** Whether a published run of this size may become a reference. */
  readonly eligible: boolean;
  readonly sampleZeroKeys: readonly string[];
  readonly latestWatermark: number | undefined;
  /** Highest rowid of the candidate table (pages are rowid ranges up to it). */
  readonly lastRow: number;
  readonly publish: boolean;
  /** Values a held run publishes under onHold "publish-non-zero" (0 otherwise). */
  readonly partialValues: number;
  readonly reason?: string;
}

async function planSource(
  offline: DuckdbOfflineStore,
  source: AnySource,
  target: string,
  guard: ResolvedGuard | undefined,
  since: number | undefined,
  tenant: string | undefined,
): Promise<SourcePlan> {
  // Every statement below is scoped to the run's tenant (bound as $tenant) on a multi-tenant store.
  const scope = tenantCondition(tenant);
  const bound = boundValues(scope.params);
  return offline.exclusive(async (connection) => {
    await ensureGuardTables(connection);
    const where = `target = ${quoteLiteral(target)} AND source = ${quoteLiteral(source.name)} AND schema_version = ${source.version}${scope.sql}`;
    const [last] = await queryRows(
      connection,
      `SELECT to_seq FROM ${MATERIALIZATION_TABLE} WHERE ${where} AND status = 'published' ORDER BY finished_at DESC, to_seq DESC LIMIT 1`,
      bound,
    );
    const fromSeq = Number(last?.to_seq ?? 0);
    const history = `${HISTORY_TABLE} WHERE source = ${quoteLiteral(source.name)} AND schema_version = ${source.version}${scope.sql}`;
    // The rows a run covers: everything after the watermark, and with `since` also older rows written since then.
    const covered = since === undefined ? `seq > ${fromSeq}` : `(seq > ${fromSeq} OR write_time >= ${since})`;
    const [range] = await queryRows(
      connection,
      `SELECT coalesce(max(seq), ${fromSeq}) AS to_seq, count(*) AS n FROM ${history} AND ${covered}`,
      bound,
    );
    const toSeq = Number(range?.to_seq ?? fromSeq);
    const newRows = Number(range?.n ?? 0);
    const table = uniqueName("ctx_materialize");
    // Batch: the latest value per entity among the new rows. Stream: the newest `window` new events per entity.
    const pick =
      source.tier === "stream"
        ? `QUALIFY row_number() OVER (PARTITION BY entity_key ORDER BY event_time DESC, write_time DESC, seq DESC) <= ${source.window}`
        : "QUALIFY row_number() OVER (PARTITION BY entity_key ORDER BY event_time DESC, write_time DESC, seq DESC) = 1";
    const zero =
      guard?.isZeroLike !== undefined
        ? "false"
        : guard?.fields !== undefined
          ? fieldsZeroSql("value", "is_empty", guard.fields)
          : zeroSql("value", "is_empty");
    // Pages are cut by rowid (0..values-1 in a table just created): no sort is needed to number the
    // rows, and the order inside a run does not matter (writes are last-write-wins, window appends merge).
    // Batch candidates carry was_zero, the guard state's flag for the entity (NULL when new to it).
    const candidates = `SELECT seq, entity_key, key_json, event_time, write_time, value, is_empty, empty_reason, event_id, ${zero} AS is_zero
       FROM ${history} AND ${covered} AND seq <= ${toSeq} ${pick}`;
    await connection.run(
      source.tier === "batch"
        ? `CREATE TEMP TABLE ${table} AS SELECT c.*, state.was_zero FROM (${candidates}) c ${stateJoinSql(target, source, tenant)}`
        : `CREATE TEMP TABLE ${table} AS ${candidates}`,
      bound as never,
    );
    if (guard?.isZeroLike !== undefined) {
      try {
        await markZeroLike(connection, table, guard.isZeroLike, source, PAGE_ROWS);
      } catch (error) {
        await connection.run(`DROP TABLE IF EXISTS ${table}`);
        throw error;
      }
    }
    const [stats] = await queryRows(
      connection,
      `SELECT count(*) AS n, count(*) FILTER (WHERE is_zero) AS zeros, coalesce(max(rowid), -1) AS last_row FROM ${table}`,
    );
    const values = Number(stats?.n ?? 0);
    const zeros = Number(stats?.zeros ?? 0);
    const lastRow = Number(stats?.last_row ?? -1);
    const counts: RunCounts =
      source.tier === "batch"
        ? await countBatchRun(connection, target, source, table, tenant)
        : {
            runValues: values,
            runZeros: zeros,
            changedValues: 0,
            changedZeros: 0,
            stateValues: 0,
            stateZeros: 0,
          };
    const samples = await queryRows(
      connection,
      `SELECT entity_key FROM ${table} WHERE is_zero ORDER BY seq LIMIT 5`,
    );
    let latestWatermark: number | undefined;
    if (source.tier === "stream") {
      const [mark] = await queryRows(
        connection,
        `SELECT max(time) AS time FROM ${WATERMARK_TABLE} WHERE source = ${quoteLiteral(source.name)} AND schema_version = ${source.version}`,
      );
      latestWatermark = mark?.time === null || mark?.time === undefined ? undefined : Number(mark.time);
    }
    const tier = source.tier === "stream" ? "stream" : "batch";
    const reference = guard
      ? await referenceShare(connection, target, source, guard.baselineRuns, tenant)
      : undefined;
    const verdict = guard && values > 0 ? judge(counts, reference, guard, tier) : undefined;
    const share =
      verdict?.share ??
      (tier === "batch"
        ? counts.stateValues > 0
          ? counts.stateZeros / counts.stateValues
          : undefined
        : values > 0
          ? zeros / values
          : undefined);
    const publish = verdict === undefined || !verdict.hold;
    const partialValues = !publish && guard?.onHold === "publish-non-zero" ? values - zeros : 0;
    const reason = publish
      ? undefined
      : `Held back: ${verdict?.reasons.join("; ")}. The online store keeps its last good values. Check the upstream job; pass force to publish anyway (add resetReference if this is the new normal).`;
    return {
      source,
      guard,
      table,
      fromSeq,
      toSeq,
      newRows,
      values,
      counts,
      share,
      reference,
      eligible: verdict?.referenceEligible ?? false,
      sampleZeroKeys: samples.map((sample) => String(sample.entity_key)),
      latestWatermark,
      lastRow,
      publish,
      partialValues,
      ...(reason === undefined ? {} : { reason }),
    };
  });
}

async function publish(
  offline: DuckdbOfflineStore,
  context: ContextStore,
  online: OnlineStore,
  tenant: string | undefined,
  plan: SourcePlan,
  onlyNonZero: boolean,
  batchSize: number,
  concurrency: number,
  progress: (written: number) => void,
): Promise<number> {
  const { source } = plan;
  const inFlight = new Set<Promise<void>>();
  let applied = 0;
  let written = 0;
  let failure: unknown;
  const send = (batch: Array<ValueWrite | WindowAppend>) => {
    const request =
      source.tier === "stream" ? online.append(batch as WindowAppend[]) : online.write(batch as ValueWrite[]);
    const size = batch.length;
    const task = request.then(
      (outcomes) => {
        applied += outcomes.filter((outcome) => outcome.applied).length;
        written += size;
        progress(written);
      },
      (error: unknown) => {
        failure ??= error;
      },
    );
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  };
  // The next page is read (on DuckDB's threads) while this one is rendered and written.
  const readPage = (first: number) =>
    offline.exclusive((connection) =>
      fetchPage(connection, plan.table, first, first + PAGE_ROWS - 1, onlyNonZero),
    );
  let next = plan.lastRow >= 0 ? readPage(0) : undefined;
  // A page that cannot be read, or a row the write path refuses, stops the run; the writes already
  // sent are waited for either way, so nothing is still writing when materialize returns.
  let stopped: unknown;
  try {
    for (let first = 0; next !== undefined && failure === undefined; first += PAGE_ROWS) {
      const page = await next;
      next = first + PAGE_ROWS <= plan.lastRow ? readPage(first + PAGE_ROWS) : undefined;
      let batch: Array<ValueWrite | WindowAppend> = [];
      for (const chunk of page) {
        for (const row of parseChunk(chunk)) {
          batch.push(toWrite(context, source, row, tenant));
          if (batch.length >= batchSize) {
            send(batch);
            batch = [];
            while (inFlight.size >= concurrency) await Promise.race(inFlight);
          }
        }
      }
      if (batch.length > 0) send(batch);
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
  } catch (error) {
    stopped = error;
  }
  await next?.catch(() => undefined);
  await Promise.all(inFlight);
  if (stopped !== undefined) {
    if (isCtxError(stopped)) throw stopped;
    throw new CtxError(
      "CTX_STORE_UNAVAILABLE",
      `materialize: reading "${source.name}" from the offline store failed after ${written} of ${plan.values} values (${(stopped as Error).message}). The watermark did not move, so the next run repeats these values safely (writes are last-write-wins).`,
      { source: source.name, written, total: plan.values },
      { cause: stopped },
    );
  }
  if (failure === undefined && source.tier === "stream" && plan.latestWatermark !== undefined) {
    await online.setWatermark(sourceField(source), plan.latestWatermark).catch((error: unknown) => {
      failure = error;
    });
  }
  if (failure !== undefined) {
    throw new CtxError(
      "CTX_STORE_UNAVAILABLE",
      `materialize: writing "${source.name}" to the online store failed after ${written} of ${plan.values} values (${(failure as Error).message}). The watermark did not move, so the next run repeats these values safely (writes are last-write-wins).`,
      { source: source.name, written, total: plan.values },
      { cause: failure },
    );
  }
  return applied;
}

/** One candidate value: entity key, event time, write time, value, is empty, empty reason, event id. */
type CandidateRow = [
  key: unknown,
  eventTime: number,
  writeTime: number,
  value: unknown,
  isEmpty: boolean,
  emptyReason: string | null,
  eventId: string | null,
];

/**
 * Reads a page as one text that DuckDB builds on its own threads: the rows as JSON arrays, a newline
 * after every CHUNK_ROWS-th row and a comma after the others. The event loop then pays one UTF-8
 * decode per page and one `JSON.parse` per chunk, instead of a string conversion per cell and a
 * parse per key and value (which was most of the read cost); parsing chunk by chunk keeps only a
 * chunk's rows alive at a time, where a whole parsed page was copied by every young-generation GC.
 */
async function fetchPage(
  connection: DuckDBConnection,
  table: string,
  first: number,
  last: number,
  onlyNonZero: boolean,
): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT coalesce(string_agg(json_array(key_json::JSON, event_time, write_time, value, is_empty, empty_reason, event_id)::VARCHAR || CASE WHEN rowid % ${CHUNK_ROWS} = ${CHUNK_ROWS - 1} THEN chr(10) ELSE ',' END, ''), '')
     FROM ${table} WHERE rowid BETWEEN ${first} AND ${last}${onlyNonZero ? " AND NOT is_zero" : ""}`,
  );
  // No row holds a raw newline: json_array escapes them inside strings and re-serialises JSON values
  // compactly, so indented stored JSON loses its line breaks too (materialize.test.ts checks both).
  return String(reader.getColumns()[0]?.[0] ?? "").split("\n");
}

/** The rows of one chunk: JSON arrays each followed by a comma, the last perhaps not. */
function parseChunk(chunk: string): CandidateRow[] {
  if (chunk.length === 0) return [];
  const text = chunk.endsWith(",") ? chunk.slice(0, -1) : chunk;
  return JSON.parse(`[${text}]`) as CandidateRow[];
}

function toWrite(
  context: ContextStore,
  source: AnySource,
  row: CandidateRow,
  tenant: string | undefined,
): ValueWrite | WindowAppend {
  const [key, eventTime, writeTime, stored, isEmpty, emptyReason, eventId] = row;
  const value = isEmpty ? empty(emptyReason ?? undefined) : stored;
  const times = tenant === undefined ? { eventTime, writeTime } : { eventTime, writeTime, tenant };
  if (source.tier === "stream")
    return context.toWindowAppend(source, key, value, {
      ...times,
      ...(eventId === null ? {} : { eventId }),
    });
  return context.toValueWrite(source, key, value, times);
}

/**
 * Records the run (watermark table, guard runs) and, when values were published, the guard's state
 * of the entities written, in one transaction.
 */
async function finishRun(
  offline: DuckdbOfflineStore,
  runId: string,
  target: string,
  tenant: string | undefined,
  plan: SourcePlan,
  status: "published" | "held",
  forced: boolean,
  reference: boolean,
  startedAt: number,
  publishedNonZero = false,
  resetReference = false,
): Promise<void> {
  const { source } = plan;
  await offline.transaction(async (connection) => {
    await connection.run(
      `INSERT INTO ${MATERIALIZATION_TABLE} VALUES ($run, $target, $source, $version, $status, $from, $to, $rows, $zero, $previous, $forced, $started, $finished, $tenant)`,
      {
        run: runId,
        target,
        source: source.name,
        version: source.version,
        status,
        from: plan.fromSeq,
        to: plan.toSeq,
        rows: plan.values,
        zero: plan.share ?? null,
        previous: plan.reference ?? null,
        forced,
        started: startedAt,
        finished: Date.now(),
        tenant: tenant ?? NO_TENANT,
      },
    );
    if (source.tier === "batch" && (status === "published" || publishedNonZero))
      await updateState(connection, target, source, plan.table, publishedNonZero, tenant);
    await recordGuardRun(connection, {
      runId,
      target,
      source,
      status: publishedNonZero ? "partial" : status,
      counts: plan.counts,
      share: plan.share,
      reference,
      resetReference: resetReference && status === "published",
      tenant,
    });
  });
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new CtxError("CTX_CONFIG", `materialize ${what} must be a positive integer; got ${value}.`, {});
  return value;
}

/** What a run would report for this plan, had it run (a dry run writes and records nothing). */
function dryRunReport(
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
