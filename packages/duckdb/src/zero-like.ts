// What the phantom-zero guard counts as "zero-like": the shapes a broken upstream job writes in place
// of real values (a failed join that leaves an identifier and zeroed metrics, "N/A", "0", nulls).
//
// The default rule, for one value:
// - `empty()`, null, false, the number 0 and a placeholder string are zero-like leaves. Placeholders:
//   blank text (any whitespace, zero-width spaces included), a zero written as text ("0", "0.00",
//   "-0"), "N/A", "NA", "null", "None", "nil", "undefined", "NaN", "unknown", "-", "—", "?"
//   (case-insensitive, surrounding blanks ignored);
// - a non-zero number and `true` are information: a value holding one is never zero-like;
// - any other string is information too, except the value of an identifier field (`id`, `name`,
//   `email`, `code`, `title`, `sku`, ... and `*_id`, `customerId`, `displayName`, ...) in a value that
//   also holds a zero-like leaf: that is looked through (`{ name: "Customer 7", orders: 0 }` is the
//   zeroed record of a broken join; `{ plan: "Pro", orders: 0 }` says the plan, `["vip"]` lists tags);
// - arrays and objects are zero-like when everything in them is ([], {}, [0, 0], [{}], nested zeros).
//
// It runs in SQL over the stored JSON text as three RE2 expressions (linear, no JSON parsing), which
// keeps materialization at the speed it was tuned to; `isZeroLike` is the same rule in JavaScript,
// and test/zero-like.test.ts checks the two agree on generated values.
import { type AnySource, CtxError, empty, isEmpty } from "@ctxstore/core";
import type { DuckDBConnection } from "@duckdb/node-api";
import { uniqueName } from "./labels.js";
import { queryRows, quoteLiteral } from "./sql.js";

const WS = "[ \\t\\n\\r]*";
const ZERO_NUMBER = "-?0(?:\\.0+)?(?:[eE][+-]?[0-9]+)?";
const STRING = '"(?:[^"\\\\]|\\\\.)*"';
/** One blank character inside a JSON string, raw or escaped. */
const BLANK =
  "(?:[\\p{Zs}\\t\\n\\r\\x{200B}\\x{200C}\\x{200D}\\x{2060}\\x{FEFF}]|\\\\[tnr]|\\\\u(?:00(?:09|0[aAdD]|20|[aA]0)|200[bBcCdD]|2060|[fF][eE][fF][fF]))";
const PLACEHOLDER_WORD =
  "(?i:n(?:/|\\\\/)a|na|null|none|nil|undefined|nan|unknown|-?0+(?:[.,]0+)?|[-\\x{2013}\\x{2014}?]+)";
const PLACEHOLDER = `"${BLANK}*(?:${PLACEHOLDER_WORD}${BLANK}*)?"`;
const STRUCTURE = "[\\[\\]{},: \\t\\n\\r]";
/** An identifier field's key (the JSON text of it). */
const IDENTIFIER_KEY =
  '"(?:(?i:[a-z0-9_]*[_-](?:id|key|name|code|uuid)|id|uuid|key|name|email|slug|code|label|title|handle|username|display_?name|sku|ref)|[A-Za-z0-9]*(?:Id|ID|Key|Name|Code|Uuid|UUID))"';
const LEAF = `null|false|${ZERO_NUMBER}|${PLACEHOLDER}`;
/** Every token zero-like, identifier fields of any text allowed (looked through). */
const LENIENT = `(?:${STRUCTURE}|${LEAF}|${IDENTIFIER_KEY}${WS}:${WS}${STRING}|${STRING}${WS}:)*`;
/** Every token zero-like, no identifiers. */
const STRICT = `(?:${STRUCTURE}|${LEAF}|${STRING}${WS}:)*`;
/** Holds a zero-like leaf outside strings (what makes field texts identifiers). */
// A placeholder followed by a comma, a closing bracket or the end is a value (a key is followed by ":").
const HAS_LEAF = `^(?:${STRING}|[^"])*?(?:null|false|[0-9]|${PLACEHOLDER}${WS}(?:[,\\]}]|$))`;

/** SQL: is this JSON text zero-like by the default rule? `text` is a VARCHAR expression. */
export function defaultZeroTextSql(text: string): string {
  // CASE, not AND: DuckDB evaluates both sides of an AND for every row, while a CASE branch runs only
  // for the rows that reach it. Most values fail the first expression within a few bytes.
  return `(CASE WHEN regexp_full_match(${text}, ${quoteLiteral(LENIENT)}) THEN (regexp_full_match(${text}, ${quoteLiteral(STRICT)}) OR regexp_matches(${text}, ${quoteLiteral(HAS_LEAF)})) ELSE false END)`;
}

/** SQL: is this value zero-like (`empty()` included)? `value` is a JSON column. */
export function zeroSql(value: string, isEmptyColumn: string): string {
  return `(${isEmptyColumn} OR ${value} IS NULL OR ${defaultZeroTextSql(`${value}::VARCHAR`)})`;
}

/**
 * SQL for a source that declares its informative fields: zero-like when each of them is (a field
 * that is absent counts as zero-like). Paths are dot-separated: `"stats.orders"`.
 */
