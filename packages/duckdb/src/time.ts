// Timestamps in the offline store are whole epoch milliseconds, UTC. Everything that enters (label
// events, recorded writes, bulk files) is checked and normalised here, and only forms that name one
// moment whatever the machine's time zone are taken: a Date, whole epoch milliseconds, or ISO 8601
// (an offset-less ISO string is UTC). "2025/01/01 10:00:00" or "Jan 1 2025" would be read by
// JavaScript in the local zone, so they are refused rather than guessed.
import { CtxError } from "@ctxstore/core";

/** The largest |epoch ms| a JavaScript Date can hold (±100,000,000 days around 1970). */
export const MAX_EPOCH_MS = 8_640_000_000_000_000;

/**
 * ISO 8601 date or date-time, as RE2 and JavaScript both read it: `YYYY-MM-DD`, optionally `T` (or a
 * space) `HH:MM`, `:SS`, `.fraction`, and an offset `Z`, `±HH`, `±HHMM` or `±HH:MM` (none means UTC).
 * Groups: year, month, day, hour, minute, second, fraction, offset.
 */
export const ISO_TIMESTAMP_PATTERN =
  "(\\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])(?:[T ]([01]\\d|2[0-3]):([0-5]\\d)(?::([0-5]\\d)(?:\\.(\\d{1,9}))?)?(Z|[+-](?:[01]\\d|2[0-3])(?::?[0-5]\\d)?)?)?";
const ISO_TIMESTAMP = new RegExp(`^${ISO_TIMESTAMP_PATTERN}$`);

const ISO_EXAMPLE = "e.g. 2025-01-01T10:00:00Z or 2025-01-01T12:00:00+02:00; no offset means UTC";
const ACCEPTED =
  "a Date, whole epoch milliseconds, or an ISO 8601 string (YYYY-MM-DD, optionally THH:MM[:SS[.mmm]] and an offset Z or ±HH:MM; no offset means UTC)";

/** A checked timestamp: whole epoch milliseconds, or why the input is not one. */
export type TimestampCheck = { readonly ms: number } | { readonly problem: string };

/**
 * Epoch milliseconds (UTC) from a Date, whole epoch milliseconds (number or bigint), or an ISO 8601
 * string with or without an offset (none means UTC), or the reason the input is refused: another
 * string form, NaN or Infinity, a fraction of a millisecond, a moment beyond the Date range.
 */
export function checkTimestamp(input: unknown): TimestampCheck {
  if (input instanceof Date) {
    const value = input.getTime();
    return Number.isNaN(value) ? { problem: "is an Invalid Date" } : { ms: value };
  }
  if (typeof input === "number") return checkEpochMs(input, String(input));
  if (typeof input === "bigint") {
    if (input > BigInt(MAX_EPOCH_MS) || input < -BigInt(MAX_EPOCH_MS)) return outOfRange(`${input}n`);
    return { ms: Number(input) };
  }
  if (typeof input === "string") return checkIsoText(input);
  if (input === undefined || input === null) return { problem: "is missing" };
  return { problem: `is ${describe(input)} (${typeof input}), not ${ACCEPTED}` };
}

function checkEpochMs(value: number, shown: string): TimestampCheck {
  if (Number.isNaN(value)) return { problem: "is NaN, not a moment" };
  if (!Number.isFinite(value)) return { problem: `is ${shown}, not a moment` };
  if (Math.abs(value) > MAX_EPOCH_MS) return outOfRange(shown);
  if (!Number.isInteger(value)) {
    return {
      problem: `is ${shown}, a fraction of a millisecond; the offline store keeps whole epoch milliseconds, so round it (Math.round) before recording`,
    };
  }
  return { ms: value === 0 ? 0 : value }; // -0 is 0
}

function outOfRange(shown: string): TimestampCheck {
  return {
    problem: `is ${shown} epoch milliseconds, beyond the range of dates (±${MAX_EPOCH_MS}, about ±275,000 years); were these microseconds or nanoseconds?`,
  };
}

