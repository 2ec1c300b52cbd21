// The DuckDB offline store: the append-only, event-timestamped history of every source's values.
// Nothing here is ever updated in place; point-in-time retrieval, datasets and materialization
// are all queries over this history.
import { createHash } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { type AnySource, CtxError, type Empty, type Entity, isCtxError, isEmpty } from "@ctxstore/core";
import { canonicalize, describeIssues, stableJson } from "@ctxstore/core/store";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { ensureGuardTables } from "./guard.js";
import { ensureOnlineTables } from "./online-log.js";
import { queryRows, quoteLiteral, type Row } from "./sql.js";
import {
  addTenantColumn,
  boundValues,
  checkTenancy,
  NO_TENANT,
  operationTenant,
  type Tenancy,
  tenantCondition,
} from "./tenancy.js";
import { checkTimestamp, describe, requireTimestamp } from "./time.js";

/** The history table. Columns are documented in the package README. */
export const HISTORY_TABLE = "ctx_history";
/** Recorded stream ingest watermarks (heartbeats), so point-in-time renders can tell empty from missing. */
export const WATERMARK_TABLE = "ctx_watermarks";
/** One row per materialization run and source: the watermark and the phantom-zero baseline. */
export const MATERIALIZATION_TABLE = "ctx_materializations";
/** What the file is: its tenancy, fixed by the first store that wrote it. */
export const META_TABLE = "ctx_store_meta";

/**
 * Options of `duckdbOfflineStore`: the database file (or ":memory:"), the definitions names resolve
 * against, DuckDB settings and a clock.
 */
export interface DuckdbOfflineStoreOptions {
  /** A database file (created when absent) or ":memory:". */
  path: string;
  /** Definitions that names resolve against in `pointInTime`, `load`, `materialize`. More via `register`. */
  sources?: readonly AnySource[];
  /** DuckDB configuration, e.g. `{ threads: "2", memory_limit: "8GB" }`. */
  config?: Record<string, string>;
  /** Clock for default write times (epoch ms). */
  now?: () => number;
  /**
   * `multi`: every record, load, point-in-time query, dataset, materialization and forget carries a
   * tenant, kept in a `tenant` column of every table and matched in every join (docs/governance.md).
   * Use it with `createContextStore({ tenancy: "multi" })`. Default `single`. A file keeps the
   * tenancy it was first written with.
   */
  tenancy?: Tenancy;
}

/** One value (batch/realtime) or event (stream) to record. */
export interface OfflineRecord {
  source: AnySource | string;
  /** The entity key as the application gives it, e.g. `{ userId: "u1" }`. */
  key: unknown;
  /** The value, `empty()` for a positive "nothing", or one stream event. */
  value: unknown;
  /** When the fact became true (Date, epoch ms, ISO-8601; no offset means UTC). Streams may derive it. */
  eventTime?: Date | number | string;
  /** When it was written. Default: now. */
  writeTime?: Date | number | string;
  /** Stream events: dedupe id. Default from the source's `eventId`, else a hash of time and content. */
  eventId?: string;
  /** Required on a multi-tenant store (refused on a single-tenant one): whose record this is. */
  tenant?: string;
}

/** A validated history row, as stored. */
export interface HistoryRow {
  readonly source: string;
  readonly schemaVersion: number;
  readonly entity: string;
  readonly entityKey: string;
  /** The parsed key as stable JSON: materialization and renders rebuild writes from it. */
  readonly keyJson: string;
  readonly eventTime: number;
  readonly writeTime: number;
  /** The value as JSON; null when `isEmpty`. */
  readonly value: string | null;
  readonly isEmpty: boolean;
  readonly emptyReason: string | null;
  readonly eventId: string | null;
  /** The tenant ("" on a single-tenant store). */
  readonly tenant: string;
}

export interface StoredHistoryRow extends HistoryRow {
  /** Insertion order: breaks exact (event time, write time) ties (the later write wins). */
  readonly seq: number;
}

/**
 * The offline store on DuckDB, from `duckdbOfflineStore`: the append-only, event-timestamped history
 * of every source's values (`record`, `history`, `count`, `exportParquet`), read by `pointInTime`,
 * `buildTrainingDataset` and `materialize`, and erasable per entity (`forget`).
 */
