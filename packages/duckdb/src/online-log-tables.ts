// The serving-log tables (see online-log.ts): created with the offline store, so recording and
// point-in-time queries can rely on them.
import type { DuckDBConnection } from "@duckdb/node-api";
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
