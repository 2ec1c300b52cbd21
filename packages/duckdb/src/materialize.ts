// Materialization: offline -> online. For each source, the latest value per entity among the
// history rows recorded since the last published run (a stored watermark), written in pipelined
// batches through the same write path serving uses (ctx.toValueWrite / toWindowAppend).
//
// The phantom-zero guard: an upstream failure often shows up as a burst of empty, zero or null
// values (a job that timed out and wrote "no orders" for everyone). Each run measures each source's
// share of such values; when it rises against the last published run by more than the threshold,
// that source is held back: the online store keeps its last good values and the report names the
// source, both rates and sample keys. `force` publishes anyway.
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
import { uniqueName } from "./labels.js";
import {
  type DuckdbOfflineStore,
  HISTORY_TABLE,
  MATERIALIZATION_TABLE,
  WATERMARK_TABLE,
} from "./offline-store.js";
import { queryRows, quoteLiteral } from "./sql.js";

export interface PhantomZeroGuard {
  /** Largest allowed rise in the empty/zero/null share against the last published run (0..1). Default 0.1. */
  threshold?: number;
  /** Runs with fewer values than this are never held (too few to judge a rate). Default 50. */
  minValues?: number;
}

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

export interface MaterializeOptions {
  offline: DuckdbOfflineStore;
  /** The context store whose definitions and write path (render, token counts, TTL) are used. */
  context: ContextStore;
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
  /** `false` turns the guard off. */
  guard?: PhantomZeroGuard | false;
  /** Publish held sources anyway: `true` for all, or source names. */
  force?: boolean | readonly string[];
  /** Called after every written batch (the CLI draws its progress bar from it). */
  onProgress?: (progress: MaterializeProgress) => void;
}

export type SourceRunStatus = "published" | "held" | "unchanged";

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
  readonly zeroRate: number | undefined;
  readonly previousZeroRate: number | undefined;
  /** Entity keys whose new value is empty/zero/null (up to 5). */
  readonly sampleZeroKeys: readonly string[];
  readonly forced: boolean;
  /** History insertion order covered: (from, to]. */
  readonly watermark: { readonly from: number; readonly to: number };
  readonly reason?: string;
}

export interface MaterializeReport {
  readonly runId: string;
  readonly target: string;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly sources: readonly SourceRunReport[];
  /** Names of sources held back by the guard. */
  readonly held: readonly string[];
  readonly written: number;
  readonly valuesPerSecond: number;
}

const PAGE_ROWS = 10_000;
/** Rows parsed at a time within a page. */
const CHUNK_ROWS = 500;

// Zero-like, as one regular expression over the stored JSON text (RE2 is linear): null, a zero
// number, a string of only whitespace, [], {}, or an object whose every field is one of those. Evaluating the
// same rule with DuckDB's JSON functions (json_type per field, json_extract('$.*')) cost ~40 times
// more and was a fifth of a materialize run; test/zero-like.test.ts checks the two agree.
const WS = "[ \\t\\n\\r]*";
const ZERO_NUMBER = "-?0(?:\\.0+)?(?:[eE][+-]?[0-9]+)?";
/** Only whitespace: raw spaces (any Unicode space separator) or escaped tab/newline/return/space. */
const BLANK_STRING = '"(?:[\\p{Zs}\\t\\n\\r]|\\\\[tnr]|\\\\u00(?:09|0[aAdD]|20|[aA]0))*"';
const ZERO_LEAF = `(?:null|${ZERO_NUMBER}|${BLANK_STRING}|\\[${WS}\\]|\\{${WS}\\})`;
const JSON_KEY = '"(?:[^"\\\\]|\\\\.)*"';
const ZERO_FIELD = `${WS}${JSON_KEY}${WS}:${WS}${ZERO_LEAF}${WS}`;
const ZERO_LIKE_PATTERN = `${WS}(?:${ZERO_LEAF}|\\{${ZERO_FIELD}(?:,${ZERO_FIELD})*\\})${WS}`;

/** SQL: is this value zero-like (`empty()` included)? `value` is a JSON column. */
export function zeroSql(value: string, isEmpty: string): string {
  return `(${isEmpty} OR ${value} IS NULL OR regexp_full_match(${value}::VARCHAR, ${quoteLiteral(ZERO_LIKE_PATTERN)}))`;
}

