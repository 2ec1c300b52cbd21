// The library side of cli.materialize, in its own fresh process like the CLI's: one materialize()
// call over the warehouse example's sources (CTXSTORE_OFFLINE, REDIS_URL), its values/s on stdout.
import { createContextStore } from "@ctxstore/core";
import { duckdbOfflineStore, materialize } from "@ctxstore/duckdb";
import { redisStore } from "@ctxstore/redis";
import { SOURCES } from "../examples/warehouse/definitions.js";

const offline = await duckdbOfflineStore({ path: process.env.CTXSTORE_OFFLINE ?? "", sources: SOURCES });
const context = createContextStore({
  sources: SOURCES,
  online: redisStore({ url: process.env.REDIS_URL ?? "" }),
});
const report = await materialize({ offline, context });
process.stdout.write(
  `${JSON.stringify({ written: report.written, valuesPerSecond: report.valuesPerSecond })}\n`,
);
await offline.close();
await context.close();
