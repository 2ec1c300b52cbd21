// Bulk loads: Parquet, CSV and JSON Lines files into the history. Every row is validated against
// its source (key schema, value schema, timestamps) before anything is kept; by default one bad row
// rejects the whole file, and `partial: true` keeps the valid rows and reports the rest.
import { type AnySource, CtxError, type Entity, empty } from "@ctxstore/core";
import type { DuckDBConnection } from "@duckdb/node-api";
import { fileRelation, type RowProblem, uniqueName } from "./labels.js";
import type { DuckdbOfflineStore, HistoryRow } from "./offline-store.js";
import { describeColumns, queryRows, quoteIdentifier } from "./sql.js";
import { timestampSql } from "./time.js";

/**
 * Options of `loadFile`: the source and the file (Parquet, CSV or JSON Lines), and which columns hold
 * the key fields, event and write times, the value, empties and event ids; `partial` keeps the good
 * rows of a file with bad ones.
 */
export interface LoadOptions {
  source: AnySource | string;
  /** A .parquet, .csv or .jsonl/.ndjson file (or set `format`). */
  file: string;
  format?: "parquet" | "csv" | "jsonl";
  /**
   * Columns holding the entity key's fields, `{ userId: "user_id" }`. Default: columns named like
   * the fields of the entity's key schema.
   */
  key?: Readonly<Record<string, string>>;
  /** Column with the event time. Default "event_time". Integers are epoch ms; text without an offset is UTC. */
  eventTime?: string;
  /** Column with the write time. Default: the load time for every row. */
  writeTime?: string;
  /**
   * The value: one column (JSON text, a struct, or a scalar), or several columns that form an
   * object. Default: every column that is not a key, time, empty or event-id column.
   */
  value?: string | readonly string[];
  /** Boolean column: true marks a positive `empty()` (its value columns are ignored). */
  empty?: string;
  /** Column with the empty reason. */
  emptyReason?: string;
  /** Stream sources: column with the event id. */
  eventId?: string;
  /** Keep valid rows when some are rejected (they are reported). Default false: all or nothing. */
  partial?: boolean;
  /** Required on a multi-tenant store (refused on a single-tenant one): the tenant every row of the file belongs to. */
  tenant?: string;
}

/** What `loadFile` did: rows read, rows appended to the history, and the rows rejected with why. */
export interface LoadReport {
  readonly source: string;
  readonly file: string;
  /** Rows read from the file. */
  readonly rows: number;
  /** Rows appended to the history. */
  readonly loaded: number;
  readonly rejectedCount: number;
  /** The first 1,000 rejected rows with their reasons (1-based data row numbers). */
  readonly rejected: readonly RowProblem[];
}

const PAGE_ROWS = 50_000;

/** Loads a file into the offline store's history. */
export async function loadFile(offline: DuckdbOfflineStore, options: LoadOptions): Promise<LoadReport> {
  const source = offline.source(options.source);
  if (source.tier === "vector") {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `load: "${source.name}" is a vector source; load documents into its vector store instead.`,
      { source: source.name },
    );
  }
  const entity = source.entity as Entity;
  // Checked before the file is read: a file without its tenant is refused whole.
  offline.tenantFor(options.tenant, "load");
  const writeTimeDefault = offline.now();
  return offline.transaction(async (connection) => {
    const stage = uniqueName("ctx_load");
    try {
      let relation = fileRelation(options.file, options.format);
      // A CSV cell is text: for a text-only source, its value column is read as written ("042"
      // stays "042") instead of as the number or JSON DuckDB would guess.
      if (relation.startsWith("read_csv(") && typeof options.value === "string" && takesOnlyText(source)) {
        const sniffed = await describeColumns(connection, `(SELECT * FROM ${relation})`);
        if (sniffed.some((column) => column.name === options.value && column.type !== "VARCHAR"))
          relation = fileRelation(options.file, options.format, [options.value]);
      }
      await connection.run(
        `CREATE TEMP TABLE ${stage} AS SELECT row_number() OVER () AS ctx_row, * FROM ${relation}`,
      );
    } catch (error) {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `load: could not read ${JSON.stringify(options.file)} (${(error as Error).message}). Check the path and format.`,
        { file: options.file },
        { cause: error },
      );
    }
    try {
      return await loadStaged(offline, connection, stage, source, entity, options, writeTimeDefault);
    } finally {
      await connection.run(`DROP TABLE IF EXISTS ${stage}`);
    }
  });
}

