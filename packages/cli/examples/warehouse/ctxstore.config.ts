// The warehouse example's config (docs/cli.md): an offline store in DuckDB feeding an online store
// through `ctxstore materialize`, and training datasets through `ctxstore dataset`.
//   CTXSTORE_OFFLINE  the DuckDB file (default .ctxstore/offline.duckdb next to this file)
//   REDIS_URL         the online store (default: an in-process memory store, gone when the command ends)
// Seed some history first: npx tsx examples/warehouse/seed.ts --customers 20000
import { join } from "node:path";
import { createContextStore, type OnlineStore } from "@ctxstore/core";
import { duckdbOfflineStore } from "@ctxstore/duckdb";
import { SOURCES } from "./definitions.js";

const HERE = import.meta.dirname;

export default async function config() {
  let online: OnlineStore | undefined;
  if (process.env.REDIS_URL) {
    const { redisStore } = await import("@ctxstore/redis");
    online = redisStore({ url: process.env.REDIS_URL });
  }
  const context = createContextStore({ sources: SOURCES, ...(online ? { online } : {}) });
  const offline = await duckdbOfflineStore({
    path: process.env.CTXSTORE_OFFLINE ?? join(HERE, ".ctxstore", "offline.duckdb"),
    sources: SOURCES,
  });
  return {
    context,
    offline,
    requests: {
      customer: { keys: { customer: { customerId: "c1" } }, maxTokens: 300 },
    },
  };
}
