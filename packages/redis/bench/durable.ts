// durable.redis: the cost of the durable write mode (`durability: { replicas: 1 }`, a `WAIT` per
// batch) against the default asynchronous mode, in the same run, against a private primary with one
// replica on loopback: single-value `ctx.write` latency and throughput, and batches of 100 values.
// Run alone: `npx tsx --conditions=@ctxstore/source bench/durable.ts` (BENCH_QUICK=1 for smaller sizes).
import { fileURLToPath } from "node:url";
import { type BenchFigure, latencyFigures, measure, percentile, report } from "@ctxstore/bench-fixtures";
import { batch, createContextStore, defineEntity } from "@ctxstore/core";
import { z } from "zod";
import { redisStore } from "../src/index.js";
import { redisServerAvailable, sendCommand, startRedisServer, waitFor } from "../src/testing/index.js";

const account = defineEntity("account", { key: z.object({ accountId: z.string() }) });
const summary = batch("account_summary", {
  entity: account,
  schema: z.object({ text: z.string() }),
  maxAge: "1d",
  section: "Account",
  render: (value) => value.text,
});
const TEXT = "Prefers trail shoes with a wide toe box; returned two pairs last spring. ".repeat(6);

export async function durableBench(quick = false): Promise<BenchFigure[]> {
  const primary = await startRedisServer({ label: "bench-durable-primary" });
  const replica = await startRedisServer({
    label: "bench-durable-replica",
    args: ["--replicaof", primary.host, String(primary.port)],
  });
  try {
    await waitFor(
      async () =>
        String(await sendCommand(replica.port, ["INFO", "replication"])).includes("master_link_status:up"),
      15_000,
      "the bench replica never synced",
    );
    const modes = [
      { mode: "async", options: {} },
      { mode: "durable", options: { durability: { replicas: 1, timeoutMs: 1_000 } } },
    ] as const;
    const stores = await Promise.all(
      modes.map(async ({ mode, options }) => {
        const online = redisStore({ url: primary.url, prefix: `bench-${mode}:`, ...options });
        const ctx = createContextStore({ sources: [summary], online });
        await ctx.ready();
        const writes = Array.from({ length: 100 }, (_, index) =>
          ctx.toValueWrite(summary, { accountId: `b${index}` }, { text: TEXT }),
        );
        return { mode, online, ctx, writes, single: [] as number[], singleMs: 0, batchMs: 0, batches: 0 };
      }),
    );
    // Interleaved rounds, so both modes see the same machine (this one is shared and noisy).
    const rounds = quick ? 4 : 10;
    const perRound = quick ? 250 : 500;
    const batchesPerRound = quick ? 10 : 20;
    let n = 0;
    for (let round = 0; round < rounds; round++) {
      for (const entry of stores) {
        const single = await measure(
          () => entry.ctx.write(summary, { accountId: `a${n++ % 1_000}` }, { text: TEXT }),
          { iterations: perRound, warmup: round === 0 ? 100 : 0 },
        );
        entry.single.push(...single.samples);
        entry.singleMs += single.totalMs;
        const batched = await measure(() => entry.online.write(entry.writes), {
          iterations: batchesPerRound,
          warmup: round === 0 ? 5 : 0,
        });
        entry.batchMs += batched.totalMs;
        entry.batches += batchesPerRound;
      }
    }
    const figures: BenchFigure[] = [];
    const p50: Record<string, number> = {};
    const batchRate: Record<string, number> = {};
    for (const entry of stores) {
      figures.push(
        ...latencyFigures(`durable.redis.write_${entry.mode}`, entry.single, entry.singleMs, {
          replicas: entry.mode === "durable" ? 1 : 0,
        }),
      );
      p50[entry.mode] = percentile(entry.single, 50);
      const rate = (entry.batches * entry.writes.length * 1_000) / entry.batchMs;
      batchRate[entry.mode] = rate;
      figures.push({
        bench: `durable.redis.batch_${entry.mode}`,
        metric: "values_per_s",
        value: rate,
        unit: "values/s",
        batch: entry.writes.length,
      });
      await entry.ctx.close();
    }
    figures.push(
      {
        bench: "durable.redis",
        metric: "write_p50_ratio_durable_to_async",
        value: (p50.durable as number) / (p50.async as number),
        unit: "x",
      },
      {
        bench: "durable.redis",
        metric: "batch_throughput_ratio_durable_to_async",
        value: (batchRate.durable as number) / (batchRate.async as number),
        unit: "x",
      },
    );
    return figures;
  } finally {
    await replica.stop();
    await primary.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!redisServerAvailable()) {
    process.stdout.write("redis-server is not installed: skipping durable.redis.\n");
  } else {
    report(await durableBench(process.env.BENCH_QUICK === "1"));
  }
}