/** Publishes new offline history to the online store, source by source, under the phantom-zero guard. */
export async function materialize(options: MaterializeOptions): Promise<MaterializeReport> {
  const { offline, context } = options;
  if (!offline || !context)
    throw new CtxError(
      "CTX_CONFIG",
      "materialize needs { offline, context }: the offline store and the context store whose definitions it publishes.",
      {},
    );
  const online = options.online ?? context.online;
  const target = options.target ?? online.name;
  const batchSize = positiveInteger(options.batchSize ?? 1_000, "batchSize");
  const concurrency = positiveInteger(options.concurrency ?? 4, "concurrency");
  const guard =
    options.guard === false
      ? undefined
      : { threshold: options.guard?.threshold ?? 0.1, minValues: options.guard?.minValues ?? 50 };
  if (guard && !(guard.threshold >= 0 && guard.threshold <= 1)) {
    throw new CtxError(
      "CTX_CONFIG",
      `materialize guard.threshold must be a share between 0 and 1 (0.1 = ten points); got ${guard.threshold}.`,
      {},
    );
  }
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
  const forced = (name: string) =>
    options.force === true || (Array.isArray(options.force) && options.force.includes(name));
  await context.ready();
  const runId = randomUUID();
  const startedAt = Date.now();
  const started = performance.now();
  const reports: SourceRunReport[] = [];

  // Plan every source first, so progress can report a total for the whole run.
  const plans = [];
  for (const source of sources) plans.push(await planSource(offline, source, target, guard));
  const totalAll = plans.reduce(
    (sum, plan) => sum + (plan.publish || forced(plan.source.name) ? plan.values : 0),
    0,
  );
  let writtenAll = 0;

  for (const plan of plans) {
    const { source } = plan;
    const field = sourceField(source);
    const isForced = forced(source.name);
    const base = {
      source: source.name,
      field,
      newRows: plan.newRows,
      values: plan.values,
      zeroRate: plan.zeroRate,
      previousZeroRate: plan.previousZeroRate,
      sampleZeroKeys: plan.sampleZeroKeys,
      watermark: { from: plan.fromSeq, to: plan.toSeq },
    };
    try {
      if (plan.newRows === 0) {
        reports.push({ ...base, status: "unchanged", applied: 0, forced: false });
        continue;
      }
      if (!plan.publish && !isForced) {
        await recordRun(offline, runId, target, source, "held", plan, false, startedAt);
        reports.push({ ...base, status: "held", applied: 0, forced: false, reason: plan.reason ?? "" });
        continue;
      }
      const applied = await publish(offline, context, online, plan, batchSize, concurrency, (written) => {
        options.onProgress?.({
          source: source.name,
          written,
          total: plan.values,
          writtenAll: writtenAll + written,
          totalAll,
          elapsedMs: performance.now() - started,
        });
      });
      writtenAll += plan.values;
      await recordRun(
        offline,
        runId,
        target,
        source,
        "published",
        plan,
        isForced && !plan.publish,
        startedAt,
      );
      reports.push({
        ...base,
        status: "published",
        applied,
        forced: isForced && !plan.publish,
        ...(plan.publish ? {} : { reason: `${plan.reason} — published anyway (force)` }),
      });
    } finally {
      await offline.exclusive((connection) => connection.run(`DROP TABLE IF EXISTS ${plan.table}`));
    }
  }
  const durationMs = performance.now() - started;
  const written = reports.reduce(
    (sum, report) => sum + (report.status === "published" ? report.values : 0),
    0,
  );
  return {
    runId,
    target,
    startedAt,
    durationMs,
    sources: reports,
    held: reports.filter((report) => report.status === "held").map((report) => report.source),
    written,
    valuesPerSecond: durationMs > 0 ? (written / durationMs) * 1000 : 0,
  };
}

interface SourcePlan {
  readonly source: AnySource;
  readonly table: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly newRows: number;
  readonly values: number;
  readonly zeroRate: number | undefined;
  readonly previousZeroRate: number | undefined;
  readonly sampleZeroKeys: readonly string[];
  readonly latestWatermark: number | undefined;
  /** Highest rowid of the candidate table (pages are rowid ranges up to it). */
  readonly lastRow: number;
  readonly publish: boolean;
  readonly reason?: string;
}

