// What `materialize` and `dataset` need from the config: its offline store, and @ctxstore/duckdb
// loaded only by the commands that use it (an optional peer dependency of the CLI).
import { CtxError } from "@ctxstore/core";
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
