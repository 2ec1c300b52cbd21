// The phantom-zero guard's rule: given what a materialization run would publish, hold it or not.
//
// A run is judged on the state it would produce, not on its own values alone:
// - the state share: the zero-like share across every entity of the source the online store holds
//   after the run (published values kept from earlier runs, plus this run's), so a small
//   incremental run neither hides a wave (twenty small all-zero runs add up) nor causes a false
//   hold (60 changed entities with 10 zeros are 1% of the source, not 17%);
// - the changed share: the zero-like share among the run's values for entities that already had a
//   published value (a broken incremental join zeroes most of what it touches; brand-new entities
//   are not counted, a new customer is legitimately empty).
// Against a reference that bad runs do not move: the median state share of the last `baselineRuns`
// reference runs. A reference run is a published run the guard judged and passed with at least
// `minValues` values; a forced run, or one published with the guard off, is not one, unless the
// caller passes `resetReference` (then it becomes the only reference). An absolute `ceiling` holds a
// state above it whatever the reference, first runs included, unless the accepted reference is
// itself above the ceiling.
import type { AnySource } from "@ctxstore/core";
import { CtxError } from "@ctxstore/core";
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryRows, quoteLiteral } from "./sql.js";
import { addTenantColumn, boundValues, NO_TENANT, tenantCondition } from "./tenancy.js";

/** Per-source guard settings: the zero-like rule, and any of the thresholds. */
export interface SourceGuard {
  /**
   * The source's informative fields (dot paths, e.g. `["orders", "stats.spend"]`): a value is
   * zero-like when every one of them is (absent counts as zero-like), whatever its other fields hold.
   */
  fields?: readonly string[];
  /**
   * Decides zero-likeness in JavaScript instead of the default rule: called with each candidate value
   * (`empty()` for a positive empty), as the write path sees it. Slower than the SQL rule (each run
   * reads its candidates one extra time).
   */
  isZeroLike?: (value: unknown) => boolean;
  threshold?: number;
  changedThreshold?: number;
  ceiling?: number;
  minValues?: number;
  baselineRuns?: number;
}

/**
 * The phantom-zero guard of `materialize`: a source whose share of zero-like values (or of changed
 * values) rises too far above its recent runs, or above a ceiling, is held back and reported instead
 * of being published over good values. Shares are 0..1.
 */
export interface PhantomZeroGuard {
  /** Largest allowed rise of the state share over the reference (0..1). Default 0.1 (ten points). */
  threshold?: number;
  /** Largest allowed rise of the changed share (existing entities the run changes) over the reference. Default 0.5. */
  changedThreshold?: number;
  /** A state share above this is held whatever the reference, first runs included. Default 0.5. */
  ceiling?: number;
  /** Shares are judged once they cover at least this many values; smaller runs never become the reference. Default 50. */
  minValues?: number;
  /** Reference runs whose median state share is the reference. Default 5. */
  baselineRuns?: number;
  /**
   * What a held run does: `"hold-all"` (default) publishes nothing of it; `"publish-non-zero"`
   * publishes its values that are not zero-like and holds the rest (the report counts both).
   */
  onHold?: "hold-all" | "publish-non-zero";
  /** Settings by source name; `false` turns the guard off for that source. */
  sources?: Readonly<Record<string, SourceGuard | false>>;
}

export interface ResolvedGuard {
  readonly threshold: number;
  readonly changedThreshold: number;
  readonly ceiling: number;
  readonly minValues: number;
  readonly baselineRuns: number;
  readonly onHold: "hold-all" | "publish-non-zero";
  readonly fields: readonly string[] | undefined;
  readonly isZeroLike: ((value: unknown) => boolean) | undefined;
}

