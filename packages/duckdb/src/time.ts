// Timestamps in the offline store are epoch milliseconds, UTC. Everything that enters (label events,
// recorded writes, bulk files) is normalised here, so mixed time zones compare correctly.
import { CtxError } from "@ctxstore/core";

// An ISO-8601 date or date-time WITHOUT an offset. JavaScript would read the date-time form as local
// time; ctxstore reads it as UTC so a dataset built on a laptop in Berlin equals one built in CI.
const NAIVE_ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?$/;

/**
 * Epoch milliseconds (UTC) from a Date, epoch milliseconds, a bigint, or an ISO-8601 string with or
 * without an offset (`Z`, `+02:00`; none means UTC). Returns undefined when it is none of these.
 */
export function parseTimestamp(input: unknown): number | undefined {
  if (input instanceof Date) {
    const value = input.getTime();
    return Number.isFinite(value) ? value : undefined;
  }
  if (typeof input === "number") return Number.isFinite(input) ? Math.trunc(input) : undefined;
  if (typeof input === "bigint") return Number(input);
  if (typeof input !== "string") return undefined;
  const text = input.trim();
  if (text === "") return undefined;
  const naive = NAIVE_ISO.exec(text);
  const value = naive ? Date.parse(`${naive[1]}T${naive[2] ?? "00:00:00"}Z`) : Date.parse(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Like `parseTimestamp`, but throws `CTX_INVALID_REQUEST` naming `what`. */
export function requireTimestamp(input: unknown, what: string): number {
  const value = parseTimestamp(input);
  if (value === undefined) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${what} must be a Date, epoch milliseconds or an ISO-8601 string (no offset means UTC); got ${describe(input)}.`,
      { what },
    );
  }
  return value;
}

export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "bigint") return `${value}n`;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/**
 * SQL that turns column `column` of DuckDB type `type` into epoch milliseconds (BIGINT), or NULL when
 * the cell cannot be read as a timestamp. Integers are epoch milliseconds; naive timestamps and
 * strings without an offset are UTC (the connection's TimeZone is pinned to UTC).
 */
export function epochMsSql(column: string, type: string): string {
  const upper = type.toUpperCase();
  if (upper === "TIMESTAMP WITH TIME ZONE" || upper === "TIMESTAMPTZ") return `epoch_ms(${column})`;
  if (upper.startsWith("TIMESTAMP")) return `epoch_ms(${column}::TIMESTAMP)`;
  if (upper === "DATE") return `epoch_ms(${column}::TIMESTAMP)`;
  if (["BIGINT", "INTEGER", "HUGEINT", "UBIGINT", "UINTEGER", "SMALLINT"].includes(upper))
    return `TRY_CAST(${column} AS BIGINT)`;
  if (upper === "DOUBLE" || upper === "FLOAT" || upper.startsWith("DECIMAL"))
    return `TRY_CAST(trunc(${column}) AS BIGINT)`;
  if (upper === "JSON") {
    // JSON Lines with mixed cells (strings in some rows, numbers in others) arrive as JSON.
    return `CASE json_type(${column}) WHEN 'VARCHAR' THEN epoch_ms(TRY_CAST(trim(${column}->>'$') AS TIMESTAMPTZ))
      WHEN 'BIGINT' THEN TRY_CAST(${column}::VARCHAR AS BIGINT) WHEN 'UBIGINT' THEN TRY_CAST(${column}::VARCHAR AS BIGINT)
      WHEN 'DOUBLE' THEN TRY_CAST(trunc(TRY_CAST(${column}::VARCHAR AS DOUBLE)) AS BIGINT) END`;
  }
  return `epoch_ms(TRY_CAST(trim(${column}::VARCHAR) AS TIMESTAMPTZ))`;
}