function checkIsoText(input: string): TimestampCheck {
  const text = input.trim();
  const match = ISO_TIMESTAMP.exec(text);
  if (!match) {
    return {
      problem: `${JSON.stringify(input)} is not ISO 8601 (${ISO_EXAMPLE}): other text forms are refused, JavaScript would read them in the machine's local time zone`,
    };
  }
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  if (fraction !== undefined && /[1-9]/.test(fraction.slice(3))) {
    return {
      problem: `${JSON.stringify(input)} has digits below the millisecond; the offline store keeps whole milliseconds, so cut or round them first`,
    };
  }
  const fields = [year, month, day, hour ?? "0", minute ?? "0", second ?? "0"].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millisecond = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
  const date = new Date(0);
  date.setUTCFullYear(fields[0], fields[1] - 1, fields[2]);
  date.setUTCHours(fields[3], fields[4], fields[5], millisecond);
  if (date.getUTCDate() !== fields[2]) {
    return {
      problem: `${JSON.stringify(input)} is not a date of the calendar (day ${fields[2]} of month ${fields[1]})`,
    };
  }
  return { ms: date.getTime() - offsetMinutes(offset) * 60_000 };
}

function offsetMinutes(offset: string | undefined): number {
  if (offset === undefined || offset === "Z") return 0;
  const digits = offset.slice(1).replace(":", "");
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
  return offset.startsWith("-") ? -minutes : minutes;
}

/** Epoch milliseconds, or undefined when `checkTimestamp` refuses the input. */
export function parseTimestamp(input: unknown): number | undefined {
  const checked = checkTimestamp(input);
  return "ms" in checked ? checked.ms : undefined;
}

/** Like `checkTimestamp`, but throws `CTX_INVALID_REQUEST` naming `what` and the problem. */
export function requireTimestamp(input: unknown, what: string): number {
  const checked = checkTimestamp(input);
  if ("problem" in checked) {
    throw new CtxError("CTX_INVALID_REQUEST", `${what} ${checked.problem}.`, { what });
  }
  return checked.ms;
}

export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "bigint") return `${value}n`;
  // JSON would show NaN and Infinity as null.
  if (typeof value === "number") return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** SQL for one column's timestamp: `ms` (BIGINT epoch ms or NULL) and `problem` (VARCHAR or NULL). */
export interface TimestampSql {
  readonly ms: string;
  readonly problem: string;
}

/**
 * SQL that checks column `column` of DuckDB type `type` by the same rules as `checkTimestamp`.
 * Integers are epoch milliseconds; naive TIMESTAMP columns and ISO text without an offset are UTC
 * (the connection's TimeZone is pinned to UTC). `problem` is NULL for a NULL cell: callers report
 * a missing time themselves.
 */
export function timestampSql(column: string, type: string): TimestampSql {
  const upper = type.toUpperCase();
  const range = (ms: string) => `abs(${ms}) > ${MAX_EPOCH_MS}`;
  const rangeProblem = (shown: string) =>
    `'is ' || ${shown} || ' epoch milliseconds, beyond the range of dates (±${MAX_EPOCH_MS}); were these microseconds or nanoseconds?'`;
  if (upper === "TIMESTAMP_NS") {
    return {
      ms: `CASE WHEN epoch_ns(${column}) % 1000000 = 0 THEN epoch_ms(${column}::TIMESTAMP) END`,
      problem: `CASE WHEN epoch_ns(${column}) % 1000000 <> 0 THEN ${column}::VARCHAR || ' has digits below the millisecond; the offline store keeps whole milliseconds, so truncate the column first (date_trunc(''millisecond'', ...))' END`,
    };
  }
  if (upper.startsWith("TIMESTAMP") || upper === "DATE") {
    const timestamp =
      upper === "TIMESTAMP WITH TIME ZONE" || upper === "TIMESTAMPTZ" ? column : `${column}::TIMESTAMP`;
    const finite = `isfinite(${column})`;
    const ms = `TRY(epoch_ms(${timestamp}))`;
    return {
      ms: `CASE WHEN ${finite} AND epoch_us(${timestamp}) % 1000 = 0 AND NOT ${range(ms)} THEN ${ms} END`,
      problem: `CASE WHEN ${column} IS NULL THEN NULL WHEN NOT ${finite} THEN ${column}::VARCHAR || ' is not a moment'
        WHEN epoch_us(${timestamp}) % 1000 <> 0 THEN ${column}::VARCHAR || ' has digits below the millisecond; the offline store keeps whole milliseconds, so truncate the column first (date_trunc(''millisecond'', ...))'
        WHEN ${ms} IS NULL OR ${range(ms)} THEN ${column}::VARCHAR || ' is beyond the range of dates' END`,
    };
  }
  if (
    [
      "BIGINT",
      "INTEGER",
      "HUGEINT",
      "UBIGINT",
      "UINTEGER",
      "SMALLINT",
      "TINYINT",
      "USMALLINT",
      "UTINYINT",
      "UHUGEINT",
    ].includes(upper)
  ) {
    return integerSql(column, `${column}::VARCHAR`, rangeProblem);
  }
  if (upper === "DOUBLE" || upper === "FLOAT" || upper.startsWith("DECIMAL")) {
    return doubleSql(`${column}::DOUBLE`, `${column}::VARCHAR`, rangeProblem);
  }
  if (upper === "JSON") {
    // JSON Lines with mixed cells (strings in some rows, numbers in others) arrive as JSON.
    const text = textSql(`(${column}->>'$')`);
    const integer = integerSql(`${column}::VARCHAR`, `${column}::VARCHAR`, rangeProblem);
    const double = doubleSql(`TRY_CAST(${column}::VARCHAR AS DOUBLE)`, `${column}::VARCHAR`, rangeProblem);
    const kind = `json_type(${column})`;
    return {
      ms: `CASE ${kind} WHEN 'VARCHAR' THEN ${text.ms} WHEN 'BIGINT' THEN ${integer.ms} WHEN 'UBIGINT' THEN ${integer.ms} WHEN 'DOUBLE' THEN ${double.ms} END`,
      problem: `CASE WHEN ${column} IS NULL OR ${kind} = 'NULL' THEN NULL WHEN ${kind} = 'VARCHAR' THEN ${text.problem}
        WHEN ${kind} IN ('BIGINT', 'UBIGINT') THEN ${integer.problem} WHEN ${kind} = 'DOUBLE' THEN ${double.problem}
        ELSE ${column}::VARCHAR || ' is not ${ACCEPTED.replaceAll("'", "''")}' END`,
    };
  }
  if (upper === "VARCHAR") return textSql(column);
  return {
    ms: "NULL::BIGINT",
    problem: `CASE WHEN ${column} IS NULL THEN NULL ELSE ${column}::VARCHAR || ' (a ${type.replaceAll("'", "''")} column) is not ${ACCEPTED.replaceAll("'", "''")}' END`,
  };
}