/** The guard settings for one source, or undefined when it is off. Throws CTX_CONFIG on bad settings. */
export function resolveGuard(
  guard: PhantomZeroGuard | false | undefined,
  source: AnySource,
): ResolvedGuard | undefined {
  if (guard === false) return undefined;
  if (guard !== undefined && (typeof guard !== "object" || guard === null))
    throw new CtxError("CTX_CONFIG", "materialize guard must be an object of settings, or false.", {});
  const own = guard?.sources?.[source.name];
  if (own === false) return undefined;
  const share = (name: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !(value >= 0 && value <= 1))
      throw new CtxError(
        "CTX_CONFIG",
        `materialize guard ${name} must be a share between 0 and 1 (0.1 = ten points); got ${String(value)}.`,
        { source: source.name },
      );
    return value;
  };
  const count = (name: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
      throw new CtxError(
        "CTX_CONFIG",
        `materialize guard ${name} must be a positive whole number; got ${String(value)}.`,
        { source: source.name },
      );
    return value;
  };
  const onHold = guard?.onHold ?? "hold-all";
  if (onHold !== "hold-all" && onHold !== "publish-non-zero")
    throw new CtxError(
      "CTX_CONFIG",
      `materialize guard onHold must be "hold-all" or "publish-non-zero"; got ${JSON.stringify(onHold)}.`,
      {},
    );
  if (own !== undefined && (typeof own !== "object" || own === null))
    throw new CtxError(
      "CTX_CONFIG",
      `materialize guard.sources.${source.name} must be an object of settings, or false.`,
      { source: source.name },
    );
  const fields = own?.fields;
  if (
    fields !== undefined &&
    (!Array.isArray(fields) ||
      fields.length === 0 ||
      fields.some((field) => typeof field !== "string" || field === "" || field.split(".").includes("")))
  )
    throw new CtxError(
      "CTX_CONFIG",
      `materialize guard.sources.${source.name}.fields must be a non-empty list of field paths ("orders", "stats.spend").`,
      { source: source.name },
    );
  if (own?.isZeroLike !== undefined && typeof own.isZeroLike !== "function")
    throw new CtxError(
      "CTX_CONFIG",
      `materialize guard.sources.${source.name}.isZeroLike must be a function (value) => boolean.`,
      { source: source.name },
    );
  if (fields !== undefined && own?.isZeroLike !== undefined)
    throw new CtxError(
      "CTX_CONFIG",
      `materialize guard.sources.${source.name}: give fields or isZeroLike, not both (isZeroLike can read the fields itself).`,
      { source: source.name },
    );
  return {
    threshold: share("threshold", own?.threshold ?? guard?.threshold, 0.1),
    changedThreshold: share("changedThreshold", own?.changedThreshold ?? guard?.changedThreshold, 0.5),
    ceiling: share("ceiling", own?.ceiling ?? guard?.ceiling, 0.5),
    minValues: count("minValues", own?.minValues ?? guard?.minValues, 50),
    baselineRuns: count("baselineRuns", own?.baselineRuns ?? guard?.baselineRuns, 5),
    onHold,
    fields,
    isZeroLike: own?.isZeroLike,
  };
}

/** What a run would publish, counted. */
export interface RunCounts {
  /** The run's values, and how many are zero-like. */
  readonly runValues: number;
  readonly runZeros: number;
  /** Of the run's values, those for entities that already had a published value (batch sources). */
  readonly changedValues: number;
  readonly changedZeros: number;
  /** The source's published entities after the run, and how many hold a zero-like value (batch sources). */
  readonly stateValues: number;
  readonly stateZeros: number;
}

export interface Verdict {
  readonly hold: boolean;
  /** The share the reference is compared with: the state share (batch) or the run's share (stream). */
  readonly share: number | undefined;
  readonly changedShare: number | undefined;
  readonly reasons: readonly string[];
  /** Whether a published run of these counts may serve as a reference. */
  readonly referenceEligible: boolean;
}

/** The guard's decision for one run (pure: the tables only supply the counts and the reference). */
export function judge(
  counts: RunCounts,
  reference: number | undefined,
  guard: ResolvedGuard,
  tier: "batch" | "stream",
): Verdict {
  const judged =
    tier === "batch"
      ? { values: counts.stateValues, zeros: counts.stateZeros }
      : { values: counts.runValues, zeros: counts.runZeros };
  const share = judged.values > 0 ? judged.zeros / judged.values : undefined;
  const changedShare = counts.changedValues > 0 ? counts.changedZeros / counts.changedValues : undefined;
  const reasons: string[] = [];
  const what =
    tier === "batch" ? "share of zero-like values across the source's entities" : "zero-like share";
  if (share !== undefined && judged.values >= guard.minValues) {
    if (reference !== undefined && share - reference > guard.threshold) {
      reasons.push(
        `the ${what} would rise from ${percent(reference)} (the reference) to ${percent(share)}, more than ${percent(guard.threshold)} points`,
      );
    }
    if (share > guard.ceiling && (reference === undefined || reference <= guard.ceiling)) {
      reasons.push(
        `the ${what} would be ${percent(share)}, above the ceiling of ${percent(guard.ceiling)}${reference === undefined ? " (no reference run yet)" : ""}`,
      );
    }
  }
  if (
    changedShare !== undefined &&
    counts.changedValues >= guard.minValues &&
    changedShare - (reference ?? 0) > guard.changedThreshold
  ) {
    reasons.push(
      `${percent(changedShare)} of the ${counts.changedValues} existing entities this run changes would turn zero-like, more than ${percent(guard.changedThreshold)} points over the reference of ${percent(reference ?? 0)}`,
    );
  }
  return {
    hold: reasons.length > 0,
    share,
    changedShare,
    reasons,
    referenceEligible: counts.runValues >= guard.minValues,
  };
}