async function loadStaged(
  offline: DuckdbOfflineStore,
  connection: DuckDBConnection,
  stage: string,
  source: AnySource,
  entity: Entity,
  options: LoadOptions,
  writeTimeDefault: number,
): Promise<LoadReport> {
  const columns = await describeColumns(connection, stage);
  const types = new Map(columns.map((column) => [column.name, column.type]));
  const fileColumns = columns.map((column) => column.name).filter((name) => name !== "ctx_row");
  const need = (column: string, what: string): string => {
    if (!types.has(column) || column === "ctx_row") {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `load: ${JSON.stringify(options.file)} has no column ${JSON.stringify(column)} (${what}); its columns are ${fileColumns.join(", ")}.`,
        { file: options.file, column },
      );
    }
    return column;
  };
  const keyColumns = Object.entries(options.key ?? defaultKeyColumns(entity)).map(
    ([field, column]) => [field, need(column, `key field ${field}`)] as const,
  );
  const eventTimeColumn = need(options.eventTime ?? "event_time", "event time");
  const writeTimeColumn = options.writeTime === undefined ? undefined : need(options.writeTime, "write time");
  const emptyColumn = options.empty === undefined ? undefined : need(options.empty, "empty flag");
  const emptyReasonColumn =
    options.emptyReason === undefined ? undefined : need(options.emptyReason, "empty reason");
  const eventIdColumn = options.eventId === undefined ? undefined : need(options.eventId, "event id");
  const used = new Set<string>(
    [
      ...keyColumns.map(([, column]) => column),
      eventTimeColumn,
      writeTimeColumn,
      emptyColumn,
      emptyReasonColumn,
      eventIdColumn,
    ].filter((name): name is string => name !== undefined),
  );
  const valueColumns =
    options.value === undefined
      ? fileColumns.filter((name) => !used.has(name))
      : typeof options.value === "string"
        ? [need(options.value, "value")]
        : options.value.map((name) => need(name, "value"));
  if (valueColumns.length === 0) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `load: no value columns left in ${JSON.stringify(options.file)}; name them with { value }.`,
      { file: options.file },
    );
  }
  const single = typeof options.value === "string";
  const valueColumn = valueColumns[0] as string;
  const valueSql = single
    ? singleValueSql(valueColumn, types.get(valueColumn) ?? "VARCHAR")
    : `to_json({${valueColumns.map((name) => `${quoteIdentifier(name)}: ${quoteIdentifier(name)}`).join(", ")}})::VARCHAR`;
  const valueIsText = single && isText(types.get(valueColumn) ?? "");
  // A source whose schema takes text and no other JSON (z.string(), an enum of strings...) gets its
  // text cells as they are: "42", "{\"a\":1}" and "null" are text there, not JSON to parse.
  const cellsAreText = valueIsText && takesOnlyText(source);
  const timeSql = (column: string) => timestampSql(quoteIdentifier(column), types.get(column) ?? "VARCHAR");
  const select = [
    "ctx_row",
    ...keyColumns.map(([, column], index) => `${quoteIdentifier(column)} AS ctx_key_${index}`),
    `${timeSql(eventTimeColumn).ms} AS ctx_event_time`,
    `${timeSql(eventTimeColumn).problem} AS ctx_event_time_problem`,
    writeTimeColumn ? `${timeSql(writeTimeColumn).ms} AS ctx_write_time` : "NULL::BIGINT AS ctx_write_time",
    writeTimeColumn
      ? `${timeSql(writeTimeColumn).problem} AS ctx_write_time_problem`
      : "NULL AS ctx_write_time_problem",
    `${valueSql} AS ctx_value`,
    emptyColumn ? `TRY_CAST(${quoteIdentifier(emptyColumn)} AS BOOLEAN) AS ctx_empty` : "false AS ctx_empty",
    emptyReasonColumn
      ? `${quoteIdentifier(emptyReasonColumn)}::VARCHAR AS ctx_empty_reason`
      : "NULL AS ctx_empty_reason",
    eventIdColumn ? `${quoteIdentifier(eventIdColumn)}::VARCHAR AS ctx_event_id` : "NULL AS ctx_event_id",
  ].join(", ");
  const [countRow] = await queryRows(connection, `SELECT count(*) AS n FROM ${stage}`);
  const total = Number(countRow?.n ?? 0);
  const rejected: RowProblem[] = [];
  let rejectedCount = 0;
  let loaded = 0;
  for (let first = 1; first <= total; first += PAGE_ROWS) {
    const page = await queryRows(
      connection,
      `SELECT ${select} FROM ${stage} WHERE ctx_row BETWEEN ${first} AND ${first + PAGE_ROWS - 1} ORDER BY ctx_row`,
    );
    const valid: HistoryRow[] = [];
    for (const cell of page) {
      const row = Number(cell.ctx_row);
      const reject = (reason: string) => {
        rejectedCount += 1;
        if (rejected.length < 1_000) rejected.push({ row, reason });
      };
      if (cell.ctx_event_time === null) {
        reject(
          cell.ctx_event_time_problem === null
            ? `no ${eventTimeColumn}`
            : `${eventTimeColumn} ${String(cell.ctx_event_time_problem)}`,
        );
        continue;
      }
      if (writeTimeColumn && cell.ctx_write_time === null) {
        reject(
          cell.ctx_write_time_problem === null
            ? `no ${writeTimeColumn}`
            : `${writeTimeColumn} ${String(cell.ctx_write_time_problem)}`,
        );
        continue;
      }
      const key: Record<string, unknown> = {};
      keyColumns.forEach(([field], index) => {
        const value = cell[`ctx_key_${index}`];
        if (value !== null && value !== undefined) key[field] = value;
      });
      let value: unknown;
      if (cell.ctx_empty === true) {
        value = empty(
          cell.ctx_empty_reason === null || cell.ctx_empty_reason === undefined
            ? undefined
            : String(cell.ctx_empty_reason),
        );
      } else if (cell.ctx_value === null || cell.ctx_value === undefined) {
        value = null;
      } else {
        const text = String(cell.ctx_value);
        if (cellsAreText) value = text;
        else
          try {
            value = JSON.parse(text);
          } catch {
            // A text column that is not JSON is the value itself (a plain summary string).
            if (valueIsText) value = text;
            else {
              reject(`value is not valid JSON`);
              continue;
            }
          }
      }
      const outcome = offline.validate({
        source,
        key,
        value,
        eventTime: Number(cell.ctx_event_time),
        writeTime: cell.ctx_write_time === null ? writeTimeDefault : Number(cell.ctx_write_time),
        ...(cell.ctx_event_id === null || cell.ctx_event_id === undefined
          ? {}
          : { eventId: String(cell.ctx_event_id) }),
        ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
      });
      if ("reason" in outcome) reject(outcome.reason);
      else valid.push(outcome.row);
    }
    if (rejectedCount > 0 && options.partial !== true) continue; // keep counting every bad row, write nothing
    await offline.appendHistory(connection, valid);
    loaded += valid.length;
  }
  if (rejectedCount > 0 && options.partial !== true) {
    const listed = rejected.slice(0, 20).map((problem) => `row ${problem.row}: ${problem.reason}`);
    throw new CtxError(
      "CTX_INVALID_VALUE",
      `load: ${rejectedCount} of ${total} rows in ${JSON.stringify(options.file)} fail source "${source.name}", so nothing was loaded — ${listed.join("; ")}${rejectedCount > listed.length ? `; and ${rejectedCount - listed.length} more` : ""}. Fix them, or pass { partial: true } to load the valid rows and get the rejects back.`,
      { source: source.name, file: options.file, rows: total, rejectedCount, rejected },
    );
  }
  return { source: source.name, file: options.file, rows: total, loaded, rejectedCount, rejected };
}

