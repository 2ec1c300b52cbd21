// Point-in-time retrieval: for every label event, each source's value as it was known at the
// event's timestamp. Batch and realtime values use DuckDB's ASOF JOIN; stream windows use a
// bounded range join. Nothing unknown is ever turned into an empty: a value that was not there is
// `missing`, one older than maxAge is `stale`, an entity the label does not name is `skipped`.
import { rename, rm } from "node:fs/promises";
import {
  type AnySource,
  CtxError,
  type Duration,
  type Entity,
  parseDuration,
  type Status,
} from "@ctxstore/core";
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  keyColumn,
  keyJsonColumn,
  type LabelInput,
  type StagedLabels,
  stageLabels,
  tenantJoin,
  uniqueName,
} from "./labels.js";
import { type DuckdbOfflineStore, HISTORY_TABLE, WATERMARK_TABLE } from "./offline-store.js";
import { ensureOnlineTables, REALTIME_OUTCOMES_TABLE } from "./online-log.js";
import { entityTtls, type ServedView, servedViewSql, visibleFromSql } from "./served-view.js";
import { queryRows, quoteIdentifier, quoteLiteral, type Row, toPlainRow } from "./sql.js";

/** Realtime values are exact-now facts: without a maxAge, one recorded more than a minute before t is stale. */
export const REALTIME_DEFAULT_MAX_AGE_MS = 60_000;

const MAX_BIGINT = "9223372036854775807::BIGINT";

/**
 * Options of `pointInTime`: the label events, which sources, `maxAge` overrides, and whether rows
 * written after a label's time are ignored (`excludeLateWrites`, so backfills cannot leak).
 */
export interface PointInTimeOptions {
  labels: LabelInput;
  /** Sources to retrieve (definitions or registered names). Default: every registered non-vector source. */
  sources?: ReadonlyArray<AnySource | string>;
  /** Overrides the sources' maxAge: one duration for all, or by source name. Measured from each label's timestamp. */
  maxAge?: Duration | Readonly<Record<string, Duration>>;
  /**
   * Ignore history rows written after the label's timestamp (write time > t), so a later backfill of
   * an earlier event time cannot leak into training. Default false: the history as it stands now.
   */
  excludeLateWrites?: boolean;
  /**
   * Answer as the online store held the history at each label's moment (training renders use it,
   * see served-view.ts): rows visible from their write (event times up to `maxClockSkew` ahead, as the
   * write path accepts; default "1m", use createContextStore's value), freshness measured from the
   * earlier of event and write time, and online expiry replayed write by write. Implies
   * `excludeLateWrites`. `definitions`: the sources whose TTL applies to rows written without a
   * recorded online write (default: the offline store's registered sources).
   */
  asServed?: boolean | { maxClockSkew?: Duration; definitions?: readonly AnySource[] };
  /**
   * Definitions whose entities label keys may name besides the retrieved sources' (such keys are
   * ignored). Default: the offline store's registered sources. Any other entity name is
   * `CTX_UNKNOWN_ENTITY`, as in `assemble`.
   */
  knownSources?: readonly AnySource[];
  /**
   * A multi-tenant offline store: the tenant of every label (labels may also carry their own, which
   * must then be this one). Every value comes from that tenant's history only. Refused on a
   * single-tenant store.
   */
  tenant?: string;
}

/**
 * One source's value at a label's time: its status (as serving would judge it then), the value when
 * there is one, its event time and age (ms) at the label's time.
 */
export interface PointInTimeValue {
  readonly status: Status;
  /** Present for `ok` and `stale` (the stale value, never a substitute). Stream sources: the window's events, oldest first. */
  readonly value?: unknown;
  readonly emptyReason?: string;
  /** A recorded realtime lookup that gave no fact (timeout, error, ...): the reason serving gave. */
  readonly reason?: string;
  /** ...and the last known good value serving had for the `fallback` policy, if any. */
  readonly fallback?: { readonly value: unknown; readonly eventTime: number };
  /** Stream sources: the ingest watermark known at t, as stored (the renderer sets it as serving had it). */
  readonly watermark?: number;
  /** Event time of the value (streams: the freshest of newest event and watermark). */
  readonly eventTime?: number;
  readonly writeTime?: number;
  /** t - eventTime. */
  readonly ageMs?: number;
  readonly schemaVersion: number;
  /** History rows behind the value (renders rebuild the exact envelopes from them). */
  readonly seqs: readonly number[];
}

/** One label event with every source's value as known at its timestamp. */
export interface PointInTimeRow {
  /** 1-based label row. */
  readonly row: number;
  /** The label's tenant on a multi-tenant store (undefined on a single-tenant one). */
  readonly tenant: string | undefined;
  /** The label's timestamp, epoch ms UTC. */
  readonly timestamp: number;
  /** Canonical entity keys the label named. */
  readonly keys: Readonly<Record<string, string | null>>;
  /** The same keys as parsed objects in stable JSON (what `assemble` takes as `keys`). */
  readonly keyJson: Readonly<Record<string, string | null>>;
  /** The label's other columns (input, label, ids). */
  readonly columns: Readonly<Record<string, unknown>>;
  readonly values: Readonly<Record<string, PointInTimeValue>>;
}

