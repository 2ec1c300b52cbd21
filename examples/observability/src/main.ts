// `npm run start --workspace @ctxstore-examples/observability` (or `npx tsx --conditions=@ctxstore/source
// src/main.ts` here): runs the demo for a minute and prints what to look at while the metrics move.
import { startDemo } from "./demo.js";

const failAfterMs = Number(process.env.FAIL_AFTER_MS ?? 20_000);
const demo = await startDemo({ failAfterMs });
console.log(`redis-server on ${demo.redis.url}; Prometheus metrics at ${demo.metricsUrl}`);
console.log(`the inventory source starts failing after ${failAfterMs / 1000}s; watch:`);
console.log(
  `  curl -s ${demo.metricsUrl} | grep -E 'ctxstore_resolutions_total|ctxstore_freshness_stale_share'`,
);

const report = setInterval(async () => {
  const text = await (await fetch(demo.metricsUrl)).text();
  const lines = text
    .split("\n")
    .filter((line) => /^ctxstore_(resolutions_total|freshness_stale_share|ingest_watermark_lag)\{/.test(line))
    .map((line) => line.replace(/,?otel_scope_name="[^"]*"/, ""));
  console.log(`\n${demo.assemblies()} assemblies, inventory ${demo.failing() ? "FAILING" : "healthy"}`);
  for (const line of lines) console.log(`  ${line}`);
}, 5_000);

const stop = async () => {
  clearInterval(report);
  await demo.stop();
  process.exit(0);
};
process.once("SIGINT", stop);
setTimeout(stop, Number(process.env.RUN_FOR_MS ?? 60_000));