export interface DuckdbOfflineStore {
  readonly name: "duckdb";
  readonly path: string;
  /** The store's connection, for your own SQL over `ctx_history` (read-only use recommended). */
  readonly connection: DuckDBConnection;
  /** Whether every table carries a tenant and every operation is scoped by one. */
  readonly tenancy: Tenancy;
  /**
   * The tenant of one operation, checked: required on a multi-tenant store (`CTX_TENANT_REQUIRED`),
   * refused on a single-tenant one; undefined on a single-tenant store.
   */
  tenantFor(tenant: unknown, operation: string): string | undefined;
  readonly sources: ReadonlyMap<string, AnySource>;
  /** Adds definitions; a different definition under a known name throws `CTX_DUPLICATE_SOURCE`. */
  register(sources: readonly AnySource[]): void;
  /** Resolves a source name (or checks a definition); throws `CTX_UNKNOWN_SOURCE`. */
  source(reference: AnySource | string): AnySource;
  /**
   * Validates every entry (key schema, value schema, timestamps) and appends them in one
   * transaction: one bad entry throws `CTX_INVALID_VALUE`/`CTX_INVALID_KEY` naming its index and
   * nothing is written.
   */
  record(entries: readonly OfflineRecord[]): Promise<{ rows: number }>;
  /** Records a stream ingest watermark (what `ctx.heartbeat` / `ctx.append` set online). */
  recordWatermark(
    source: AnySource | string,
    time: Date | number | string,
    writeTime?: Date | number | string,
  ): Promise<void>;
  /** The stored history of one source (optionally one key; of one tenant on a multi-tenant store), oldest insertion first. */
  history(
    source: AnySource | string,
    key?: unknown,
    options?: { readonly tenant?: string },
  ): Promise<StoredHistoryRow[]>;
  /** Number of history rows (optionally of one source). */
  count(source?: AnySource | string): Promise<number>;
  /**
   * Writes the history (optionally some sources) as one Parquet file with UTC timestamps, readable by
   * Spark, BigQuery, pandas. Written to a temporary name and renamed: never half a file.
   */
  exportParquet(
    path: string,
    options?: { sources?: ReadonlyArray<AnySource | string>; tenant?: string },
  ): Promise<{ rows: number }>;
  /** Runs `body` with exclusive use of the connection (multi-statement work). */
  exclusive<T>(body: (connection: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Like `exclusive`, inside one transaction: a throw rolls everything back. */
  transaction<T>(body: (connection: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Appends validated rows (internal; `record` and `load` validate first). */
  appendHistory(connection: DuckDBConnection, rows: readonly HistoryRow[]): Promise<void>;
  /** Validates one raw entry against its source; returns the row or the reason it was rejected. */
  validate(entry: OfflineRecord):
    | { row: HistoryRow }
    | {
        reason: string;
        code:
          | "CTX_INVALID_KEY"
          | "CTX_INVALID_VALUE"
          | "CTX_INVALID_REQUEST"
          | "CTX_UNKNOWN_SOURCE"
          | "CTX_TENANT_REQUIRED"
          | "CTX_INVALID_TENANT";
      };
  /** The store's clock (epoch ms): default write times come from it. */
  now(): number;
  /**
   * Right to erasure: deletes every history row of the entity key (all sources and versions), and
   * the serving log rows that point at them, in one transaction; resolves to the history rows
   * removed. Pass the store in `createContextStore({ erasure: [offline] })` so `ctx.forget` erases
   * here in the same call; a later materialization or dataset build then has nothing to bring back.
   * On a multi-tenant store only that tenant's rows go (the tenant is required); another tenant's
   * history of the same key stays.
   */
  forget(request: {
    readonly entity: string;
    readonly key: string;
    readonly tenant?: string;
  }): Promise<number>;
  /** Waits for queued work, then closes the DuckDB connection and database; closing twice is fine. */
  close(): Promise<void>;
}

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
  seq BIGINT NOT NULL,
  source VARCHAR NOT NULL,
  schema_version INTEGER NOT NULL,
  entity VARCHAR NOT NULL,
  entity_key VARCHAR NOT NULL,
  key_json VARCHAR NOT NULL,
  event_time BIGINT NOT NULL,
  write_time BIGINT NOT NULL,
  value JSON,
  is_empty BOOLEAN NOT NULL,
  empty_reason VARCHAR,
  event_id VARCHAR,
  tenant VARCHAR NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS ${WATERMARK_TABLE} (
  source VARCHAR NOT NULL,
  schema_version INTEGER NOT NULL,
  time BIGINT NOT NULL,
  write_time BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS ${MATERIALIZATION_TABLE} (
  run_id VARCHAR NOT NULL,
  target VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  schema_version INTEGER NOT NULL,
  status VARCHAR NOT NULL,
  from_seq BIGINT NOT NULL,
  to_seq BIGINT NOT NULL,
  rows BIGINT NOT NULL,
  zero_rate DOUBLE,
  previous_zero_rate DOUBLE,
  forced BOOLEAN NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL,
  tenant VARCHAR NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS ${META_TABLE} (
  name VARCHAR NOT NULL,
  value VARCHAR NOT NULL
);`;

// Files open in this process. Two stores on one file would each hand out insertion numbers (seq)
// from their own counter; DuckDB's file lock only stops other processes, so this stops this one.
const openFiles = new Set<string>();

/** Opens (or creates) an offline store. */
export async function duckdbOfflineStore(options: DuckdbOfflineStoreOptions): Promise<DuckdbOfflineStore> {
  if (!options || typeof options.path !== "string" || options.path === "") {
    throw new CtxError(
      "CTX_CONFIG",
      'duckdbOfflineStore needs { path }: a database file, or ":memory:" for a throwaway store.',
      {},
    );
  }
  const tenancy = checkTenancy(options.tenancy);
  const fileKey = options.path === ":memory:" ? undefined : resolve(options.path);
  if (fileKey !== undefined && openFiles.has(fileKey)) {
    throw new CtxError(
      "CTX_CONFIG",
      `The offline store ${JSON.stringify(options.path)} is already open in this process; share that store object instead of opening the file twice.`,
      { path: options.path },
    );
  }
  if (fileKey !== undefined) openFiles.add(fileKey);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(options.path, options.config);
  } catch (error) {
    if (fileKey !== undefined) openFiles.delete(fileKey);
    throw new CtxError(
      "CTX_STORE_UNAVAILABLE",
      `Could not open the DuckDB database at ${JSON.stringify(options.path)} (${(error as Error).message}). Check the directory exists and no other process holds the file open for writing.`,
      { path: options.path },
      { cause: error },
    );
  }
  let connection: DuckDBConnection;
  let nextSeq: number;
  try {
    connection = await instance.connect();
    // Naive timestamps in files and SQL casts are read as UTC, whatever the machine's zone.
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run(SCHEMA_SQL);
    // Tenant columns go last, so files migrated by ALTER TABLE and new ones have one column order.
    await addTenantColumn(connection, [HISTORY_TABLE, MATERIALIZATION_TABLE]);
    await ensureOnlineTables(connection);
    await ensureGuardTables(connection);
    const [maxRow] = await queryRows(
      connection,
      `SELECT coalesce(max(seq), 0) AS max_seq FROM ${HISTORY_TABLE}`,
    );
    nextSeq = Number(maxRow?.max_seq ?? 0) + 1;
    await settleTenancy(connection, options.path, tenancy, nextSeq > 1);
  } catch (error) {
    if (isCtxError(error)) {
      instance.closeSync();
      if (fileKey !== undefined) openFiles.delete(fileKey);
      throw error;
    }
    instance.closeSync();
    if (fileKey !== undefined) openFiles.delete(fileKey);
    throw new CtxError(
      "CTX_STORE_UNAVAILABLE",
      `Could not prepare the offline store tables in ${JSON.stringify(options.path)} (${(error as Error).message}). Is this a ctxstore offline store file?`,
      { path: options.path },
      { cause: error },
    );
  }
  const clock = options.now ?? Date.now;
  const sources = new Map<string, AnySource>();
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const exclusive = <T>(body: (connection: DuckDBConnection) => Promise<T>): Promise<T> => {
    if (closed) {
      return Promise.reject(
        new CtxError(
          "CTX_CONFIG",
          "The offline store is closed; open a new one with duckdbOfflineStore({ path }).",
          {},
        ),
      );
    }
    const run = queue.then(() => body(connection));
    queue = run.catch(() => undefined);
    return run;
  };

  const register = (definitions: readonly AnySource[]): void => {
    for (const definition of definitions) {
      if (definition?.kind !== "source") {
        throw new CtxError(
          "CTX_INVALID_DEFINITION",
          "register() takes source definitions (batch(), stream(), realtime()).",
          {},
        );
      }
      const known = sources.get(definition.name);
      if (known && known !== definition && known.version === definition.version) {
        throw new CtxError(
          "CTX_DUPLICATE_SOURCE",
          `A different definition of source "${definition.name}" version ${definition.version} is already registered with this offline store; bump the version when a definition changes.`,
          { source: definition.name },
        );
      }
      sources.set(definition.name, definition);
    }
  };
  register(options.sources ?? []);

  const resolveSource = (reference: AnySource | string): AnySource => {
    if (typeof reference === "string") {
      const found = sources.get(reference);
      if (!found) {
        throw new CtxError(
          "CTX_UNKNOWN_SOURCE",
          `Unknown source ${JSON.stringify(reference)}: known sources are ${[...sources.keys()].map((name) => JSON.stringify(name)).join(", ") || "none"}. Pass its definition, or register it with duckdbOfflineStore({ sources }) / store.register().`,
          { source: reference },
        );
      }
      return found;
    }
    if (reference?.kind !== "source") {
      throw new CtxError(
        "CTX_UNKNOWN_SOURCE",
        `Expected a source definition or a source name; got ${describe(reference)}.`,
        {},
      );
    }
    if (!sources.has(reference.name)) register([reference]);
    return reference;
  };

  const tenantFor = (tenant: unknown, operation: string) => operationTenant(tenancy, tenant, operation);

  const validate: DuckdbOfflineStore["validate"] = (entry) => {
    let tenant: string | undefined;
    try {
      tenant = tenantFor(entry?.tenant, "record");
    } catch (error) {
      const code = isCtxError(error) ? error.code : undefined;
      return {
        reason: (error as Error).message,
        code: code === "CTX_TENANT_REQUIRED" || code === "CTX_INVALID_TENANT" ? code : "CTX_INVALID_REQUEST",
      };
    }
    let source: AnySource;
    try {
      source = resolveSource(entry.source);
    } catch (error) {
      return { reason: (error as Error).message, code: "CTX_UNKNOWN_SOURCE" };
    }
    if (source.tier === "vector") {
      return {
        reason: `source "${source.name}" is a vector source: its history lives in the vector store, not the offline store`,
        code: "CTX_INVALID_REQUEST",
      };
    }
    const entity = source.entity as Entity;
    const parsedKey = entity.key.safeParse(entry.key);
    if (!parsedKey.success) {
      return {
        reason: `key ${describe(entry.key)} does not match entity "${entity.name}" (${describeIssues(parsedKey.error.issues)})`,
        code: "CTX_INVALID_KEY",
      };
    }
    let value: string | null = null;
    let emptyReason: string | null = null;
    let parsedValue: unknown;
    const positiveEmpty = isEmpty(entry.value);
    if (positiveEmpty) {
      if (source.tier === "stream") {
        return {
          reason: `source "${source.name}" is a stream: record events; an empty window is known from a recorded watermark`,
          code: "CTX_INVALID_VALUE",
        };
      }
      emptyReason = (entry.value as Empty).reason ?? null;
    } else {
      const parsed = source.schema.safeParse(entry.value);
      if (!parsed.success) {
        return {
          reason: `value fails the schema of "${source.name}" (${describeIssues(parsed.error.issues)})`,
          code: "CTX_INVALID_VALUE",
        };
      }
      parsedValue = parsed.data;
      value = JSON.stringify(parsedValue) ?? null;
      if (value === null)
        return { reason: `value of "${source.name}" is not JSON-serialisable`, code: "CTX_INVALID_VALUE" };
    }
    let eventTimeInput = entry.eventTime;
    if (eventTimeInput === undefined && source.tier === "stream" && source.eventTime && !positiveEmpty) {
      eventTimeInput = source.eventTime(parsedValue);
    }
    const now = clock();
    const eventTime = eventTimeInput === undefined ? { ms: now } : checkTimestamp(eventTimeInput);
    if ("problem" in eventTime)
      return { reason: `eventTime ${eventTime.problem}`, code: "CTX_INVALID_REQUEST" };
    const writeTime = entry.writeTime === undefined ? { ms: now } : checkTimestamp(entry.writeTime);
    if ("problem" in writeTime)
      return { reason: `writeTime ${writeTime.problem}`, code: "CTX_INVALID_REQUEST" };
    let eventId: string | null = entry.eventId ?? null;
    if (source.tier === "stream" && eventId === null) {
      eventId =
        source.eventId?.(parsedValue) ??
        createHash("sha256").update(`${eventTime.ms}\n${value}`).digest("hex").slice(0, 24);
    }
    return {
      row: {
        source: source.name,
        schemaVersion: source.version,
        entity: entity.name,
        entityKey: canonicalize(parsedKey.data),
        keyJson: stableJson(parsedKey.data),
        eventTime: eventTime.ms,
        writeTime: writeTime.ms,
        value,
        isEmpty: positiveEmpty,
        emptyReason,
        eventId,
        tenant: tenant ?? NO_TENANT,
      },
    };
  };

  const appendHistory = async (target: DuckDBConnection, rows: readonly HistoryRow[]): Promise<void> => {
    if (rows.length === 0) return;
    const appender = await target.createAppender(HISTORY_TABLE);
    try {
      for (const row of rows) {
        appender.appendBigInt(BigInt(nextSeq++));
        appender.appendVarchar(row.source);
        appender.appendInteger(row.schemaVersion);
        appender.appendVarchar(row.entity);
        appender.appendVarchar(row.entityKey);
        appender.appendVarchar(row.keyJson);
        appender.appendBigInt(BigInt(row.eventTime));
        appender.appendBigInt(BigInt(row.writeTime));
        if (row.value === null) appender.appendNull();
        else appender.appendVarchar(row.value);
        appender.appendBoolean(row.isEmpty);
        if (row.emptyReason === null) appender.appendNull();
        else appender.appendVarchar(row.emptyReason);
        if (row.eventId === null) appender.appendNull();
        else appender.appendVarchar(row.eventId);
        appender.appendVarchar(row.tenant);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  };

  const inTransaction = async <T>(target: DuckDBConnection, body: () => Promise<T>): Promise<T> => {
    const seqBefore = nextSeq;
    await target.run("BEGIN TRANSACTION");
    try {
      const result = await body();
      await target.run("COMMIT");
      return result;
    } catch (error) {
      await target.run("ROLLBACK");
      nextSeq = seqBefore;
      throw error;
    }
  };

  const sourceFilter = (references: ReadonlyArray<AnySource | string> | undefined): string => {
    if (!references || references.length === 0) return "TRUE";
    const resolved = references.map(resolveSource);
    return `(${resolved.map((source) => `(source = ${quoteLiteral(source.name)} AND schema_version = ${source.version})`).join(" OR ")})`;
  };

  const store: DuckdbOfflineStore = {
    name: "duckdb",
    path: options.path,
    connection,
    tenancy,
    tenantFor,
    sources,
    register,
    source: resolveSource,
    validate,
    exclusive,
    transaction: (body) => exclusive((target) => inTransaction(target, () => body(target))),
    appendHistory,
    now: clock,
    async record(entries) {
      if (!Array.isArray(entries)) {
        throw new CtxError(
          "CTX_INVALID_REQUEST",
          "record() takes an array of { source, key, value, eventTime?, writeTime? }.",
          {},
        );
      }
      const rows: HistoryRow[] = [];
      for (const [index, entry] of entries.entries()) {
        const outcome = validate(entry);
        if ("reason" in outcome) {
          throw new CtxError(
            outcome.code,
            `Entry ${index}: ${outcome.reason}. Nothing was recorded; fix or drop that entry.`,
            {
              index,
              reason: outcome.reason,
            },
          );
        }
        rows.push(outcome.row);
      }
      await exclusive((target) => inTransaction(target, () => appendHistory(target, rows)));
      return { rows: rows.length };
    },
    async recordWatermark(reference, time, writeTime) {
      const source = resolveSource(reference);
      if (source.tier !== "stream") {
        throw new CtxError(
          "CTX_INVALID_REQUEST",
          `recordWatermark: source "${source.name}" is not a stream source.`,
          { source: source.name },
        );
      }
      const at = requireTimestamp(time, "watermark time");
      const written = writeTime === undefined ? clock() : requireTimestamp(writeTime, "watermark writeTime");
      await exclusive((target) =>
        target.run(`INSERT INTO ${WATERMARK_TABLE} VALUES ($source, $version, $time, $written)`, {
          source: source.name,
          version: source.version,
          time: at,
          written,
        }),
      );
    },
    async forget(request) {
      const scope = tenantCondition(tenantFor(request?.tenant, "forget"));
      if (
        typeof request.entity !== "string" ||
        typeof request.key !== "string" ||
        !request.entity ||
        !request.key
      ) {
        throw new CtxError(
          "CTX_INVALID_REQUEST",
          "duckdb offline store: forget() needs a non-empty entity and key.",
          {},
        );
      }
      const match = `entity = $entity AND entity_key = $key${scope.sql}`;
      const values = boundValues({ entity: request.entity, key: request.key }, scope.params) as Record<
        string,
        string
      >;
      return exclusive((target) =>
        inTransaction(target, async () => {
          const [counted] = await queryRows(
            target,
            `SELECT count(*) AS n FROM ${HISTORY_TABLE} WHERE ${match}`,
            values,
          );
          // The serving logs (written by a recording context) point at history rows by seq.
          const logs = await queryRows(
            target,
            `SELECT table_name FROM duckdb_tables() WHERE table_name IN ('ctx_online_writes', 'ctx_realtime_outcomes')`,
          );
          for (const log of logs) {
            await target.run(
              `DELETE FROM ${String(log.table_name)} WHERE seq IN (SELECT seq FROM ${HISTORY_TABLE} WHERE ${match})`,
              values,
            );
          }
          await target.run(`DELETE FROM ${HISTORY_TABLE} WHERE ${match}`, values);
          return Number(counted?.n ?? 0);
        }),
      );
    },
    async history(reference, key, historyOptions = {}) {
      const source = resolveSource(reference);
      const scope = tenantCondition(tenantFor(historyOptions.tenant, "history"));
      let keyFilter = "";
      const keyValue: Record<string, string> = {};
      if (key !== undefined && source.entity) {
        keyFilter = " AND entity_key = $key";
        keyValue.key = (source.entity as Entity).canonicalKey(key);
      }
      const rows = await exclusive((target) =>
        queryRows(
          target,
          `SELECT * FROM ${HISTORY_TABLE} WHERE source = ${quoteLiteral(source.name)} AND schema_version = ${source.version}${keyFilter}${scope.sql} ORDER BY seq`,
          boundValues(keyValue, scope.params),
        ),
      );
      return rows.map(toStoredRow);
    },
    async count(reference) {
      const filter = reference === undefined ? "TRUE" : sourceFilter([reference]);
      const [row] = await exclusive((target) =>
        queryRows(target, `SELECT count(*) AS n FROM ${HISTORY_TABLE} WHERE ${filter}`),
      );
      return Number(row?.n ?? 0);
    },
    async exportParquet(path, exportOptions = {}) {
      const filter = sourceFilter(exportOptions.sources);
      // An export of every tenant is an operator's (each row says whose it is); `tenant` keeps one.
      const scope = tenantCondition(
        exportOptions.tenant === undefined ? undefined : tenantFor(exportOptions.tenant, "exportParquet"),
      );
      const partial = `${path}.partial-${process.pid}-${Date.now()}`;
      return exclusive(async (target) => {
        try {
          const result = await target.run(
            `COPY (SELECT seq, source, schema_version, entity, entity_key, key_json,
                    make_timestamptz(event_time * 1000) AS event_time, make_timestamptz(write_time * 1000) AS write_time,
                    value, is_empty, empty_reason, event_id${tenancy === "multi" ? ", tenant" : ""}
                  FROM ${HISTORY_TABLE} WHERE ${filter}${scope.sql} ORDER BY seq)
             TO ${quoteLiteral(partial)} (FORMAT parquet, COMPRESSION zstd)`,
            boundValues(scope.params) as never,
          );
          await rename(partial, path);
          return { rows: result.rowsChanged };
        } catch (error) {
          await rm(partial, { force: true });
          throw new CtxError(
            "CTX_STORE_UNAVAILABLE",
            `Exporting the history to ${JSON.stringify(path)} failed (${(error as Error).message}); nothing was written there.`,
            { path },
            { cause: error },
          );
        }
      });
    },
    async close() {
      if (closed) return;
      await queue;
      closed = true;
      connection.closeSync();
      instance.closeSync();
      if (fileKey !== undefined) openFiles.delete(fileKey);
    },
  };
  return store;
}

export function toStoredRow(row: Row): StoredHistoryRow {
  return {
    seq: Number(row.seq),
    source: String(row.source),
    schemaVersion: Number(row.schema_version),
    entity: String(row.entity),
    entityKey: String(row.entity_key),
    keyJson: String(row.key_json),
    eventTime: Number(row.event_time),
    writeTime: Number(row.write_time),
    value: row.value === null || row.value === undefined ? null : String(row.value),
    isEmpty: row.is_empty === true,
    emptyReason:
      row.empty_reason === null || row.empty_reason === undefined ? null : String(row.empty_reason),
    eventId: row.event_id === null || row.event_id === undefined ? null : String(row.event_id),
    tenant: row.tenant === null || row.tenant === undefined ? NO_TENANT : String(row.tenant),
  };
}

/**
 * A file keeps the tenancy its first store gave it: history written without tenants cannot be
 * split by tenant afterwards, and a multi-tenant file read as single-tenant would mix tenants. An
 * empty file takes the tenancy it is opened with; one written before tenancy existed is single.
 */
async function settleTenancy(
  connection: DuckDBConnection,
  path: string,
  tenancy: Tenancy,
  hasHistory: boolean,
): Promise<void> {
  const [recorded] = await queryRows(connection, `SELECT value FROM ${META_TABLE} WHERE name = 'tenancy'`);
  const stored = recorded === undefined ? (hasHistory ? "single" : undefined) : String(recorded.value);
  if (stored === tenancy) {
    if (recorded === undefined)
      await connection.run(`INSERT INTO ${META_TABLE} VALUES ('tenancy', $tenancy)`, { tenancy });
    return;
  }
  if (stored === undefined || !hasHistory) {
    await connection.run(`DELETE FROM ${META_TABLE} WHERE name = 'tenancy'`);
    await connection.run(`INSERT INTO ${META_TABLE} VALUES ('tenancy', $tenancy)`, { tenancy });
    return;
  }
  throw new CtxError(
    "CTX_CONFIG",
    stored === "single"
      ? `The offline store ${JSON.stringify(path)} holds single-tenant history (no tenant on its rows), so it cannot be opened with tenancy "multi": its rows cannot be told apart by tenant. Open it single-tenant, or record each tenant's history into a new multi-tenant file (offline.record with a tenant per entry).`
      : `The offline store ${JSON.stringify(path)} is multi-tenant; open it with duckdbOfflineStore({ tenancy: "multi" }) so every read stays within one tenant.`,
    { path, tenancy: stored },
  );
}

/** The value a history row carries, as `ctx.toValueWrite` takes it (`empty()` for empties). */
export function historyValue(
  row: Pick<HistoryRow, "value" | "isEmpty" | "emptyReason">,
  emptyOf: (reason?: string) => Empty,
): unknown {
  if (row.isEmpty) return emptyOf(row.emptyReason ?? undefined);
  return row.value === null ? null : JSON.parse(row.value);
}