/**
 * What `pointInTime` returns: a temp table of (label, source) values, status counts per source, and
 * ways to read it (`rows`, `toArray`) or write it out (`writeParquet`, `writeJsonl`); `drop()` frees it.
 */
export interface PointInTimeResult {
  /** Temp table, one row per (label, source). */
  readonly table: string;
  readonly labels: StagedLabels;
  readonly sources: readonly AnySource[];
  readonly excludeLateWrites: boolean;
  /** Whether the values are the online store's view at each moment (see `PointInTimeOptions.asServed`). */
  readonly asServed: boolean;
  /** Count of each status per source. */
  readonly statusCounts: Readonly<Record<string, Partial<Record<Status, number>>>>;
  /**
   * With `excludeLateWrites`: per source, how many label values differ from what the history would
   * give with late writes included because a row was written after the label's time (a backfill
   * recorded with today's write time hides everything it wrote). 0 for every source otherwise.
   */
  readonly hiddenByLateWrites: Readonly<Record<string, number>>;
  /** Label rows in order, with every source's value, read in pages. */
  rows(options?: { pageSize?: number }): AsyncIterable<PointInTimeRow>;
  /** Every label row at once (in label order); use `rows()` to page through large results. */
  toArray(): Promise<PointInTimeRow[]>;
  /** One row per label: its columns, then one struct per source (status, value, event_time, age_ms...). */
  writeParquet(path: string, options?: ValuesFileOptions): Promise<void>;
  /** One JSON object per line, the same shape as `writeParquet`. */
  writeJsonl(path: string, options?: ValuesFileOptions): Promise<void>;
  /** Drops the temp tables. */
  drop(): Promise<void>;
}

export interface ValuesFileOptions {
  /**
   * Values to write instead of the stored ones for some sources: a temp table (label_row, source,
   * value JSON). Dataset builds pass the redacted values their prompts used for PII-tagged sources;
   * a label with no row there gets no value for those sources.
   */
  readonly replaceValues?: { readonly table: string; readonly sources: readonly string[] };
}

interface Plan {
  readonly source: AnySource;
  readonly entity: Entity;
  readonly maxAgeMs: number | undefined;
}

/** Retrieves every requested source's value as known at each label event's timestamp. */
export async function pointInTime(
  offline: DuckdbOfflineStore,
  options: PointInTimeOptions,
): Promise<PointInTimeResult> {
  if (!options || typeof options !== "object" || options.labels === undefined) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      "pointInTime needs { labels, sources? }: label events with a timestamp and entity keys.",
      {},
    );
  }
  const plans = planSources(offline, options);
  const served = servedOptions(offline, options);
  const excludeLateWrites = options.excludeLateWrites === true || served !== undefined;
  const tenant = options.tenant === undefined ? undefined : offline.tenantFor(options.tenant, "pointInTime");
  return offline.exclusive(async (connection) => {
    await ensureOnlineTables(connection);
    const staged = await stageLabels(
      connection,
      options.labels,
      plans.map((plan) => plan.source),
      [...offline.sources.values(), ...(served?.definitions ?? []), ...(options.knownSources ?? [])],
      { multi: offline.tenancy === "multi", tenant },
    );
    const table = uniqueName("ctx_pit");
    let labels: StagedLabels = staged;
    if (staged.multiTenant) {
      // The labels' tenants that have any history: see streamSql (a tenant without data is `missing`).
      const knownTenants = `${table}_tenants`;
      await connection.run(
        `CREATE TEMP TABLE ${knownTenants} AS SELECT DISTINCT ctx_tenant AS tenant FROM ${staged.table}
         WHERE ctx_tenant IN (SELECT DISTINCT tenant FROM ${HISTORY_TABLE})`,
      );
      labels = { ...staged, knownTenants };
    }
    const view: ServedView | undefined =
      served === undefined
        ? undefined
        : { maxClockSkewMs: served.maxClockSkewMs, writes: `${table}_writes`, labelLives: `${table}_lives` };
    const dropView = async () => {
      if (!view) return;
      await connection.run(`DROP TABLE IF EXISTS ${view.writes}`);
      await connection.run(`DROP TABLE IF EXISTS ${view.labelLives}`);
    };
    const hiddenByLateWrites: Record<string, number> = {};
    for (const plan of plans) hiddenByLateWrites[plan.source.name] = 0;
    try {
      if (view && served)
        for (const sql of servedViewSql(view, labels, served.stored, served.ttls)) await connection.run(sql);
      await connection.run(createSql(table, labels, plans, excludeLateWrites, view));
      const streams = plans.filter((candidate) => candidate.source.tier === "stream");
      if (streams.length > 0 && view) {
        // DuckDB 1.5's top-N window rewrite fails with an internal error on the as-served window
        // query (a window's life joined from the label side); it is turned off for these statements.
        await withOptimizerOff(connection, "top_n_window_elimination", async () => {
          for (const plan of streams)
            await connection.run(streamSql(table, labels, plan, excludeLateWrites, view));
        });
      } else {
        for (const plan of streams)
          await connection.run(streamSql(table, labels, plan, excludeLateWrites, view));
      }
      await dropView();
      if (excludeLateWrites) {
        for (const hidden of await countHiddenByLateWrites(connection, table, labels, plans))
          hiddenByLateWrites[String(hidden.source)] = Number(hidden.n);
      }
    } catch (error) {
      await dropView();
      await connection.run(`DROP TABLE IF EXISTS ${table}`);
      await connection.run(`DROP TABLE IF EXISTS ${labels.table}`);
      if (labels.knownTenants) await connection.run(`DROP TABLE IF EXISTS ${labels.knownTenants}`);
      throw new CtxError(
        "CTX_STORE_UNAVAILABLE",
        `The point-in-time query failed (${(error as Error).message}).`,
        {},
        { cause: error },
      );
    }
    const counts = await queryRows(
      connection,
      `SELECT source, status, count(*) AS n FROM ${table} GROUP BY ALL`,
    );
    const statusCounts: Record<string, Partial<Record<Status, number>>> = {};
    for (const plan of plans) statusCounts[plan.source.name] = {};
    for (const count of counts) {
      const bucket = statusCounts[String(count.source)] ?? {};
      bucket[count.status as Status] = Number(count.n);
      statusCounts[String(count.source)] = bucket;
    }
    return makeResult(offline, table, labels, plans, excludeLateWrites, served !== undefined, {
      statusCounts,
      hiddenByLateWrites,
    });
  });
}