export function fieldsZeroSql(value: string, isEmptyColumn: string, fields: readonly string[]): string {
  const each = fields.map((field) => {
    const path = `$${field
      .split(".")
      .map((part) => `."${part.replaceAll('"', '\\"')}"`)
      .join("")}`;
    const extracted = `json_extract(${value}, ${quoteLiteral(path)})`;
    return `(${extracted} IS NULL OR ${defaultZeroTextSql(`${extracted}::VARCHAR`)})`;
  });
  return `(${isEmptyColumn} OR ${value} IS NULL OR (${each.join(" AND ") || "TRUE"}))`;
}

const BLANK_CHARS = "\\p{Zs}\\t\\n\\r\\u200B\\u200C\\u200D\\u2060\\uFEFF";
const PLACEHOLDER_TEXT = new RegExp(
  `^[${BLANK_CHARS}]*(?:(?:n/a|na|null|none|nil|undefined|nan|unknown|-?0+(?:[.,]0+)?|[-\\u2013\\u2014?]+)[${BLANK_CHARS}]*)?$`,
  "iu",
);

const IDENTIFIER_KEYS = [
  /^(?:[a-z0-9_]*[_-](?:id|key|name|code|uuid)|id|uuid|key|name|email|slug|code|label|title|handle|username|display_?name|sku|ref)$/i,
  /^[A-Za-z0-9]*(?:Id|ID|Key|Name|Code|Uuid|UUID)$/,
];

/** Is this field name an identifier's (`id`, `name`, `customer_id`, `displayName`, ...)? */
export function isIdentifierKey(key: string): boolean {
  return IDENTIFIER_KEYS.some((pattern) => pattern.test(key));
}

/** Is this text a placeholder (blank, "0", "N/A", "None", "-", ...)? */
export function isPlaceholderText(text: string): boolean {
  return PLACEHOLDER_TEXT.test(text);
}

/**
 * The guard's default zero-like rule in JavaScript (see the top of this module): `empty()`, null,
 * false, 0, placeholder strings, and records of those whose other fields are identifiers.
 */
export function isZeroLike(value: unknown): boolean {
  if (value === undefined || isEmpty(value)) return true;
  const seen = { information: false, leaf: false, fieldText: false };
  walk(value, false, seen);
  return !seen.information && (!seen.fieldText || seen.leaf);
}

function walk(
  value: unknown,
  isField: boolean,
  seen: { information: boolean; leaf: boolean; fieldText: boolean },
): void {
  if (seen.information) return;
  if (value === null || value === false || value === 0) {
    seen.leaf = true;
  } else if (typeof value === "string") {
    if (isPlaceholderText(value)) seen.leaf = true;
    else if (isField) seen.fieldText = true;
    else seen.information = true;
  } else if (Array.isArray(value)) {
    for (const item of value) walk(item, false, seen);
  } else if (typeof value === "object") {
    for (const [key, field] of Object.entries(value as Record<string, unknown>))
      walk(field, isIdentifierKey(key), seen);
  } else {
    // true, a non-zero number (NaN and Infinity are not JSON; they cannot be stored).
    seen.information = true;
  }
}

/**
 * Sets is_zero on the rows of a candidate table (rowid, value, is_empty, empty_reason) that a
 * source's own isZeroLike(value) calls zero-like: one extra read of the run, page by page.
 */
export async function markZeroLike(
  connection: DuckDBConnection,
  table: string,
  isZeroLikeValue: (value: unknown) => boolean,
  source: AnySource,
  pageRows: number,
): Promise<void> {
  const marks = uniqueName("ctx_zero_marks");
  await connection.run(`CREATE TEMP TABLE ${marks} (row_id BIGINT)`);
  try {
    const [stats] = await queryRows(connection, `SELECT coalesce(max(rowid), -1) AS last_row FROM ${table}`);
    const lastRow = Number(stats?.last_row ?? -1);
    for (let first = 0; first <= lastRow; first += pageRows) {
      const rows = await queryRows(
        connection,
        `SELECT rowid AS row_id, value::VARCHAR AS value, is_empty, empty_reason FROM ${table} WHERE rowid BETWEEN ${first} AND ${first + pageRows - 1}`,
      );
      const appender = await connection.createAppender(marks);
      try {
        for (const row of rows) {
          const value =
            row.is_empty === true
              ? empty(row.empty_reason === null ? undefined : String(row.empty_reason))
              : row.value === null
                ? null
                : JSON.parse(String(row.value));
          let zeroLike: boolean;
          try {
            zeroLike = isZeroLikeValue(value) === true;
          } catch (error) {
            throw new CtxError(
              "CTX_CONFIG",
              `materialize guard.sources.${source.name}.isZeroLike threw (${(error as Error).message}); nothing was published. Make it return true or false for every value.`,
              { source: source.name },
              { cause: error },
            );
          }
          if (zeroLike) {
            appender.appendBigInt(BigInt(Number(row.row_id)));
            appender.endRow();
          }
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    }
    await connection.run(`UPDATE ${table} SET is_zero = true WHERE rowid IN (SELECT row_id FROM ${marks})`);
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${marks}`);
  }
}
