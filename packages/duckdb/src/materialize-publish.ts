// Publishing a planned source: its candidates read page by page (the next page built on DuckDB's
// threads while this one is written), turned into writes by the context store's own write path,
// kept `concurrency` batches in flight; then the run recorded (watermark, guard state and runs) in
// one transaction.
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
import { recordGuardRun, updateState } from "./guard.js";
import { PAGE_ROWS, type SourcePlan } from "./materialize-plan.js";
import { type DuckdbOfflineStore, MATERIALIZATION_TABLE } from "./offline-store.js";
import { NO_TENANT } from "./tenancy.js";

/** Rows parsed at a time within a page. */
const CHUNK_ROWS = 500;

export async function publish(
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
export async function finishRun(
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