async function planSource(
  offline: DuckdbOfflineStore,
  source: AnySource,
  target: string,
  guard: { threshold: number; minValues: number } | undefined,
): Promise<SourcePlan> {
  return offline.exclusive(async (connection) => {
    const where = `target = ${quoteLiteral(target)} AND source = ${quoteLiteral(source.name)} AND schema_version = ${source.version}`;
    const [last] = await queryRows(
      connection,
      `SELECT to_seq, zero_rate FROM ${MATERIALIZATION_TABLE} WHERE ${where} AND status = 'published' ORDER BY finished_at DESC, to_seq DESC LIMIT 1`,
    );
    const fromSeq = Number(last?.to_seq ?? 0);
    const previousZeroRate =
      last?.zero_rate === null || last?.zero_rate === undefined ? undefined : Number(last.zero_rate);
    const history = `${HISTORY_TABLE} WHERE source = ${quoteLiteral(source.name)} AND schema_version = ${source.version}`;
    const [range] = await queryRows(
      connection,
      `SELECT coalesce(max(seq), ${fromSeq}) AS to_seq, count(*) AS n FROM ${history} AND seq > ${fromSeq}`,
    );
    const toSeq = Number(range?.to_seq ?? fromSeq);
    const newRows = Number(range?.n ?? 0);
    const table = uniqueName("ctx_materialize");
    // Batch: the latest value per entity among the new rows. Stream: the newest `window` new events per entity.
    const pick =
      source.tier === "stream"
        ? `QUALIFY row_number() OVER (PARTITION BY entity_key ORDER BY event_time DESC, write_time DESC, seq DESC) <= ${source.window}`
        : "QUALIFY row_number() OVER (PARTITION BY entity_key ORDER BY event_time DESC, write_time DESC, seq DESC) = 1";
    // Pages are cut by rowid (0..values-1 in a table just created): no sort is needed to number the
    // rows, and the order inside a run does not matter (writes are last-write-wins, window appends merge).
    await connection.run(
      `CREATE TEMP TABLE ${table} AS
       SELECT seq, entity_key, key_json, event_time, write_time, value, is_empty, empty_reason, event_id, ${zeroSql("value", "is_empty")} AS is_zero
       FROM ${history} AND seq > ${fromSeq} AND seq <= ${toSeq} ${pick}`,
    );
    const [stats] = await queryRows(
      connection,
      `SELECT count(*) AS n, count(*) FILTER (WHERE is_zero) AS zeros, coalesce(max(rowid), -1) AS last_row FROM ${table}`,
    );
    const values = Number(stats?.n ?? 0);
    const zeros = Number(stats?.zeros ?? 0);
    const lastRow = Number(stats?.last_row ?? -1);
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
    const zeroRate = values > 0 ? zeros / values : undefined;
    let publish = true;
    let reason: string | undefined;
    if (
      guard &&
      zeroRate !== undefined &&
      previousZeroRate !== undefined &&
      values >= guard.minValues &&
      zeroRate - previousZeroRate > guard.threshold
    ) {
      publish = false;
      reason = `empty/zero/null share rose from ${percent(previousZeroRate)} to ${percent(zeroRate)} (more than ${percent(guard.threshold)} points) — held back; the online store keeps its last good values. Check the upstream job, or pass force to publish anyway.`;
    }
    return {
      source,
      table,
      fromSeq,
      toSeq,
      newRows,
      values,
      zeroRate,
      previousZeroRate,
      sampleZeroKeys: samples.map((sample) => String(sample.entity_key)),
      latestWatermark,
      lastRow,
      publish,
      ...(reason === undefined ? {} : { reason }),
    };
  });
}

async function publish(
  offline: DuckdbOfflineStore,
  context: ContextStore,
  online: OnlineStore,
  plan: SourcePlan,
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
    offline.exclusive((connection) => fetchPage(connection, plan.table, first, first + PAGE_ROWS - 1));
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
          batch.push(toWrite(context, source, row));
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
): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT coalesce(string_agg(json_array(key_json::JSON, event_time, write_time, value, is_empty, empty_reason, event_id)::VARCHAR || CASE WHEN rowid % ${CHUNK_ROWS} = ${CHUNK_ROWS - 1} THEN chr(10) ELSE ',' END, ''), '')
     FROM ${table} WHERE rowid BETWEEN ${first} AND ${last}`,
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

function toWrite(context: ContextStore, source: AnySource, row: CandidateRow): ValueWrite | WindowAppend {
  const [key, eventTime, writeTime, stored, isEmpty, emptyReason, eventId] = row;
  const value = isEmpty ? empty(emptyReason ?? undefined) : stored;
  const times = { eventTime, writeTime };
  if (source.tier === "stream")
    return context.toWindowAppend(source, key, value, {
      ...times,
      ...(eventId === null ? {} : { eventId }),
    });
  return context.toValueWrite(source, key, value, times);
}

async function recordRun(
  offline: DuckdbOfflineStore,
  runId: string,
  target: string,
  source: AnySource,
  status: "published" | "held",
  plan: SourcePlan,
  forced: boolean,
  startedAt: number,
): Promise<void> {
  await offline.exclusive((connection) =>
    connection.run(
      `INSERT INTO ${MATERIALIZATION_TABLE} VALUES ($run, $target, $source, $version, $status, $from, $to, $rows, $zero, $previous, $forced, $started, $finished)`,
      {
        run: runId,
        target,
        source: source.name,
        version: source.version,
        status,
        from: plan.fromSeq,
        to: plan.toSeq,
        rows: plan.values,
        zero: plan.zeroRate ?? null,
        previous: plan.previousZeroRate ?? null,
        forced,
        started: startedAt,
        finished: Date.now(),
      },
    ),
  );
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new CtxError("CTX_CONFIG", `materialize ${what} must be a positive integer; got ${value}.`, {});
  return value;
}
