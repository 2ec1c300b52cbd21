// Small SQL helpers shared by the offline store's modules: identifier/literal quoting and reading
// DuckDB results into plain JavaScript values.
import type { DuckDBConnection } from "@duckdb/node-api";

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export type Row = Record<string, unknown>;

/** Runs a query and returns its rows with BIGINTs as numbers (epoch ms and counts fit in 2^53). */
export async function queryRows(
  connection: DuckDBConnection,
  sql: string,
  values?: Record<string, string | number | boolean | null>,
): Promise<Row[]> {
  const reader =
    values === undefined
      ? await connection.runAndReadAll(sql)
      : await connection.runAndReadAll(sql, values as never);
  return reader.getRowObjectsJS().map(toPlainRow);
}

export function toPlainRow(row: Record<string, unknown>): Row {
  const plain: Row = {};
  for (const [name, value] of Object.entries(row))
    plain[name] = typeof value === "bigint" ? Number(value) : value;
  return plain;
}

/** The column names and DuckDB types of a relation or query. */
export async function describeColumns(
  connection: DuckDBConnection,
  relation: string,
): Promise<Array<{ name: string; type: string }>> {
  const rows = await queryRows(connection, `DESCRIBE ${relation}`);
  return rows.map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
}
