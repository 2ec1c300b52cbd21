// The history as the online store held it at each label's moment ("as served"): what training
// renders need so that a dataset's prompt equals what serving showed, byte for byte.
//
// Two rules, both the online store's own:
// - Visibility. A row is in the online store from its write (the moment the online store took it,
//   which the log keeps: a write may carry an earlier writeTime); its event time may run ahead of the
//   writer's clock by up to maxClockSkew (the write path refuses more, see createContextStore), so a
//   row is visible from greatest(write_time, event_time - maxClockSkew): from its write for every
//   row serving recorded. Freshness is then measured as serving measures it: from the earlier of
//   the event and write times, never from a time after the label's moment.
// - Expiry. All of an entity's records share one expiry: each applied write moves it to at least
//   write time + the TTL that write carried (never earlier), a write refused as older leaves it, and
//   a write that finds it passed starts the entity afresh (everything stored before is gone). The
//   offline store holds every write, so this is replayed exactly: the entity's writes, in order,
//   are numbered into "lives" (a new one starts at a write made at or after the running expiry), a
//   label sees only rows written in the life current at its moment, and none once that life has
//   expired. The TTL and the applied flag of each write come from the online-write log
//   (withOfflineRecording keeps it); a row without a log entry (loaded, or recorded directly) counts
//   as an applied write carrying the TTL its definitions give the entity.
import type { AnySource, Entity } from "@ctxstore/core";
import type { StagedLabels } from "./labels.js";
import { keyColumn, tenantJoin } from "./labels.js";
import { HISTORY_TABLE } from "./offline-store.js";
import { ONLINE_WRITES_TABLE } from "./online-log.js";
import { quoteIdentifier, quoteLiteral } from "./sql.js";

/**
 * The TTL the online store puts on an entity's records, as createContextStore derives it from its
 * definitions: the longest bound over the entity's batch sources (twice their maxAge) and stream
 * sources (their retention); undefined (no expiry) when any of them has no bound.
 */
export function entityTtls(sources: Iterable<AnySource>): Map<string, number | undefined> {
  const longest = new Map<string, number | undefined>();
  for (const source of sources) {
    const entity = source.entity as Entity | undefined;
    if (!entity || (source.tier !== "batch" && source.tier !== "stream")) continue;
    const bound =
      source.tier === "batch"
        ? source.maxAgeMs === undefined
          ? undefined
          : source.maxAgeMs * 2
        : source.retentionMs;
    if (longest.has(entity.name) && longest.get(entity.name) === undefined) continue;
    longest.set(
      entity.name,
      bound === undefined ? undefined : Math.max(longest.get(entity.name) ?? 0, bound),
    );
  }
  return longest;
}

export interface ServedView {
  readonly maxClockSkewMs: number;
  /** Temp table: seq, entity, entity_key, written_at, life (the life each online write belongs to), expiry. */
  readonly writes: string;
  /** Temp table: label_row, entity, life (NULL: nothing online for the entity at the label's moment). */
  readonly labelLives: string;
}

/**
 * SQL creating the two tables of a served view for the labels' entities. `stored` are the batch and
 * stream sources (by name) whose unlogged rows count as online writes.
 */
export function servedViewSql(
  view: ServedView,
  labels: StagedLabels,
  stored: ReadonlyMap<string, AnySource>,
  ttls: ReadonlyMap<string, number | undefined>,
): string[] {
  const names = [...stored.keys()].map(quoteLiteral).join(", ") || "NULL";
  const defaultTtl = `CASE h.entity ${[...ttls]
    .map(
      ([entity, ttl]) => `WHEN ${quoteLiteral(entity)} THEN ${ttl === undefined ? "NULL" : Math.ceil(ttl)}`,
    )
    .join(" ")} ELSE NULL END`;
  const entities = labels.entities.map(quoteLiteral).join(", ") || "NULL";
  // Multi-tenant: each tenant's records of a key are their own in the online store, expiry included.
  const tenant = tenantJoin(labels);
  const byEntity = `PARTITION BY ${tenant.partition()}entity, entity_key`;
  const writes = `CREATE TEMP TABLE ${view.writes} AS
    WITH w AS (
      SELECT h.seq, h.entity, h.entity_key${tenant.select("h.tenant")}, coalesce(o.written_at, h.write_time) AS written_at,
             coalesce(o.applied, true) AS applied,
             CASE WHEN o.seq IS NOT NULL THEN o.ttl_ms ELSE ${defaultTtl} END AS ttl
      FROM ${HISTORY_TABLE} h LEFT JOIN ${ONLINE_WRITES_TABLE} o ON o.seq = h.seq
      WHERE h.entity IN (${entities}) AND (o.seq IS NOT NULL OR h.source IN (${names}))),
    ends AS (
      SELECT *, CASE WHEN applied AND ttl IS NOT NULL THEN written_at + ttl END AS ends_at,
             max(CASE WHEN applied AND ttl IS NOT NULL THEN written_at + ttl END) OVER (
               ${byEntity} ORDER BY written_at, seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS expiry_before,
             row_number() OVER (${byEntity} ORDER BY written_at, seq) AS n
      FROM w)
    SELECT seq, entity, entity_key${tenant.select("tenant")}, written_at,
           sum(CASE WHEN n = 1 OR (applied AND expiry_before IS NOT NULL AND expiry_before <= written_at) THEN 1 ELSE 0 END) OVER (
             ${byEntity} ORDER BY written_at, seq ROWS UNBOUNDED PRECEDING)::BIGINT AS life,
           max(ends_at) OVER (${byEntity} ORDER BY written_at, seq ROWS UNBOUNDED PRECEDING) AS expiry
    FROM ends`;
  const perEntity = labels.entities.map(
    (entity) => `SELECT l.ctx_row AS label_row, ${quoteLiteral(entity)} AS entity,
        CASE WHEN w.expiry IS NOT NULL AND w.expiry <= l.ctx_ts THEN NULL ELSE w.life END AS life
      FROM (SELECT ctx_row, ctx_ts, ${quoteIdentifier(keyColumn(entity))} AS entity_key${tenant.select("ctx_tenant")} FROM ${labels.table}) l
      ASOF LEFT JOIN (SELECT entity_key${tenant.select("tenant")}, {a: written_at, s: seq} AS ord, life, expiry FROM ${view.writes} WHERE entity = ${quoteLiteral(entity)}) w
        ON l.entity_key = w.entity_key${tenant.match("l", "w")} AND {a: l.ctx_ts, s: 9223372036854775807::BIGINT} >= w.ord`,
  );
  const lives =
    perEntity.length === 0
      ? `CREATE TEMP TABLE ${view.labelLives} (label_row BIGINT, entity VARCHAR, life BIGINT)`
      : `CREATE TEMP TABLE ${view.labelLives} AS ${perEntity.join(" UNION ALL ")}`;
  return [writes, lives];
}

/**
 * SQL: the moment from which a history row `h` is visible under the served view, `w` being its row
 * in the view's writes table (written_at: when the online store took it).
 */
export function visibleFromSql(h: string, w: string, maxClockSkewMs: number): string {
  return `greatest(${w}.written_at, ${h}.event_time - ${maxClockSkewMs})`;
}
