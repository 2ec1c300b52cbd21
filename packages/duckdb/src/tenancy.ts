// Tenancy in the offline store. A multi-tenant store (duckdbOfflineStore({ tenancy: "multi" }),
// beside createContextStore({ tenancy: "multi" })) keeps a `tenant` column in every table it
// writes, and every read, join, build, materialization and erasure is scoped by it. A single-tenant
// store writes "" there and adds no tenant condition to any query, so its SQL is what it always was.
//
// Tenant ids are checked by core's rule (checkTenantId): the offline store holds the same ids the
// online and vector stores do, so data recorded here can always be served. They still reach SQL only
// as bound parameters or as values in staged tables, never spliced into the text of a query.
import { CtxError, checkTenantId } from "@ctxstore/core";
import type { DuckDBConnection } from "@duckdb/node-api";

/** The tenant column's value on a single-tenant store. */
export const NO_TENANT = "";

export type Tenancy = "single" | "multi";

/**
 * The tenant of one operation: required (and checked) on a multi-tenant store, refused on a
 * single-tenant one (it would be ignored), as the context store does.
 */
export function operationTenant(tenancy: Tenancy, tenant: unknown, operation: string): string | undefined {
  if (tenancy === "single") {
    if (tenant === undefined) return undefined;
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${operation}: this offline store is single-tenant, so a tenant would be ignored; open it with duckdbOfflineStore({ tenancy: "multi" }) (a new file) or leave tenant out.`,
      { operation },
    );
  }
  if (tenant === undefined) {
    throw new CtxError(
      "CTX_TENANT_REQUIRED",
      `${operation}: this offline store is multi-tenant; pass the tenant whose data this is (nothing was read or written).`,
      { operation },
    );
  }
  return checkTenantId(tenant, operation);
}

/**
 * The SQL condition scoping a query to one tenant, with its bound value: nothing on a single-tenant
 * store (undefined tenant). DuckDB refuses parameters a statement does not use, so the two travel
 * together.
 */
export function tenantCondition(
  tenant: string | undefined,
  column = "tenant",
): { readonly sql: string; readonly params: Record<string, string> } {
  if (tenant === undefined) return { sql: "", params: {} };
  return { sql: ` AND ${column} = $tenant`, params: { tenant } };
}

/** Bound values for a statement, or undefined when there are none (DuckDB takes no empty set). */
export function boundValues(
  ...sets: ReadonlyArray<Record<string, string | number | boolean | null>>
): Record<string, string | number | boolean | null> | undefined {
  const merged = Object.assign({}, ...sets) as Record<string, string | number | boolean | null>;
  return Object.keys(merged).length === 0 ? undefined : merged;
}

/** The tenancy option of a store, checked. */
export function checkTenancy(tenancy: unknown): Tenancy {
  if (tenancy === undefined || tenancy === "single") return "single";
  if (tenancy === "multi") return "multi";
  throw new CtxError(
    "CTX_CONFIG",
    `duckdbOfflineStore tenancy must be "single" or "multi"; got ${JSON.stringify(tenancy)}.`,
    {},
  );
}

/** A context store and an offline store used together must agree on tenancy. */
export function requireSameTenancy(
  offline: { readonly tenancy: Tenancy },
  context: { readonly tenancy: Tenancy },
  operation: string,
): void {
  if (offline.tenancy === context.tenancy) return;
  throw new CtxError(
    "CTX_CONFIG",
    `${operation}: the context store is ${context.tenancy}-tenant but the offline store is ${offline.tenancy}-tenant; open the offline store with duckdbOfflineStore({ tenancy: "${context.tenancy}" }) so tenants stay apart in both.`,
    { operation },
  );
}

/**
 * Files written before tenancy existed have no tenant column: it is added with "" for every row,
 * which is what a single-tenant store writes, so such a file opens single-tenant unchanged (and a
 * multi-tenant open of it is refused while it holds rows, see the store's tenancy check).
 */
export async function addTenantColumn(
  connection: DuckDBConnection,
  tables: readonly string[],
): Promise<void> {
  for (const table of tables)
    await connection.run(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS tenant VARCHAR DEFAULT ''`);
}
