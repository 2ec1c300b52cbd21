// Planning one source of a materialization run: the rows since the stored watermark (scoped to the
// run's tenant), the candidate values staged in a temp table, their zero-like flags, and the
// phantom-zero guard's verdict on the state they would leave online. Nothing is written here.
import type { AnySource } from "@ctxstore/core";
import {
  countBatchRun,
  ensureGuardTables,
  judge,
  type ResolvedGuard,
  type RunCounts,
  referenceShare,
  stateJoinSql,
} from "./guard.js";
import { uniqueName } from "./labels.js";
import {
  type DuckdbOfflineStore,
  HISTORY_TABLE,
  MATERIALIZATION_TABLE,
  WATERMARK_TABLE,
} from "./offline-store.js";
import { queryRows, quoteLiteral } from "./sql.js";
import { boundValues, tenantCondition } from "./tenancy.js";
import { fieldsZeroSql, markZeroLike, zeroSql } from "./zero-like.js";

/** Candidate rows read (and zero-like flags computed in JavaScript) per page. */
export const PAGE_ROWS = 10_000;

export interface SourcePlan {
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

export async function planSource(
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