function integerSql(column: string, shown: string, rangeProblem: (shown: string) => string): TimestampSql {
  const ms = `TRY_CAST(${column} AS BIGINT)`;
  const bad = `${ms} IS NULL OR abs(${ms}) > ${MAX_EPOCH_MS}`;
  return {
    ms: `CASE WHEN ${bad} THEN NULL ELSE ${ms} END`,
    problem: `CASE WHEN ${column} IS NULL THEN NULL WHEN ${bad} THEN ${rangeProblem(shown)} END`,
  };
}

function doubleSql(value: string, shown: string, rangeProblem: (shown: string) => string): TimestampSql {
  const bad = `isnan(${value}) OR isinf(${value}) OR abs(${value}) > ${MAX_EPOCH_MS} OR ${value} <> trunc(${value})`;
  return {
    ms: `CASE WHEN ${bad} THEN NULL ELSE ${value}::BIGINT END`,
    problem: `CASE WHEN ${value} IS NULL THEN NULL WHEN isnan(${value}) OR isinf(${value}) THEN 'is ' || ${shown} || ', not a moment'
      WHEN abs(${value}) > ${MAX_EPOCH_MS} THEN ${rangeProblem(shown)}
      WHEN ${value} <> trunc(${value}) THEN 'is ' || ${shown} || ', a fraction of a millisecond; the offline store keeps whole epoch milliseconds, so round the column first' END`,
  };
}

function textSql(column: string): TimestampSql {
  const text = `trim(${column}::VARCHAR)`;
  const iso = `regexp_full_match(${text}, '${ISO_TIMESTAMP_PATTERN}')`;
  const subMs = `regexp_matches(${text}, '\\.\\d{3}\\d*[1-9]')`;
  const ms = `epoch_ms(TRY_CAST(${text} AS TIMESTAMPTZ))`;
  return {
    ms: `CASE WHEN ${iso} AND NOT ${subMs} THEN ${ms} END`,
    problem: `CASE WHEN ${column} IS NULL THEN NULL
      WHEN NOT ${iso} THEN to_json(${text})::VARCHAR || ' is not ISO 8601 (${ISO_EXAMPLE}): other text forms are refused, JavaScript would read them in the machine''s local time zone'
      WHEN ${subMs} THEN to_json(${text})::VARCHAR || ' has digits below the millisecond; the offline store keeps whole milliseconds, so cut or round them first'
      WHEN ${ms} IS NULL THEN to_json(${text})::VARCHAR || ' is not a date of the calendar' END`,
  };
}