/** The median of the shares (undefined for none). */
export function median(shares: readonly number[]): number | undefined {
  if (shares.length === 0) return undefined;
  const sorted = [...shares].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/**
 * Per (target, source, version, entity): whether the value the online store holds is zero-like. The
 * entity is kept as hash(entity_key) (64 bits: joins on it cost a fraction of joins on the text; a
 * collision among a billion entities has a chance of about 3 in 100,000, and would only miscount one).
 */
export const GUARD_STATE_TABLE = "ctx_guard_state";
/** Per run and source: the counts the guard judged, and whether the run is a reference. */
export const GUARD_RUNS_TABLE = "ctx_guard_runs";

const GUARD_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS ${GUARD_STATE_TABLE} (
  target VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  schema_version INTEGER NOT NULL,
  key_hash UBIGINT NOT NULL,
  zero BOOLEAN NOT NULL,
  tenant VARCHAR NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS ${GUARD_RUNS_TABLE} (
  run_id VARCHAR NOT NULL,
  target VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  schema_version INTEGER NOT NULL,
  status VARCHAR NOT NULL,
  run_values BIGINT NOT NULL,
  run_zeros BIGINT NOT NULL,
  changed_values BIGINT NOT NULL,
  changed_zeros BIGINT NOT NULL,
  state_values BIGINT NOT NULL,
  state_zeros BIGINT NOT NULL,
  share DOUBLE,
  reference BOOLEAN NOT NULL,
  reset_reference BOOLEAN NOT NULL,
  finished_at BIGINT NOT NULL,
  tenant VARCHAR NOT NULL DEFAULT ''
);`;

// Connections whose guard tables are known to exist with their tenant column.
const prepared = new WeakSet<DuckDBConnection>();

export async function ensureGuardTables(connection: DuckDBConnection): Promise<void> {
  if (prepared.has(connection)) return;
  await connection.run(GUARD_SCHEMA_SQL);
  await addTenantColumn(connection, [GUARD_STATE_TABLE, GUARD_RUNS_TABLE]);
  prepared.add(connection);
}

/** The rows of one (target, source version) and, on a multi-tenant store, one tenant (bound as $tenant). */
function sourceWhere(target: string, source: AnySource, tenant: string | undefined): string {
  return `target = ${quoteLiteral(target)} AND source = ${quoteLiteral(source.name)} AND schema_version = ${source.version}${tenantCondition(tenant).sql}`;
}

/** The reference share: the median share of the last reference runs since the last reset. */
export async function referenceShare(
  connection: DuckDBConnection,
  target: string,
  source: AnySource,
  baselineRuns: number,
  tenant: string | undefined,
): Promise<number | undefined> {
  const where = sourceWhere(target, source, tenant);
  const rows = await queryRows(
    connection,
    `SELECT share FROM ${GUARD_RUNS_TABLE}
     WHERE ${where} AND reference AND share IS NOT NULL
       AND rowid >= coalesce((SELECT max(rowid) FROM ${GUARD_RUNS_TABLE} WHERE ${where} AND reset_reference), 0)
     ORDER BY rowid DESC LIMIT ${baselineRuns}`,
    boundValues(tenantCondition(tenant).params),
  );
  return median(rows.map((row) => Number(row.share)));
}

/**
 * SQL: the candidates' join with the state, adding was_zero (NULL for an entity new to the state).
 * On a multi-tenant store it uses $tenant, which the statement binds.
 */
export function stateJoinSql(target: string, source: AnySource, tenant: string | undefined): string {
  return `LEFT JOIN (SELECT key_hash, zero AS was_zero FROM ${GUARD_STATE_TABLE} WHERE ${sourceWhere(target, source, tenant)}) state
    ON state.key_hash = hash(entity_key)`;
}

/** Counts a batch run: `candidates` has is_zero and was_zero (see stateJoinSql) per value. */
export async function countBatchRun(
  connection: DuckDBConnection,
  target: string,
  source: AnySource,
  candidates: string,
  tenant: string | undefined,
): Promise<RunCounts> {
  const [row] = await queryRows(
    connection,
    `WITH totals AS (SELECT count(*) AS n, count(*) FILTER (WHERE zero) AS zeros FROM ${GUARD_STATE_TABLE} WHERE ${sourceWhere(target, source, tenant)}),
     run AS (
       SELECT count(*) AS n, count(*) FILTER (WHERE is_zero) AS zeros,
              count(was_zero) AS changed, count(*) FILTER (WHERE was_zero IS NOT NULL AND is_zero) AS changed_zeros,
              count(*) FILTER (WHERE was_zero) AS replaced_zeros
       FROM ${candidates})
     SELECT run.n, run.zeros, run.changed, run.changed_zeros,
            totals.n + run.n - run.changed AS state_n,
            totals.zeros - run.replaced_zeros + run.zeros AS state_zeros
     FROM run, totals`,
    boundValues(tenantCondition(tenant).params),
  );
  return {
    runValues: Number(row?.n ?? 0),
    runZeros: Number(row?.zeros ?? 0),
    changedValues: Number(row?.changed ?? 0),
    changedZeros: Number(row?.changed_zeros ?? 0),
    stateValues: Number(row?.state_n ?? 0),
    stateZeros: Number(row?.state_zeros ?? 0),
  };
}

/**
 * After publishing: the entities the run wrote now hold its values (`onlyNonZero`: the non-zero
 * ones). New entities are inserted and only flags that change are updated, so a run of new entities
 * costs one append.
 */
export async function updateState(
  connection: DuckDBConnection,
  target: string,
  source: AnySource,
  candidates: string,
  onlyNonZero: boolean,
  tenant: string | undefined,
): Promise<void> {
  const where = sourceWhere(target, source, tenant);
  const bound = boundValues(tenantCondition(tenant).params) as never;
  const written = onlyNonZero ? "NOT is_zero" : "TRUE";
  await connection.run(
    `UPDATE ${GUARD_STATE_TABLE} SET zero = c.is_zero
     FROM (SELECT hash(entity_key) AS key_hash, is_zero FROM ${candidates} WHERE ${written} AND was_zero IS NOT NULL AND was_zero <> is_zero) c
     WHERE ${GUARD_STATE_TABLE}.key_hash = c.key_hash AND ${where}`,
    bound,
  );
  await connection.run(
    `INSERT INTO ${GUARD_STATE_TABLE} SELECT ${quoteLiteral(target)}, ${quoteLiteral(source.name)}, ${source.version}, hash(entity_key), is_zero, ${tenant === undefined ? "''" : "$tenant"}
     FROM ${candidates} WHERE ${written} AND was_zero IS NULL`,
    bound,
  );
}

export async function recordGuardRun(
  connection: DuckDBConnection,
  row: {
    runId: string;
    target: string;
    source: AnySource;
    status: string;
    counts: RunCounts;
    share: number | undefined;
    reference: boolean;
    resetReference: boolean;
    tenant: string | undefined;
  },
): Promise<void> {
  await connection.run(
    `INSERT INTO ${GUARD_RUNS_TABLE} VALUES ($run, $target, $source, $version, $status, $runValues, $runZeros, $changedValues, $changedZeros, $stateValues, $stateZeros, $share, $reference, $reset, $finished, $tenant)`,
    {
      run: row.runId,
      target: row.target,
      source: row.source.name,
      version: row.source.version,
      status: row.status,
      runValues: row.counts.runValues,
      runZeros: row.counts.runZeros,
      changedValues: row.counts.changedValues,
      changedZeros: row.counts.changedZeros,
      stateValues: row.counts.stateValues,
      stateZeros: row.counts.stateZeros,
      share: row.share ?? null,
      reference: row.reference,
      reset: row.resetReference,
      finished: Date.now(),
      tenant: row.tenant ?? NO_TENANT,
    },
  );
}
