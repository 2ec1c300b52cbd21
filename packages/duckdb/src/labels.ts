// Label events: the moments a training example is about (a ticket filed, an order placed), with
// the entity keys they concern. They are validated in full before any query runs, then staged in a
// temporary DuckDB table that point-in-time joins read.
import { type AnySource, CtxError, checkTenantId, type Entity } from "@ctxstore/core";
import { canonicalize, describeIssues, stableJson } from "@ctxstore/core/store";
import type { DuckDBConnection } from "@duckdb/node-api";
import { describeColumns, queryRows, quoteIdentifier, quoteLiteral, toPlainRow } from "./sql.js";
import { checkTimestamp, describe, timestampSql } from "./time.js";

/** One label event given from JavaScript. Other fields (input, label, ids) are kept as columns. */
export interface LabelEvent {
  /** The point in time: Date, epoch ms or ISO-8601 (no offset means UTC). */
  timestamp: Date | number | string;
  /** Entity keys by entity name: `{ user: { userId: "u1" } }`. An entity left out reads as `skipped`. */
  keys: Readonly<Record<string, unknown>>;
  /**
   * On a multi-tenant offline store: whose moment this is (default: the query's `tenant`). Its
   * values are that tenant's only. On a single-tenant store a `tenant` field is an ordinary column.
   */
  tenant?: string;
  readonly [column: string]: unknown;
}

/** Label events already in DuckDB (a table/view name) or in a Parquet, CSV or JSON Lines file. */
export interface LabelRelation {
  /** A table or view in the offline store's database... */
  table?: string;
  /** ...or a file path (format from the extension: .parquet, .csv, .jsonl/.ndjson/.json). */
  file?: string;
  /** Column holding the point in time. */
  timestamp: string;
  /** Columns holding each entity's key fields: `{ user: { userId: "user_id" } }`. */
  keys: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Multi-tenant offline store: the column holding each label's tenant (default: the query's `tenant` for every row). */
  tenant?: string;
}

/**
 * Label events for a dataset or point-in-time read: JavaScript objects, or a DuckDB table or a
 * Parquet/CSV/JSON Lines file with the timestamp and key columns named.
 */
export type LabelInput = readonly LabelEvent[] | LabelRelation;

/** How labels are scoped: on a multi-tenant store every label has a tenant, its own or `tenant`. */
export interface LabelTenancy {
  readonly multi: boolean;
  /** The query's tenant, the default of every label (checked by the caller). */
  readonly tenant: string | undefined;
}

export interface StagedLabels {
  /**
   * Temp table: ctx_row (1-based), ctx_ts (epoch ms), ctx_tenant ("" on a single-tenant store),
   * ctx_key_<entity>, ctx_keyjson_<entity>, then the label's own columns.
   */
  readonly table: string;
  readonly count: number;
  readonly entities: readonly string[];
  /** Label columns other than the staged ones, in order. */
  readonly columns: readonly string[];
  /** Whether ctx_tenant scopes each label (a multi-tenant store): every join then matches on it. */
  readonly multiTenant: boolean;
  /** Multi-tenant point-in-time queries: temp table (tenant) of the labels' tenants the history holds rows of. */
  readonly knownTenants?: string;
}

/**
 * SQL for joins over staged labels: on a multi-tenant store, the tenant column to select and the
 * condition matching two relations' tenants; nothing on a single-tenant store (its SQL is unchanged).
 */
export function tenantJoin(labels: Pick<StagedLabels, "multiTenant">) {
  const multi = labels.multiTenant;
  return {
    /** `, <expression> AS tenant` in a select list. */
    select: (expression: string) => (multi ? `, ${expression} AS tenant` : ""),
    /** ` AND a.tenant = b.tenant` in an ON clause. */
    match: (left: string, right: string) => (multi ? ` AND ${left}.tenant = ${right}.tenant` : ""),
    /** `tenant, ` at the head of a PARTITION BY list. */
    partition: (alias?: string) => (multi ? `${alias === undefined ? "" : `${alias}.`}tenant, ` : ""),
  };
}

/** A label or load row that was refused, with its 1-based row number and why. */
export interface RowProblem {
  /** 1-based row number (array position + 1, or data row in the file/table). */
  readonly row: number;
  readonly reason: string;
}

const MAX_LISTED = 20;

export function keyColumn(entity: string): string {
  return `ctx_key_${entity}`;
}

export function keyJsonColumn(entity: string): string {
  return `ctx_keyjson_${entity}`;
}