/**
 * Label values that late writes changed: the answer with late writes included holds a history row
 * written after the label's time that the answer given (late writes excluded) does not hold. One
 * more point-in-time pass over the plain history, into a temporary table dropped at once.
 */
async function countHiddenByLateWrites(
  connection: DuckDBConnection,
  table: string,
  labels: StagedLabels,
  plans: readonly Plan[],
): Promise<Row[]> {
  const late = `${table}_late`;
  try {
    await connection.run(createSql(late, labels, plans, false, undefined));
    for (const plan of plans.filter((candidate) => candidate.source.tier === "stream"))
      await connection.run(streamSql(late, labels, plan, false, undefined));
    return await queryRows(
      connection,
      `SELECT x.source, count(DISTINCT x.label_row) AS n
       FROM (SELECT label_row, source, unnest(seqs) AS seq FROM ${late}) x
       JOIN ${HISTORY_TABLE} h ON h.seq = x.seq
       JOIN ${labels.table} l ON l.ctx_row = x.label_row
       JOIN ${table} p ON p.label_row = x.label_row AND p.source = x.source
       WHERE h.write_time > l.ctx_ts AND NOT list_contains(p.seqs, x.seq)
       GROUP BY x.source`,
    );
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${late}`);
  }
}

/** Runs `body` with one of DuckDB's optimizers disabled, restoring the setting afterwards. */
async function withOptimizerOff<T>(
  connection: DuckDBConnection,
  optimizer: string,
  body: () => Promise<T>,
): Promise<T> {
  const [current] = await queryRows(connection, "SELECT current_setting('disabled_optimizers') AS value");
  const before = String(current?.value ?? "");
  const list = [...before.split(",").filter((name) => name.trim() !== ""), optimizer].join(",");
  await connection.run(`SET disabled_optimizers = ${quoteLiteral(list)}`);
  try {
    return await body();
  } finally {
    await connection.run(`SET disabled_optimizers = ${quoteLiteral(before)}`);
  }
}

function servedOptions(
  offline: DuckdbOfflineStore,
  options: PointInTimeOptions,
):
  | {
      maxClockSkewMs: number;
      stored: Map<string, AnySource>;
      ttls: Map<string, number | undefined>;
      definitions: readonly AnySource[];
    }
  | undefined {
  const asServed = options.asServed;
  if (asServed === undefined || asServed === false) return undefined;
  if (asServed !== true && (typeof asServed !== "object" || asServed === null))
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      "pointInTime asServed must be true or { maxClockSkew?, definitions? }.",
      {},
    );
  if (options.excludeLateWrites === false)
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      "pointInTime: asServed shows what the online store held at each moment, so rows written later cannot be included; drop excludeLateWrites: false, or asServed.",
      {},
    );
  const settings = asServed === true ? {} : asServed;
  const maxClockSkewMs =
    settings.maxClockSkew === undefined
      ? 60_000
      : parseDuration(settings.maxClockSkew, "asServed.maxClockSkew");
  const definitions = settings.definitions ?? [...offline.sources.values()];
  const stored = new Map<string, AnySource>();
  for (const source of definitions)
    if (source.tier === "batch" || source.tier === "stream") stored.set(source.name, source);
  return { maxClockSkewMs, stored, ttls: entityTtls(definitions), definitions };
}

function planSources(offline: DuckdbOfflineStore, options: PointInTimeOptions): Plan[] {
  const references =
    options.sources ?? [...offline.sources.values()].filter((source) => source.tier !== "vector");
  if (references.length === 0) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      "pointInTime: no sources to retrieve; pass { sources } or register definitions with the offline store.",
      {},
    );
  }
  const seen = new Set<string>();
  return references.map((reference) => {
    const source = offline.source(reference);
    if (source.tier === "vector") {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `pointInTime: "${source.name}" is a vector source; the offline store keeps no history of vector indexes, so it has no point-in-time value. Leave it out.`,
        { source: source.name },
      );
    }
    if (seen.has(source.name))
      throw new CtxError("CTX_INVALID_REQUEST", `pointInTime: source "${source.name}" is listed twice.`, {
        source: source.name,
      });
    seen.add(source.name);
    return { source, entity: source.entity as Entity, maxAgeMs: maxAgeFor(source, options.maxAge) };
  });
}

function maxAgeFor(source: AnySource, override: PointInTimeOptions["maxAge"]): number | undefined {
  if (override !== undefined && (typeof override === "number" || typeof override === "string")) {
    return parseDuration(override, "pointInTime maxAge");
  }
  const named = override?.[source.name];
  if (named !== undefined) return parseDuration(named, `pointInTime maxAge of "${source.name}"`);
  if (source.maxAgeMs !== undefined) return source.maxAgeMs;
  return source.tier === "realtime" ? REALTIME_DEFAULT_MAX_AGE_MS : undefined;
}

function historyOf(source: AnySource, alias?: string): string {
  if (alias === undefined)
    return `${HISTORY_TABLE} WHERE source = ${quoteLiteral(source.name)} AND schema_version = ${source.version}`;
  // With an alias: the history rows joined with their realtime outcomes (as "o").
  return `${HISTORY_TABLE} ${alias} LEFT JOIN ${REALTIME_OUTCOMES_TABLE} o ON o.seq = ${alias}.seq
    WHERE ${alias}.source = ${quoteLiteral(source.name)} AND ${alias}.schema_version = ${source.version}`;
}

/** A recorded realtime lookup that gave no fact is a history row with no value that is not empty. */
const STATUS_SQL = (ts: string, maxAge: string, h: string, served = false) => `CASE WHEN no_key THEN 'skipped'
           WHEN ${h}.seq IS NULL THEN 'missing'
           WHEN ${maxAge} IS NOT NULL AND ${ts} - ${served ? knownAtSql(h, ts) : `${h}.event_time`} > ${maxAge} THEN 'stale'
           WHEN ${h}.is_empty THEN 'empty'
           WHEN ${h}.value IS NULL THEN coalesce(${h}.outcome_status, 'error')
           ELSE 'ok' END`;

/** Serving's freshness: a value was known at the earlier of its event and write times, never after t. */
function knownAtSql(h: string, ts: string): string {
  return `least(${h}.event_time, ${h}.write_time, ${ts})`;
}

/** The outcome columns of a history relation `h` joined with the realtime outcomes as `o`. */
const OUTCOME_COLUMNS =
  "o.status AS outcome_status, o.reason AS outcome_reason, o.fallback_value, o.fallback_event_time";
const OUTCOME_SELECT = "h.outcome_reason, h.fallback_value, h.fallback_event_time";

/**
 * One ASOF match per label for a batch/realtime source: the history row known at t, or none.
 * Late writes included: ties on event time go to the later write, then the later insertion — the
 * struct orders all three inside the join, which carries the value along (no second join).
 */
function valueRowsSql(labels: StagedLabels, plan: Plan): string {
  const key = quoteIdentifier(keyColumn(plan.entity.name));
  const tenant = tenantJoin(labels);
  const maxAge = `${plan.maxAgeMs ?? "NULL"}::BIGINT`;
  return `SELECT label_row, ${quoteLiteral(plan.source.name)} AS source, ${plan.source.version} AS schema_version, ${STATUS_SQL("l.ts", maxAge, "h")} AS status,
      h.event_time, h.write_time, l.ts - h.event_time AS age_ms, h.value, h.is_empty, h.empty_reason, ${OUTCOME_SELECT},
      NULL::BIGINT AS watermark, CASE WHEN h.seq IS NULL THEN []::BIGINT[] ELSE [h.seq] END AS seqs
    FROM (SELECT ctx_row AS label_row, ctx_ts AS ts, ${key} AS entity_key, ${key} IS NULL AS no_key${tenant.select("ctx_tenant")} FROM ${labels.table}) l
    ASOF LEFT JOIN (SELECT h.entity_key, h.seq, h.event_time, h.write_time, h.value, h.is_empty, h.empty_reason, ${OUTCOME_COLUMNS}, {e: h.event_time, w: h.write_time, s: h.seq} AS ord${tenant.select("h.tenant")}
                    FROM ${historyOf(plan.source, "h")}) h
      ON l.entity_key = h.entity_key${tenant.match("l", "h")} AND {e: l.ts, w: ${MAX_BIGINT}, s: ${MAX_BIGINT}} >= h.ord`;
}

/**
 * Late writes excluded: a row is visible at t once both its event time and its write time are
 * <= t. Ordered by that moment, the running maximum of (event time, write time, seq) is the answer
 * for every t from there on, so one ASOF JOIN on the visibility moment finds it.
 */
function visibleMatchSql(labels: StagedLabels, plan: Plan, view: ServedView | undefined): string {
  const key = quoteIdentifier(keyColumn(plan.entity.name));
  const tenant = tenantJoin(labels);
  const head = `SELECT l.label_row, l.ts, l.entity_key IS NULL AS no_key, ${quoteLiteral(plan.source.name)} AS source, ${plan.source.version} AS schema_version,
      ${plan.maxAgeMs ?? "NULL"}::BIGINT AS max_age, h.best.s AS seq`;
  if (view && plan.source.tier !== "realtime") {
    // As served: only rows written in the entity's life current at t, visible from their write.
    return `${head}
    FROM (SELECT ctx_row AS label_row, ctx_ts AS ts, ${key} AS entity_key, v.life${tenant.select("ctx_tenant")}
          FROM ${labels.table} LEFT JOIN ${view.labelLives} v ON v.label_row = ctx_row AND v.entity = ${quoteLiteral(plan.entity.name)}) l
    ASOF LEFT JOIN (
      SELECT h.entity_key, w.life, ${visibleFromSql("h", "w", view.maxClockSkewMs)} AS visible_from${tenant.select("h.tenant")},
             max({e: h.event_time, w: h.write_time, s: h.seq}) OVER (PARTITION BY ${tenant.partition("h")}h.entity_key, w.life ORDER BY ${visibleFromSql("h", "w", view.maxClockSkewMs)}) AS best
      FROM ${HISTORY_TABLE} h JOIN ${view.writes} w ON w.seq = h.seq
      WHERE h.source = ${quoteLiteral(plan.source.name)} AND h.schema_version = ${plan.source.version}) h
    ON l.entity_key = h.entity_key${tenant.match("l", "h")} AND l.life = h.life AND l.ts >= h.visible_from`;
  }
  return `${head}
    FROM (SELECT ctx_row AS label_row, ctx_ts AS ts, ${key} AS entity_key${tenant.select("ctx_tenant")} FROM ${labels.table}) l ASOF LEFT JOIN (
      SELECT entity_key, greatest(event_time, write_time) AS visible_from${tenant.select("tenant")},
             max({e: event_time, w: write_time, s: seq}) OVER (PARTITION BY ${tenant.partition()}entity_key ORDER BY greatest(event_time, write_time)) AS best
      FROM ${historyOf(plan.source)}) h
    ON l.entity_key = h.entity_key${tenant.match("l", "h")} AND l.ts >= h.visible_from`;
}

function createSql(
  table: string,
  labels: StagedLabels,
  plans: readonly Plan[],
  excludeLateWrites: boolean,
  view: ServedView | undefined,
): string {
  const valuePlans = plans.filter((plan) => plan.source.tier !== "stream");
  const columns = `label_row BIGINT, source VARCHAR, schema_version INTEGER, status VARCHAR, event_time BIGINT, write_time BIGINT, age_ms BIGINT,
    value JSON, is_empty BOOLEAN, empty_reason VARCHAR, outcome_reason VARCHAR, fallback_value JSON, fallback_event_time BIGINT, watermark BIGINT, seqs BIGINT[]`;
  if (valuePlans.length === 0) return `CREATE TEMP TABLE ${table} (${columns})`;
  if (!excludeLateWrites) {
    return `CREATE TEMP TABLE ${table} AS ${valuePlans.map((plan) => valueRowsSql(labels, plan)).join("\nUNION ALL\n")}`;
  }
  const matches = valuePlans.map((plan) => visibleMatchSql(labels, plan, view)).join("\nUNION ALL\n");
  const served = view !== undefined;
  return `CREATE TEMP TABLE ${table} AS
    WITH m AS (${matches})
    SELECT m.label_row, m.source, m.schema_version, ${STATUS_SQL("m.ts", "m.max_age", "h", served)} AS status,
      h.event_time, h.write_time, m.ts - ${served ? knownAtSql("h", "m.ts") : "h.event_time"} AS age_ms, h.value, h.is_empty, h.empty_reason, ${OUTCOME_SELECT},
      NULL::BIGINT AS watermark, CASE WHEN h.seq IS NULL THEN []::BIGINT[] ELSE [h.seq] END AS seqs
    FROM m LEFT JOIN (SELECT h.*, ${OUTCOME_COLUMNS} FROM ${HISTORY_TABLE} h LEFT JOIN ${REALTIME_OUTCOMES_TABLE} o ON o.seq = h.seq) h ON h.seq = m.seq`;
}

/** A stream source's window at t: the newest N events known at t, plus the ingest watermark known at t. */
function streamSql(
  table: string,
  labels: StagedLabels,
  plan: Plan,
  excludeLateWrites: boolean,
  view: ServedView | undefined,
): string {
  const source = plan.source;
  const window = source.tier === "stream" ? source.window : 1;
  const key = quoteIdentifier(keyColumn(plan.entity.name));
  const tenant = tenantJoin(labels);
  const maxAge = `${plan.maxAgeMs ?? "NULL"}::BIGINT`;
  const watermarks = `${WATERMARK_TABLE} WHERE source = ${quoteLiteral(source.name)} AND schema_version = ${source.version}`;
  const where = `h.source = ${quoteLiteral(source.name)} AND h.schema_version = ${source.version}`;
  // Window order: as served, the online store's own (event time, then event id); otherwise by
  // event time, write time and insertion.
  const order = (direction: string) =>
    view
      ? `event_time ${direction}, event_id ${direction}`
      : `event_time ${direction}, write_time ${direction}, seq ${direction}`;
  // Ingest watermarks are per source, as in the online store (one pipeline confirms every tenant),
  // so on a multi-tenant store a label of a tenant the history has never seen reads `missing`
  // whatever the watermark says: a wrong tenant id must not look like "no events" (tenant_known).
  const knownTenant =
    labels.knownTenants === undefined
      ? ""
      : `, ctx_tenant IN (SELECT tenant FROM ${labels.knownTenants}) AS tenant_known`;
  let labelsSql = `SELECT ctx_row AS label_row, ctx_ts AS ts, ${key} AS entity_key${tenant.select("ctx_tenant")}${knownTenant} FROM ${labels.table}`;
  let events: string;
  let watermarkJoin: string;
  /** SQL over `joined` (newest: struct of the newest event; watermark): the moment the window was known fresh. */
  let freshness: string;
  let noEvidence: string;
  if (view) {
    // As served: events of the entity's current life, visible from their write; a watermark counts
    // as serving counts it (ignored beyond maxClockSkew ahead of t, otherwise at most t).
    const skew = view.maxClockSkewMs;
    labelsSql = `SELECT ctx_row AS label_row, ctx_ts AS ts, ${key} AS entity_key, v.life${tenant.select("ctx_tenant")}${knownTenant} FROM ${labels.table}
      LEFT JOIN ${view.labelLives} v ON v.label_row = ctx_row AND v.entity = ${quoteLiteral(plan.entity.name)}`;
    events = `FROM l JOIN (SELECT h.*, w.life, ${visibleFromSql("h", "w", skew)} AS visible_from FROM ${HISTORY_TABLE} h JOIN ${view.writes} w ON w.seq = h.seq WHERE ${where}) h
        ON h.entity_key = l.entity_key${tenant.match("h", "l")} AND h.life = l.life AND h.visible_from <= l.ts`;
    watermarkJoin = `ASOF LEFT JOIN (SELECT greatest(write_time, time - ${skew}) AS visible_from, max(time) OVER (ORDER BY greatest(write_time, time - ${skew})) AS time FROM ${watermarks}) w ON l.ts >= w.visible_from`;
    const confirmed = `CASE WHEN watermark - ts > ${skew} THEN NULL ELSE least(watermark, ts) END`;
    const known = "least(newest.e, newest.w, ts)";
    freshness = `CASE WHEN newest IS NULL THEN ${confirmed} WHEN ${confirmed} IS NULL THEN ${known} ELSE greatest(${confirmed}, ${known}) END`;
    noEvidence = `events IS NULL AND (watermark IS NULL OR watermark - ts > ${skew})`;
  } else {
    const late = excludeLateWrites ? " AND h.write_time <= l.ts" : "";
    events = `FROM l JOIN (SELECT * FROM ${historyOf(source)}) h ON h.entity_key = l.entity_key${tenant.match("h", "l")} AND h.event_time <= l.ts${late}`;
    watermarkJoin = excludeLateWrites
      ? `ASOF LEFT JOIN (SELECT greatest(time, write_time) AS visible_from, max(time) OVER (ORDER BY greatest(time, write_time)) AS time FROM ${watermarks}) w ON l.ts >= w.visible_from`
      : `ASOF LEFT JOIN (SELECT time FROM ${watermarks}) w ON l.ts >= w.time`;
    freshness =
      "CASE WHEN watermark IS NULL THEN newest.e WHEN newest IS NULL THEN watermark ELSE greatest(watermark, newest.e) END";
    noEvidence = "events IS NULL AND watermark IS NULL";
  }
  return `INSERT INTO ${table}
    WITH l AS (${labelsSql}),
    visible AS (
      SELECT l.label_row, h.seq, h.event_time, h.write_time, h.value, h.event_id
      ${events}
      QUALIFY row_number() OVER (PARTITION BY l.label_row, h.event_id ORDER BY h.seq) = 1),
    newest AS (
      SELECT * FROM visible
      QUALIFY row_number() OVER (PARTITION BY label_row ORDER BY ${order("DESC")}) <= ${window}),
    windows AS (
      SELECT label_row, list(value ORDER BY ${order("")}) AS events, list(seq ORDER BY ${order("")}) AS seqs,
             max(${view ? "{e: event_time, i: event_id, w: write_time}" : "{e: event_time, w: write_time, s: seq}"}) AS newest
      FROM newest GROUP BY label_row),
    marks AS (SELECT l.label_row, ${knownTenant === "" ? "w.time" : "CASE WHEN l.tenant_known THEN w.time END"} AS watermark FROM l ${watermarkJoin}),
    joined AS (
      SELECT l.label_row, l.ts, l.entity_key IS NULL AS no_key, windows.events, windows.seqs, windows.newest, marks.watermark
      FROM l LEFT JOIN windows USING (label_row) LEFT JOIN marks USING (label_row)),
    fresh AS (SELECT *, ${freshness} AS freshness FROM joined)
    SELECT label_row, ${quoteLiteral(source.name)}, ${source.version},
      CASE WHEN no_key THEN 'skipped'
           WHEN ${noEvidence} THEN 'missing'
           WHEN ${maxAge} IS NOT NULL AND ts - freshness > ${maxAge} THEN 'stale'
           WHEN events IS NULL THEN 'empty'
           ELSE 'ok' END,
      CASE WHEN no_key THEN NULL ELSE freshness END, NULL, CASE WHEN no_key THEN NULL ELSE ts - freshness END,
      CASE WHEN no_key OR events IS NULL THEN NULL ELSE to_json(events) END, NULL, NULL, NULL, NULL, NULL,
      CASE WHEN no_key THEN NULL ELSE watermark END, coalesce(seqs, []::BIGINT[])
    FROM fresh`;
}

function makeResult(
  offline: DuckdbOfflineStore,
  table: string,
  labels: StagedLabels,
  plans: readonly Plan[],
  excludeLateWrites: boolean,
  asServed: boolean,
  counts: Pick<PointInTimeResult, "statusCounts" | "hiddenByLateWrites">,
): PointInTimeResult {
  const sources = plans.map((plan) => plan.source);
  const labelColumnsSql = labels.columns.map((name) => `l.${quoteIdentifier(name)}`).join(", ");
  const keySql = labels.entities
    .map((name) => `l.${quoteIdentifier(keyColumn(name))}, l.${quoteIdentifier(keyJsonColumn(name))}`)
    .join(", ");

  // Reading in label order pages by row number. Sorted copies, made once and only when rows are
  // read in JavaScript, let each page's range filter skip whole row groups instead of scanning.
  let sorted: Promise<{ labels: string; values: string }> | undefined;
  const sortedTables = () => {
    sorted ??= offline.exclusive(async (connection) => {
      const names = { labels: `${labels.table}_sorted`, values: `${table}_sorted` };
      await connection.run(
        `CREATE TEMP TABLE ${names.labels} AS SELECT * FROM ${labels.table} ORDER BY ctx_row`,
      );
      await connection.run(
        `CREATE TEMP TABLE ${names.values} AS SELECT * FROM ${table} ORDER BY label_row, source`,
      );
      return names;
    });
    return sorted;
  };

  async function* rows(options: { pageSize?: number } = {}): AsyncIterable<PointInTimeRow> {
    const pageSize = options.pageSize ?? 5_000;
    const ordered = labels.count > 0 ? await sortedTables() : { labels: labels.table, values: table };
    for (let first = 1; first <= labels.count; first += pageSize) {
      const last = first + pageSize - 1;
      const [labelRows, valueRows] = await offline.exclusive(async (connection) => [
        await readPage(
          connection,
          `SELECT l.ctx_row, l.ctx_ts, l.ctx_tenant${keySql ? `, ${keySql}` : ""}${labelColumnsSql ? `, ${labelColumnsSql}` : ""} FROM ${ordered.labels} l WHERE l.ctx_row BETWEEN ${first} AND ${last} ORDER BY l.ctx_row`,
        ),
        await readPage(
          connection,
          `SELECT * FROM ${ordered.values} WHERE label_row BETWEEN ${first} AND ${last} ORDER BY label_row, source`,
        ),
      ]);
      const valuesByRow = new Map<number, Record<string, PointInTimeValue>>();
      for (const value of valueRows) {
        const row = Number(value.label_row);
        const bucket = valuesByRow.get(row) ?? {};
        bucket[String(value.source)] = toValue(value);
        valuesByRow.set(row, bucket);
      }
      for (const label of labelRows) {
        const row = Number(label.ctx_row);
        const keys: Record<string, string | null> = {};
        const keyJson: Record<string, string | null> = {};
        for (const name of labels.entities) {
          keys[name] = (label[keyColumn(name)] as string | null) ?? null;
          keyJson[name] = (label[keyJsonColumn(name)] as string | null) ?? null;
        }
        let columns: Record<string, unknown> = {};
        if (
          labels.columns.length === 1 &&
          labels.columns[0] === "ctx_payload" &&
          typeof label.ctx_payload === "string"
        ) {
          columns = JSON.parse(label.ctx_payload) as Record<string, unknown>;
        } else {
          for (const name of labels.columns) columns[name] = label[name];
        }
        yield {
          row,
          tenant: labels.multiTenant ? String(label.ctx_tenant) : undefined,
          timestamp: Number(label.ctx_ts),
          keys,
          keyJson,
          columns,
          values: valuesByRow.get(row) ?? {},
        };
      }
    }
  }

  const wideSql = (replace: ValuesFileOptions["replaceValues"]): string => {
    const replaced = new Set(replace?.sources ?? []);
    const structs = sources
      .map(
        (source) =>
          `any_value({status: p.status, value: ${replaced.has(source.name) ? "rv.value" : "p.value"}, empty_reason: p.empty_reason, event_time: make_timestamptz(p.event_time * 1000), age_ms: p.age_ms, schema_version: p.schema_version}) FILTER (WHERE p.source = ${quoteLiteral(source.name)}) AS ${quoteIdentifier(source.name)}`,
      )
      .join(", ");
    const keys = labels.entities.map((name) => `l.${quoteIdentifier(keyColumn(name))}`).join(", ");
    const groupColumns = [
      "l.ctx_row",
      "l.ctx_ts",
      ...(labels.multiTenant ? ["l.ctx_tenant"] : []),
      ...(keys ? [keys] : []),
      ...(labelColumnsSql ? [labelColumnsSql] : []),
    ].join(", ");
    return `SELECT l.ctx_row, make_timestamptz(l.ctx_ts * 1000) AS ctx_timestamp${labels.multiTenant ? ", l.ctx_tenant" : ""}${keys ? `, ${keys}` : ""}${labelColumnsSql ? `, ${labelColumnsSql}` : ""}, ${structs}
      FROM ${labels.table} l LEFT JOIN ${table} p ON p.label_row = l.ctx_row${replace ? ` LEFT JOIN ${replace.table} rv ON rv.label_row = p.label_row AND rv.source = p.source` : ""} GROUP BY ${groupColumns} ORDER BY l.ctx_row`;
  };

  const copyTo = async (path: string, format: string, options: ValuesFileOptions = {}): Promise<void> => {
    const partial = `${path}.partial-${process.pid}-${Date.now()}`;
    await offline.exclusive(async (connection) => {
      try {
        await connection.run(
          `COPY (${wideSql(options.replaceValues)}) TO ${quoteLiteral(partial)} (${format})`,
        );
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true });
        throw new CtxError(
          "CTX_STORE_UNAVAILABLE",
          `Writing point-in-time values to ${JSON.stringify(path)} failed (${(error as Error).message}); nothing was written there.`,
          { path },
          { cause: error },
        );
      }
    });
  };

  return {
    table,
    labels,
    sources,
    excludeLateWrites,
    asServed,
    statusCounts: counts.statusCounts,
    hiddenByLateWrites: counts.hiddenByLateWrites,
    rows,
    async toArray() {
      const all: PointInTimeRow[] = [];
      for await (const row of rows()) all.push(row);
      return all;
    },
    writeParquet: (path, options) => copyTo(path, "FORMAT parquet, COMPRESSION zstd", options),
    writeJsonl: (path, options) => copyTo(path, "FORMAT json", options),
    async drop() {
      await offline.exclusive(async (connection) => {
        await connection.run(`DROP TABLE IF EXISTS ${table}`);
        await connection.run(`DROP TABLE IF EXISTS ${labels.table}`);
        await connection.run(`DROP TABLE IF EXISTS ${table}_sorted`);
        await connection.run(`DROP TABLE IF EXISTS ${labels.table}_sorted`);
        if (labels.knownTenants) await connection.run(`DROP TABLE IF EXISTS ${labels.knownTenants}`);
      });
    },
  };
}

/** Statuses a recorded realtime lookup can have besides a fact (not derived here: stale, missing, skipped). */
function isFailure(status: Status): boolean {
  return status === "timeout" || status === "error" || status === "invalid" || status === "skipped";
}

async function readPage(connection: DuckDBConnection, sql: string): Promise<Row[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS().map(toPlainRow);
}

function toValue(row: Row): PointInTimeValue {
  const status = String(row.status) as Status;
  const seqs = Array.isArray(row.seqs) ? (row.seqs as unknown[]).map(Number) : [];
  const hasValue = (status === "ok" || status === "stale") && row.value !== null && row.value !== undefined;
  return {
    status,
    schemaVersion: Number(row.schema_version),
    seqs,
    ...(hasValue ? { value: JSON.parse(String(row.value)) } : {}),
    ...(status === "empty" && row.empty_reason !== null && row.empty_reason !== undefined
      ? { emptyReason: String(row.empty_reason) }
      : {}),
    ...(isFailure(status) && row.outcome_reason !== null && row.outcome_reason !== undefined
      ? { reason: String(row.outcome_reason) }
      : {}),
    ...(isFailure(status) && row.fallback_value !== null && row.fallback_value !== undefined
      ? {
          fallback: {
            value: JSON.parse(String(row.fallback_value)),
            eventTime: Number(row.fallback_event_time),
          },
        }
      : {}),
    ...(row.event_time === null || row.event_time === undefined
      ? {}
      : { eventTime: Number(row.event_time), ageMs: Number(row.age_ms) }),
    ...(row.write_time === null || row.write_time === undefined ? {} : { writeTime: Number(row.write_time) }),
    ...(row.watermark === null || row.watermark === undefined ? {} : { watermark: Number(row.watermark) }),
  };
}
