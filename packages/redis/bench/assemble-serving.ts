// Child of bench/index.ts: the assemble.redis latency loop in a process started with the serving
// flags recommended in docs/redis.md. Prints its figures as one JSON array on stdout.

import {
  assembleBenchSources,
  BENCH_BUDGET,
  BENCH_KEYS,
  latencyFigures,
  measure,
  seedAssembleBench,
} from "@ctxstore/bench-fixtures";
import { createContextStore } from "@ctxstore/core";
import { redisStore } from "../src/index.js";

const url = process.env.BENCH_REDIS_URL;
if (!url) throw new Error("BENCH_REDIS_URL is not set (this file is run by bench/index.ts)");
const iterations = Number(process.env.BENCH_ITERATIONS ?? 10_000);
const sources = assembleBenchSources();
const store = redisStore({ url, prefix: "bench-serving:" });
const ctx = createContextStore({ sources, online: store, deadline: "200ms" });
await ctx.ready();
await seedAssembleBench(ctx, sources);
const request = { keys: BENCH_KEYS, budget: BENCH_BUDGET };
// A fresh process: warm the JIT up as long as the parent's loop was before it is measured.
const assembled = await measure(() => ctx.assemble(request), { iterations, warmup: 2_000 });
await ctx.close();
process.stdout.write(
  JSON.stringify(
    latencyFigures("assemble.redis.serving", assembled.samples, assembled.totalMs, {
      sources: 32,
      iterations,
    }),
  ),
);