/** Entities the sources need keys for. */
export function entitiesOf(sources: readonly AnySource[]): Map<string, Entity> {
  const entities = new Map<string, Entity>();
  for (const source of sources) {
    const entity = source.entity as Entity | undefined;
    if (entity) entities.set(entity.name, entity);
  }
  return entities;
}

let stagedCounter = 0;

export function uniqueName(prefix: string): string {
  stagedCounter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${stagedCounter}`;
}

/** A DuckDB table function reading `file`; the format comes from `format` or the file extension. */
export function fileRelation(
  file: string,
  format?: "parquet" | "csv" | "jsonl",
  /** CSV columns to read as text whatever they look like (DuckDB would guess numbers, JSON...). */
  textColumns: readonly string[] = [],
): string {
  const lower = file.toLowerCase();
  const path = quoteLiteral(file);
  const detected =
    format ??
    (lower.endsWith(".parquet")
      ? "parquet"
      : lower.endsWith(".csv") || lower.endsWith(".tsv")
        ? "csv"
        : lower.endsWith(".jsonl") || lower.endsWith(".ndjson") || lower.endsWith(".json")
          ? "jsonl"
          : undefined);
  if (detected === "parquet") return `read_parquet(${path})`;
  if (detected === "csv") {
    const types = textColumns.map((column) => `${quoteLiteral(column)}: 'VARCHAR'`).join(", ");
    return `read_csv(${path}, header = true${types ? `, types = {${types}}` : ""})`;
  }
  if (detected === "jsonl") return `read_json(${path}, format = 'newline_delimited')`;
  throw new CtxError(
    "CTX_INVALID_REQUEST",
    `Cannot tell the format of ${JSON.stringify(file)}: use a .parquet, .csv or .jsonl file name, or pass { format }.`,
    { file },
  );
}

function invalid(problems: RowProblem[], total: number, what: string): CtxError {
  const listed = problems.slice(0, MAX_LISTED).map((problem) => `row ${problem.row}: ${problem.reason}`);
  return new CtxError(
    "CTX_INVALID_REQUEST",
    `${total} ${what} ${total === 1 ? "is" : "are"} invalid, so nothing was computed or written — ${listed.join("; ")}${total > listed.length ? `; and ${total - listed.length} more` : ""}. Fix these rows (or filter them out) and run again.`,
    { rows: problems.slice(0, 1000), invalidRows: total },
  );
}

/**
 * Validates label events and stages them; throws `CTX_INVALID_REQUEST` listing bad rows,
 * `CTX_UNKNOWN_ENTITY` for keys of an entity no source uses (as `assemble` does) and
 * `CTX_INVALID_KEY` for key fields the entity's key schema does not have. `known`: other
 * definitions whose entities labels may name without them being retrieved.
 */
export async function stageLabels(
  connection: DuckDBConnection,
  input: LabelInput,
  sources: readonly AnySource[],
  known: readonly AnySource[] = [],
  tenancy: LabelTenancy = { multi: false, tenant: undefined },
): Promise<StagedLabels> {
  const entities = entitiesOf(sources);
  const knownEntities = entitiesOf([...known, ...sources]);
  if (Array.isArray(input))
    return stageArray(connection, input as readonly LabelEvent[], entities, knownEntities, tenancy);
  if (input && typeof input === "object" && ("table" in input || "file" in input)) {
    const relation = input as LabelRelation;
    const mapping = relation.keys && typeof relation.keys === "object" ? relation.keys : {};
    const unknown = Object.keys(mapping).filter((name) => !knownEntities.has(name));
    if (unknown.length > 0)
      throw unknownEntities(
        unknown.map((name) => ({ name, rows: [] })),
        knownEntities,
      );
    for (const [name, fields] of Object.entries(mapping)) {
      const entity = knownEntities.get(name) as Entity;
      const extra = extraFields(entity, Object.keys(fields ?? {}));
      if (extra.length > 0) {
        throw new CtxError(
          "CTX_INVALID_KEY",
          `labels.keys.${name} maps ${extra.map((field) => JSON.stringify(field)).join(", ")}, which the "${name}" key schema does not have (its fields: ${keyFieldsOf(entity)?.join(", ")}); remove ${extra.length === 1 ? "it" : "them"} or fix the spelling.`,
          { entity: name, fields: extra },
        );
      }
    }
    if (relation.tenant !== undefined && !tenancy.multi)
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        "labels.tenant names a tenant column, but this offline store is single-tenant; leave it out.",
        {},
      );
    if (tenancy.multi && relation.tenant === undefined && tenancy.tenant === undefined)
      throw tenantRequired();
    return stageRelation(connection, relation, entities, tenancy);
  }
  throw new CtxError(
    "CTX_INVALID_REQUEST",
    "labels must be an array of { timestamp, keys, ...columns } or { table | file, timestamp, keys: { entity: { keyField: column } } }.",
    {},
  );
}

/** The field names of an object key schema (undefined when the key is not an object schema). */
function tenantRequired(): CtxError {
  return new CtxError(
    "CTX_TENANT_REQUIRED",
    "Label events on a multi-tenant offline store need a tenant: pass { tenant } with the query, a tenant per label event, or labels.tenant (a column); nothing was computed.",
    {},
  );
}

/** Why a label's tenant is refused, or undefined when it is a valid tenant id. */
function tenantProblem(tenant: unknown): string | undefined {
  if (tenant === undefined || tenant === null) return "no tenant (pass one with the query or per label)";
  try {
    checkTenantId(tenant, "labels");
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^labels: /, "");
  }
}

function keyFieldsOf(entity: Entity): string[] | undefined {
  const shape = (entity.key as { shape?: Record<string, unknown> }).shape;
  return shape && typeof shape === "object" ? Object.keys(shape) : undefined;
}

function extraFields(entity: Entity, given: readonly string[]): string[] {
  const fields = keyFieldsOf(entity);
  return fields === undefined ? [] : given.filter((field) => !fields.includes(field));
}

function unknownEntities(
  unknown: ReadonlyArray<{ name: string; rows: readonly number[] }>,
  known: ReadonlyMap<string, Entity>,
): CtxError {
  const names = [...known.keys()];
  const described = unknown.map(({ name, rows }) => {
    const near = names.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    const where =
      rows.length === 0
        ? ""
        : ` (label row${rows.length === 1 ? "" : "s"} ${rows.slice(0, 10).join(", ")}${rows.length > 10 ? `, and ${rows.length - 10} more` : ""})`;
    return `keys.${name}${where}${near ? `: did you mean "${near}"? Entity names are case-sensitive` : ""}`;
  });
  return new CtxError(
    "CTX_UNKNOWN_ENTITY",
    `Label events name ${unknown.length === 1 ? "an entity" : "entities"} no source uses — ${described.join("; ")}. Known entities: ${names.join(", ") || "(none)"}. Nothing was computed; fix the entity names.`,
    { entities: unknown.map(({ name }) => name), rows: unknown.flatMap(({ rows }) => rows.slice(0, 1000)) },
  );
}

async function stageArray(
  connection: DuckDBConnection,
  events: readonly LabelEvent[],
  entities: Map<string, Entity>,
  knownEntities: ReadonlyMap<string, Entity>,
  tenancy: LabelTenancy,
): Promise<StagedLabels> {
  const unknown = new Map<string, number[]>();
  for (const [index, event] of events.entries()) {
    const given = event && typeof event === "object" ? event.keys : undefined;
    if (!given || typeof given !== "object") continue;
    for (const name of Object.keys(given)) {
      if (knownEntities.has(name)) continue;
      const rows = unknown.get(name) ?? [];
      rows.push(index + 1);
      unknown.set(name, rows);
    }
  }
  if (unknown.size > 0)
    throw unknownEntities(
      [...unknown].map(([name, rows]) => ({ name, rows })),
      knownEntities,
    );
  if (
    tenancy.multi &&
    tenancy.tenant === undefined &&
    !events.some((event) => event !== null && typeof event === "object" && event.tenant !== undefined)
  )
    throw tenantRequired();
  const problems: RowProblem[] = [];
  const staged: Array<{
    ts: number;
    tenant: string;
    keys: Map<string, { canonical: string; json: string }>;
    payload: string;
  }> = [];
  const entityNames = [...entities.keys()];
  for (const [index, event] of events.entries()) {
    const row = index + 1;
    if (!event || typeof event !== "object") {
      problems.push({ row, reason: `expected { timestamp, keys }, got ${describe(event)}` });
      continue;
    }
    const checked = checkTimestamp(event.timestamp);
    if ("problem" in checked) {
      problems.push({
        row,
        reason: event.timestamp === undefined ? "no timestamp" : `timestamp ${checked.problem}`,
      });
      continue;
    }
    const ts = checked.ms;
    let tenant = "";
    if (tenancy.multi) {
      const own = event.tenant;
      const problem = tenantProblem(own ?? tenancy.tenant);
      if (problem !== undefined) {
        problems.push({ row, reason: `tenant: ${problem}` });
        continue;
      }
      if (own !== undefined && tenancy.tenant !== undefined && own !== tenancy.tenant) {
        problems.push({
          row,
          reason: `tenant ${JSON.stringify(own)} is not the query's tenant ${JSON.stringify(tenancy.tenant)}`,
        });
        continue;
      }
      tenant = (own ?? tenancy.tenant) as string;
    }
    const keys = new Map<string, { canonical: string; json: string }>();
    const given = event.keys;
    if (!given || typeof given !== "object") {
      problems.push({
        row,
        reason: `keys must be an object of entity keys, e.g. { ${entityNames[0] ?? "user"}: {...} }`,
      });
      continue;
    }
    let bad = false;
    for (const [name, entity] of entities) {
      const raw = (given as Record<string, unknown>)[name];
      if (raw === undefined || raw === null) continue;
      const extra = raw && typeof raw === "object" ? extraFields(entity, Object.keys(raw)) : [];
      if (extra.length > 0) {
        problems.push({
          row,
          reason: `keys.${name} has ${extra.map((field) => JSON.stringify(field)).join(", ")}, which the "${name}" key schema does not have (its fields: ${keyFieldsOf(entity)?.join(", ")})`,
        });
        bad = true;
        break;
      }
      const parsed = entity.key.safeParse(raw);
      if (!parsed.success) {
        problems.push({
          row,
          reason: `keys.${name} ${describe(raw)} fails the "${name}" key schema (${describeIssues(parsed.error.issues)})`,
        });
        bad = true;
        break;
      }
      keys.set(name, { canonical: canonicalize(parsed.data), json: stableJson(parsed.data) });
    }
    if (bad) continue;
    const { timestamp: _timestamp, keys: _keys, ...rest } = event;
    // On a multi-tenant store the tenant is the label's scope (PointInTimeRow.tenant), not a column.
    const { tenant: _tenant, ...scoped } = rest;
    staged.push({ ts, tenant, keys, payload: JSON.stringify(tenancy.multi ? scoped : rest) });
  }
  if (problems.length > 0) throw invalid(problems, problems.length, "label events");
  const table = uniqueName("ctx_labels");
  const names = [...entities.keys()];
  const keyColumns = names
    .map(
      (name) =>
        `${quoteIdentifier(keyColumn(name))} VARCHAR, ${quoteIdentifier(keyJsonColumn(name))} VARCHAR`,
    )
    .join(", ");
  await connection.run(
    `CREATE TEMP TABLE ${table} (ctx_row BIGINT, ctx_ts BIGINT, ctx_tenant VARCHAR${keyColumns ? `, ${keyColumns}` : ""}, ctx_payload JSON)`,
  );
  const appender = await connection.createAppender(table, "main", "temp");
  try {
    for (const [index, event] of staged.entries()) {
      appender.appendBigInt(BigInt(index + 1));
      appender.appendBigInt(BigInt(event.ts));
      appender.appendVarchar(event.tenant);
      for (const name of names) {
        const key = event.keys.get(name);
        if (key) {
          appender.appendVarchar(key.canonical);
          appender.appendVarchar(key.json);
        } else {
          appender.appendNull();
          appender.appendNull();
        }
      }
      appender.appendVarchar(event.payload);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return {
    table,
    count: staged.length,
    entities: names,
    columns: ["ctx_payload"],
    multiTenant: tenancy.multi,
  };
}

async function stageRelation(
  connection: DuckDBConnection,
  input: LabelRelation,
  entities: Map<string, Entity>,
  tenancy: LabelTenancy,
): Promise<StagedLabels> {
  const relation = input.file !== undefined ? fileRelation(input.file) : quoteIdentifier(String(input.table));
  const raw = uniqueName("ctx_labels_raw");
  try {
    await connection.run(
      `CREATE TEMP TABLE ${raw} AS SELECT row_number() OVER () AS ctx_label_row, * FROM ${relation}`,
    );
  } catch (error) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `Could not read label events from ${input.file !== undefined ? JSON.stringify(input.file) : `table ${JSON.stringify(input.table)}`} (${(error as Error).message}).`,
      {},
      { cause: error },
    );
  }
  const columns = await describeColumns(connection, raw);
  const types = new Map(columns.map((column) => [column.name, column.type]));
  const need = (column: string, what: string): string => {
    if (!types.has(column)) {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        `Label events have no column ${JSON.stringify(column)} (${what}); columns are ${[...types.keys()].filter((name) => name !== "ctx_label_row").join(", ")}.`,
        {
          column,
        },
      );
    }
    return column;
  };
  const timestampColumn = need(input.timestamp, "the timestamp");
  const problems: RowProblem[] = [];
  const timestamp = timestampSql(quoteIdentifier(timestampColumn), types.get(timestampColumn) ?? "VARCHAR");
  const tsSql = timestamp.ms;
  const [badTimeCount] = await queryRows(
    connection,
    `SELECT count(*) AS n FROM ${raw} WHERE (${tsSql}) IS NULL`,
  );
  const badTimes =
    Number(badTimeCount?.n ?? 0) === 0
      ? []
      : await queryRows(
          connection,
          `SELECT ctx_label_row AS row, ${timestamp.problem} AS problem FROM ${raw} WHERE (${tsSql}) IS NULL ORDER BY ctx_label_row LIMIT 1000`,
        );
  for (const bad of badTimes) {
    problems.push({
      row: Number(bad.row),
      reason:
        bad.problem === null || bad.problem === undefined
          ? `no ${timestampColumn}`
          : `${timestampColumn} ${String(bad.problem)}`,
    });
  }
  let invalidCount = Number(badTimeCount?.n ?? 0);
  // The tenant of each label: its column's value (each distinct one checked once), or the query's.
  let tenantSql = "''";
  const tenantParams: Record<string, string> = {};
  if (tenancy.multi && input.tenant !== undefined) {
    const column = quoteIdentifier(need(input.tenant, "the tenant"));
    const distinct = await queryRows(connection, `SELECT DISTINCT ${column}::VARCHAR AS tenant FROM ${raw}`);
    const bad = new Map<string | null, string>();
    for (const { tenant } of distinct) {
      const value = tenant === null || tenant === undefined ? null : String(tenant);
      const problem =
        tenantProblem(value ?? undefined) ??
        (tenancy.tenant !== undefined && value !== tenancy.tenant
          ? `tenant ${JSON.stringify(value)} is not the query's tenant ${JSON.stringify(tenancy.tenant)}`
          : undefined);
      if (problem !== undefined) bad.set(value, problem);
    }
    if (bad.size > 0) {
      const badRows = await queryRows(
        connection,
        `SELECT ctx_label_row AS row, ${column}::VARCHAR AS tenant FROM ${raw} ORDER BY ctx_label_row`,
      );
      for (const badRow of badRows) {
        const value = badRow.tenant === null || badRow.tenant === undefined ? null : String(badRow.tenant);
        const problem = bad.get(value);
        if (problem === undefined) continue;
        invalidCount += 1;
        if (problems.length < 1000)
          problems.push({ row: Number(badRow.row), reason: `${input.tenant}: ${problem}` });
      }
    }
    tenantSql = `r.${column}::VARCHAR`;
  } else if (tenancy.multi) {
    tenantSql = "$tenant";
    tenantParams.tenant = tenancy.tenant as string;
  }
  // Keys repeat across label events: validate each distinct key once, then join canonical forms back.
  const mappings: string[] = [];
  for (const [name, entity] of entities) {
    const fields = input.keys?.[name];
    if (!fields) continue;
    const fieldEntries = Object.entries(fields).map(
      ([field, column]) => [field, need(column, `key field ${name}.${field}`)] as const,
    );
    const selectList = fieldEntries.map(([, column]) => quoteIdentifier(column)).join(", ");
    const notNull = fieldEntries.map(([, column]) => `${quoteIdentifier(column)} IS NOT NULL`).join(" AND ");
    const distinct = await connection.runAndReadAll(
      `SELECT DISTINCT ${selectList} FROM ${raw} WHERE ${notNull}`,
    );
    const mapping = uniqueName(`ctx_keys_${name}`);
    await connection.run(
      `CREATE TEMP TABLE ${mapping} (${fieldEntries.map(([, column]) => `${quoteIdentifier(column)} ${types.get(column)}`).join(", ")}, canonical VARCHAR, key_json VARCHAR, problem VARCHAR)`,
    );
    const appender = await connection.createAppender(mapping, "main", "temp");
    let invalidKeys = 0;
    try {
      for (const values of distinct.getRows()) {
        const keyObject: Record<string, unknown> = {};
        const plain = toPlainRow(
          Object.fromEntries(fieldEntries.map(([field], index) => [field, jsValueOf(values[index])])),
        );
        for (const [field] of fieldEntries) keyObject[field] = plain[field];
        for (const [index] of fieldEntries.entries())
          appender.appendValue(values[index] ?? null, distinct.columnType(index));
        const parsed = entity.key.safeParse(keyObject);
        if (parsed.success) {
          appender.appendVarchar(canonicalize(parsed.data));
          appender.appendVarchar(stableJson(parsed.data));
          appender.appendNull();
        } else {
          invalidKeys += 1;
          appender.appendNull();
          appender.appendNull();
          appender.appendVarchar(
            `keys.${name} ${describe(keyObject)} fails the "${name}" key schema (${describeIssues(parsed.error.issues)})`,
          );
        }
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    const on = (alias: string) =>
      fieldEntries
        .map(([, column]) => `r.${quoteIdentifier(column)} = ${alias}.${quoteIdentifier(column)}`)
        .join(" AND ");
    if (invalidKeys > 0) {
      // Only when some distinct key failed: find every label row that uses one.
      const badKeys = await queryRows(
        connection,
        `SELECT r.ctx_label_row AS row, m.problem FROM ${raw} r JOIN ${mapping} m ON ${on("m")} WHERE m.problem IS NOT NULL ORDER BY r.ctx_label_row LIMIT 1000`,
      );
      const [badKeyCount] = await queryRows(
        connection,
        `SELECT count(*) AS n FROM ${raw} r JOIN ${mapping} m ON ${on("m")} WHERE m.problem IS NOT NULL`,
      );
      for (const bad of badKeys) problems.push({ row: Number(bad.row), reason: String(bad.problem) });
      invalidCount += Number(badKeyCount?.n ?? 0);
    }
    const alias = quoteIdentifier(`m_${name}`);
    mappings.push(`LEFT JOIN ${mapping} AS ${alias} ON ${on(alias)}`);
  }
  if (invalidCount > 0) {
    problems.sort((a, b) => a.row - b.row);
    await connection.run(`DROP TABLE IF EXISTS ${raw}`);
    throw invalid(problems, invalidCount, "label rows");
  }
  const table = uniqueName("ctx_labels");
  const joined = [...entities.keys()].filter((name) => input.keys?.[name]);
  const keySelect = [...entities.keys()]
    .map((name) =>
      joined.includes(name)
        ? `${quoteIdentifier(`m_${name}`)}.canonical AS ${quoteIdentifier(keyColumn(name))}, ${quoteIdentifier(`m_${name}`)}.key_json AS ${quoteIdentifier(keyJsonColumn(name))}`
        : `NULL::VARCHAR AS ${quoteIdentifier(keyColumn(name))}, NULL::VARCHAR AS ${quoteIdentifier(keyJsonColumn(name))}`,
    )
    .join(", ");
  const labelColumns = columns.map((column) => column.name).filter((name) => name !== "ctx_label_row");
  const reserved = labelColumns.filter((name) => name.startsWith("ctx_"));
  if (reserved.length > 0) {
    await connection.run(`DROP TABLE IF EXISTS ${raw}`);
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `Label columns starting with "ctx_" are reserved for ctxstore's own columns; rename ${reserved.join(", ")}.`,
      { columns: reserved },
    );
  }
  await connection.run(
    `CREATE TEMP TABLE ${table} AS SELECT r.ctx_label_row AS ctx_row, ${tsSql.replaceAll(quoteIdentifier(timestampColumn), `r.${quoteIdentifier(timestampColumn)}`)} AS ctx_ts, ${tenantSql} AS ctx_tenant${keySelect ? `, ${keySelect}` : ""}${labelColumns.length > 0 ? `, ${labelColumns.map((name) => `r.${quoteIdentifier(name)}`).join(", ")}` : ""}
     FROM ${raw} r ${mappings.join(" ")}`,
    Object.keys(tenantParams).length > 0 ? tenantParams : undefined,
  );
  await connection.run(`DROP TABLE IF EXISTS ${raw}`);
  const [count] = await queryRows(connection, `SELECT count(*) AS n FROM ${table}`);
  return {
    table,
    count: Number(count?.n ?? 0),
    entities: [...entities.keys()],
    columns: labelColumns,
    multiTenant: tenancy.multi,
  };
}

function jsValueOf(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  return String(value);
}