function defaultKeyColumns(entity: Entity): Record<string, string> {
  const shape = (entity.key as { shape?: Record<string, unknown> }).shape;
  if (!shape || typeof shape !== "object") {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `load: entity "${entity.name}" has no object key schema to take column names from; pass { key: { field: "column" } }.`,
      {
        entity: entity.name,
      },
    );
  }
  return Object.fromEntries(Object.keys(shape).map((field) => [field, field]));
}

/**
 * Whether a source's schema takes only text: a zod string, string enum, string literal or template
 * literal, possibly optional, nullable, defaulted, readonly, piped, or a union of these.
 */
function takesOnlyText(source: AnySource): boolean {
  return isTextSchema(source.schema);
}

interface ZodDefinition {
  type?: string;
  innerType?: unknown;
  in?: unknown;
  options?: readonly unknown[];
  entries?: Record<string, unknown>;
  values?: readonly unknown[];
}

function isTextSchema(schema: unknown, depth = 0): boolean {
  const definition = (schema as { _zod?: { def?: ZodDefinition } } | undefined)?._zod?.def;
  if (!definition || depth > 20) return false;
  switch (definition.type) {
    case "string":
    case "template_literal":
      return true;
    case "enum":
      return Object.values(definition.entries ?? {}).every((entry) => typeof entry === "string");
    case "literal":
      return (definition.values ?? []).every((entry) => typeof entry === "string");
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
      return isTextSchema(definition.innerType, depth + 1);
    case "pipe":
      return isTextSchema(definition.in, depth + 1);
    case "union":
      return (
        (definition.options ?? []).length > 0 &&
        (definition.options ?? []).every((option) => isTextSchema(option, depth + 1))
      );
    default:
      return false;
  }
}

function isText(type: string): boolean {
  return type.toUpperCase() === "VARCHAR";
}

function singleValueSql(column: string, type: string): string {
  const quoted = quoteIdentifier(column);
  if (type.toUpperCase() === "JSON" || isText(type)) return `${quoted}::VARCHAR`;
  return `to_json(${quoted})::VARCHAR`;
}
