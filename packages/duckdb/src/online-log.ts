// What serving did, beside the history of values: for each recorded online write, when the online
// store took it, the TTL it carried and whether it applied it (a write older than the stored value is refused
// and does not refresh the entity's expiry); for each realtime lookup that did not return a fact,
// its status, reason and the fallback value serving had. Point-in-time renders read these to show a
// label exactly what serving showed at its moment: expiry replayed write by write, failed lookups
// rendered as failures.
//
// Both tables are keyed by the history row's `seq`. A failed lookup has a history row too (value
// NULL, not empty: a shape a recorded value never has), so it takes its place in the source's
// timeline and the point-in-time join needs nothing new to find it.
import type { Status } from "@ctxstore/core";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { DuckdbOfflineStore, HistoryRow } from "./offline-store.js";
import { queryRows } from "./sql.js";
import { addTenantColumn } from "./tenancy.js";

/**
 * Table logging each online write `withOfflineRecording` saw (its TTL, and whether the online store
 * applied it), so point-in-time reads can serve history as the online store held it.
 */
export const ONLINE_WRITES_TABLE = "ctx_online_writes";
/**
 * Table logging every realtime outcome `assemble` served (values, empties, failures and their
 * fallback), so training renders replay what serving showed.
 */
export const REALTIME_OUTCOMES_TABLE = "ctx_realtime_outcomes";

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS ${ONLINE_WRITES_TABLE} (
  seq BIGINT NOT NULL,
  written_at BIGINT NOT NULL,
  ttl_ms BIGINT,
  applied BOOLEAN NOT NULL,
  tenant VARCHAR NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS ${REALTIME_OUTCOMES_TABLE} (
  seq BIGINT NOT NULL,
  status VARCHAR NOT NULL,
  reason VARCHAR,
  fallback_value JSON,
  fallback_event_time BIGINT,
  tenant VARCHAR NOT NULL DEFAULT ''
);`;

// Connections whose log tables are known to exist with their tenant column (recording checks on every write).
const prepared = new WeakSet<DuckDBConnection>();

export async function ensureOnlineTables(connection: DuckDBConnection): Promise<void> {
  if (prepared.has(connection)) return;
  await connection.run(SCHEMA_SQL);
  await addTenantColumn(connection, [ONLINE_WRITES_TABLE, REALTIME_OUTCOMES_TABLE]);
  prepared.add(connection);
}

export interface LoggedRow {
  readonly row: HistoryRow;
  /** For an online write: when the online store took it, its TTL (undefined: none), whether it applied it. */
  readonly write?: { readonly at: number; readonly ttlMs: number | undefined; readonly applied: boolean };
  /** For a realtime lookup that returned no fact. */
  readonly outcome?: {
    readonly status: Exclude<Status, "ok" | "empty">;
    readonly reason: string | undefined;
    readonly fallback: { readonly value: unknown; readonly eventTime: number } | undefined;
  };
}

/** Appends history rows and their log entries in one transaction. */
export async function recordLogged(offline: DuckdbOfflineStore, rows: readonly LoggedRow[]): Promise<void> {
  if (rows.length === 0) return;
  await offline.transaction(async (connection) => {
    await ensureOnlineTables(connection);
    await offline.appendHistory(
      connection,
      rows.map((entry) => entry.row),
    );
    // appendHistory numbers rows consecutively under this exclusive use of the connection.
    const [last] = await queryRows(connection, "SELECT max(seq) AS seq FROM ctx_history");
    const firstSeq = Number(last?.seq ?? 0) - rows.length + 1;
    // Appenders only for the tables this call writes (one serving write opens one).
    const writes = rows.some((entry) => entry.write)
      ? await connection.createAppender(ONLINE_WRITES_TABLE)
      : undefined;
    const outcomes = rows.some((entry) => entry.outcome)
      ? await connection.createAppender(REALTIME_OUTCOMES_TABLE)
      : undefined;
    try {
      rows.forEach((entry, index) => {
        const seq = BigInt(firstSeq + index);
        if (entry.write && writes) {
          writes.appendBigInt(seq);
          writes.appendBigInt(BigInt(Math.round(entry.write.at)));
          if (entry.write.ttlMs === undefined) writes.appendNull();
          else writes.appendBigInt(BigInt(Math.ceil(entry.write.ttlMs)));
          writes.appendBoolean(entry.write.applied);
          writes.appendVarchar(entry.row.tenant);
          writes.endRow();
        }
        if (entry.outcome && outcomes) {
          outcomes.appendBigInt(seq);
          outcomes.appendVarchar(entry.outcome.status);
          if (entry.outcome.reason === undefined) outcomes.appendNull();
          else outcomes.appendVarchar(entry.outcome.reason);
          const fallbackText =
            entry.outcome.fallback === undefined ? undefined : JSON.stringify(entry.outcome.fallback.value);
          if (fallbackText === undefined) outcomes.appendNull();
          else outcomes.appendVarchar(fallbackText);
          if (entry.outcome.fallback === undefined) outcomes.appendNull();
          else outcomes.appendBigInt(BigInt(Math.round(entry.outcome.fallback.eventTime)));
          outcomes.appendVarchar(entry.row.tenant);
          outcomes.endRow();
        }
      });
      writes?.flushSync();
      outcomes?.flushSync();
    } finally {
      writes?.closeSync();
      outcomes?.closeSync();
    }
  });
}
