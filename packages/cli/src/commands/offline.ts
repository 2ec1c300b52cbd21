// What `materialize` and `dataset` need from the config: its offline store, and @ctxstore/duckdb
// loaded only by the commands that use it (an optional peer dependency of the CLI).
import { CtxError, checkTenantId, type Principal } from "@ctxstore/core";
import type { LoadedConfig } from "../config/load.js";

export type DuckdbModule = typeof import("@ctxstore/duckdb");
export type DuckdbOfflineStore = import("@ctxstore/duckdb").DuckdbOfflineStore;

export async function offlineOf(
  loaded: LoadedConfig,
  command: string,
): Promise<{ duckdb: DuckdbModule; offline: DuckdbOfflineStore }> {
  const offline = loaded.config.offline;
  if (!offline) {
    throw new CtxError(
      "CTX_CONFIG",
      `\`ctxstore ${command}\` needs an offline store, and ${loaded.path} exports none. Add \`offline: await duckdbOfflineStore({ path: "offline.duckdb", sources })\` (from @ctxstore/duckdb) to the config.`,
      { path: loaded.path },
    );
  }
  let duckdb: DuckdbModule;
  try {
    duckdb = await import("@ctxstore/duckdb");
  } catch (error) {
    throw new CtxError(
      "CTX_CONFIG",
      `\`ctxstore ${command}\` needs @ctxstore/duckdb: npm install @ctxstore/duckdb @duckdb/node-api.`,
      {},
      { cause: error },
    );
  }
  if (offline.name !== "duckdb" || !("connection" in offline)) {
    throw new CtxError(
      "CTX_CONFIG",
      `${loaded.path}: \`offline\` must be the store from @ctxstore/duckdb's duckdbOfflineStore(); got a store named ${JSON.stringify(offline.name)}.`,
      { path: loaded.path },
    );
  }
  return { duckdb, offline: offline as unknown as DuckdbOfflineStore };
}

/**
 * `--tenant`, checked against the config's tenancy before anything runs: required when the offline
 * store is multi-tenant (one tenant per run), refused when it is single-tenant. Usage errors (exit 2).
 */
export function tenantOf(
  offline: DuckdbOfflineStore,
  tenant: string | undefined,
  command: string,
  path: string,
): string | undefined {
  if (offline.tenancy === "multi") {
    if (tenant === undefined)
      throw new CtxError(
        "CTX_TENANT_REQUIRED",
        `\`ctxstore ${command}\`: ${path} has a multi-tenant offline store, so every run is for one tenant. Pass it with --tenant <id>, e.g. \`ctxstore ${command} --tenant acme ...\`; run once per tenant.`,
        { usage: true, path },
      );
    return checkTenantId(tenant, `--tenant`);
  }
  if (tenant !== undefined)
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `\`ctxstore ${command}\`: --tenant ${JSON.stringify(tenant)} given, but ${path} has a single-tenant offline store (its data has no tenants). Leave --tenant out, or declare tenancy: "multi" on both the context store and duckdbOfflineStore.`,
      { usage: true, path },
    );
  return undefined;
}

/** `--principal <id>` and `--role <role>` (repeatable): who runs the command, for sources with `readers`. */
export function principalOf(
  id: string | undefined,
  roles: readonly string[] | undefined,
): Principal | undefined {
  if (id === undefined) {
    if (roles && roles.length > 0)
      throw new CtxError("CTX_INVALID_REQUEST", "--role needs --principal <id>: say who holds the roles.", {
        usage: true,
      });
    return undefined;
  }
  if (id.trim() === "")
    throw new CtxError("CTX_INVALID_REQUEST", "--principal must be a non-empty id.", { usage: true });
  return { id, ...(roles && roles.length > 0 ? { roles } : {}) };
}
