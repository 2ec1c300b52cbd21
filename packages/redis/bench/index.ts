// Benchmarks for @ctxstore/redis against a private redis-server on loopback (spawned here):
// - assemble.redis: the shared reference request shape from @ctxstore/core/testing (2 entities, 20
//   batch + 10 stream sources of 10 events, 2 instant realtime sources, 2,000-token budget, as
//   assemble.memory) on redisStore; round trips per
//   assemble counted on the wire; and the "unintentional feature store" baseline in the same run: the
//   same 30 values fetched with one GET per source, sequentially, JSON-decoded.
// - codec: JSON vs msgpack bodies for a 500-token profile envelope (why the store uses JSON).
// - ingest.redis: events applied per second by one worker, and bytes per stored 500-token value.
// - durable.redis: the durable write mode (WAIT for one replica) against the default, same run.
// BENCH_QUICK=1 runs smaller sizes.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  assembleBenchSources,
  BENCH_BUDGET,
  BENCH_KEYS,
  type BenchFigure,
  benchUser,
  latencyFigures,
  measure,
  percentile,
  report,
  seedAssembleBench,
} from "@ctxstore/bench-fixtures";
import { batch, createContextStore, type Envelope, memoryStore } from "@ctxstore/core";
import { sourceField } from "@ctxstore/core/store";
import { decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";
import { Redis } from "ioredis";
import { z } from "zod";
import { redisStore } from "../src/index.js";
import {
  commandStats,
  redisServerAvailable,
  sendCommand,
  startRedisServer,
  startRoundTripProxy,
} from "../src/testing/index.js";
import { durableBench } from "./durable.js";
import { ingestBench } from "./ingest.js";
import { ingestCurve } from "./ingest-curve.js";
import { freshnessBench, telemetryBench } from "./observability.js";

const quick = process.env.BENCH_QUICK === "1";
const user = benchUser;

async function assembleBench(url: string, port: number): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const sources = assembleBenchSources();
  const store = redisStore({ url, prefix: "bench:" });
  const ctx = createContextStore({ sources, online: store, deadline: "200ms" });
  await ctx.ready();
  await seedAssembleBench(ctx, sources);
  const request = { keys: BENCH_KEYS, budget: BENCH_BUDGET };
  const probe = await ctx.assemble(request);
  const statuses = Object.values(probe.values).map((value) => value.status);
  if (statuses.some((status) => status !== "ok"))
    throw new Error(`bench setup: not every source is ok: ${statuses.join(",")}`);
  const iterations = quick ? 2_000 : 10_000;
  const assembled = await measure(() => ctx.assemble(request), { iterations });
  figures.push(
    ...latencyFigures("assemble.redis", assembled.samples, assembled.totalMs, {
      sources: 32,
      iterations,
      gc: "node defaults",
    }),
  );
  // The same loop in a process sized for serving latency (docs/redis.md, "Serving latency"): a small
  // young generation makes each scavenge short instead of a ~2.5 ms pause every ~200 requests.
  figures.push(...(await childProcessFigures("./assemble-serving.ts", SERVING_NODE_FLAGS, url, iterations)));

  // Round trips per assemble, on the wire, and what the server executed for one assemble.
  const proxy = await startRoundTripProxy({ port });
  const proxiedStore = redisStore({ url: proxy.url, prefix: "bench:" });
  const proxied = createContextStore({ sources, online: proxiedStore, deadline: "200ms" });
  await proxied.ready();
  await proxied.assemble(request);
  await sendCommand(port, ["CONFIG", "RESETSTAT"]);
  proxy.reset();
  await proxied.assemble(request);
  const roundTrips = proxy.roundTrips();
  const stats = await commandStats(port);
  figures.push({
    bench: "assemble.redis",
    metric: "round_trips",
    value: roundTrips,
    unit: "round trips",
    commands: `hmget=${stats.hmget ?? 0}`,
  });
  await proxied.close();
  await proxy.stop();

  // The same 30 values the read fetches (20 values + 10 windows), the naive way: one key per
  // source, GET one after another, JSON.parse each. Stored as plain JSON envelopes.
  const naive = new Redis(url);
  const records = sources
    .filter((source) => source.tier === "batch" || source.tier === "stream")
    .map((source) => ({
      entity: source.tier === "batch" ? "user" : "session",
      key: source.tier === "batch" ? "userId=u1" : "sessionId=s1",
      field: sourceField(source),
      kind: source.tier === "batch" ? ("value" as const) : ("window" as const),
    }));
  const current = await store.read({ records });
  await Promise.all(
    records.map((record, index) => {
      const result = current.records[index];
      const payload =
        result?.kind === "value" ? result.envelope : result?.kind === "window" ? result.events : null;
      return naive.set(`naive:${record.entity}:${record.key}:${record.field}`, JSON.stringify(payload));
    }),
  );
  const naiveKeys = records.map((record) => `naive:${record.entity}:${record.key}:${record.field}`);
  const readIterations = quick ? 1_000 : 5_000;
  const watermarks = records.filter((record) => record.kind === "window").map((record) => record.field);
  const ours = await measure(() => store.read({ records, watermarks }), { iterations: readIterations });
  // The same read with the decode cache off: every envelope parsed on every read.
  const coldStore = redisStore({ url, prefix: "bench:", decodeCacheBytes: 0 });
  const cold = await measure(() => coldStore.read({ records, watermarks }), { iterations: readIterations });
  await coldStore.close();
  const baseline = await measure(
    async () => {
      const values: unknown[] = [];
      for (const key of naiveKeys) values.push(JSON.parse((await naive.get(key)) ?? "null"));
      return values;
    },
    { iterations: readIterations },
  );
  figures.push(
    ...latencyFigures("assemble.redis.online_read", ours.samples, ours.totalMs, { records: records.length }),
  );
  figures.push(
    ...latencyFigures("assemble.redis.online_read_uncached", cold.samples, cold.totalMs, {
      records: records.length,
      note: "decodeCacheBytes: 0",
    }),
  );
  figures.push(
    ...latencyFigures("assemble.redis.naive_gets", baseline.samples, baseline.totalMs, {
      records: records.length,
    }),
  );
  figures.push({
    bench: "assemble.redis",
    metric: "vs_naive_ratio",
    value: percentile(baseline.samples, 50) / percentile(ours.samples, 50),
    unit: "x",
    note: "naive sequential GET+JSON.parse p50 / pipelined HMGET read p50, 30 sources",
  });
  figures.push({
    bench: "assemble.redis",
    metric: "vs_naive_ratio_uncached",
    value: percentile(baseline.samples, 50) / percentile(cold.samples, 50),
    unit: "x",
    note: "same, with the decode cache off",
  });
  naive.disconnect();

  // The physical floor of the online read: one pipeline of HMGETs of exactly the fields the store
  // reads (one per entity hash, plus the stream windows' ingest watermarks, which the store reads in
  // the same pipeline: 3 commands, as round_trips' `commands` shows), raw buffers, nothing decoded;
  // assemble.redis is reported against it.
  const raw = new Redis(url);
  const fieldsByHash = new Map<string, string[]>();
  for (const record of records) {
    const hash = `bench:{${record.entity}:${record.key}}`;
    fieldsByHash.set(hash, [...(fieldsByHash.get(hash) ?? []), record.field]);
  }
  const rawRead = () => {
    const pipeline = raw.pipeline();
    for (const [hash, fields] of fieldsByHash) pipeline.hmgetBuffer(hash, ...fields);
    pipeline.hmgetBuffer("bench:watermarks", ...watermarks);
    return pipeline.exec();
  };
  const rawProbe = (await rawRead()) ?? [];
  // The entity hashes must hold every field; the watermarks may be unset (nothing ingested here).
  const rawMissing = rawProbe
    .slice(0, fieldsByHash.size)
    .flatMap(([, values]) => values as (Buffer | null)[])
    .filter((value) => value === null);
  if (rawMissing.length > 0)
    throw new Error(`bench setup: the raw read found ${rawMissing.length} missing fields`);
  const floor = await measure(rawRead, { iterations });
  raw.disconnect();
  figures.push(
    ...latencyFigures("assemble.redis.floor", floor.samples, floor.totalMs, {
      records: records.length,
      note: "one pipeline: an ioredis HMGET per entity hash of the same fields and one of the watermarks, undecoded",
    }),
  );
  figures.push({
    bench: "assemble.redis",
    metric: "vs_floor_p50",
    value: percentile(assembled.samples, 50) / percentile(floor.samples, 50),
    unit: "x",
    target: "<= 2.5",
    note: "assemble p50 / raw pipelined read p50, same run and server",
  });
  // Where the gap goes: the same request on the in-process store, same process and run (resolve,
  // realtime lookups, packing, rendering and the trace, with no I/O). floor + in-process is the
  // least an assemble over Redis could cost if the Redis store added nothing to the raw read.
  const local = createContextStore({ sources, online: memoryStore(), deadline: "200ms" });
  await local.ready();
  await seedAssembleBench(local, sources);
  const inProcess = await measure(() => local.assemble(request), { iterations });
  await local.close();
  const inProcessP50 = percentile(inProcess.samples, 50);
  figures.push(
    ...latencyFigures("assemble.redis.in_process", inProcess.samples, inProcess.totalMs, {
      sources: 32,
      iterations,
      note: "the same request on memoryStore(), same run",
    }),
    {
      bench: "assemble.redis",
      metric: "vs_floor_plus_in_process_p50",
      value: percentile(assembled.samples, 50) / (percentile(floor.samples, 50) + inProcessP50),
      unit: "x",
      note: "assemble p50 / (raw pipelined read p50 + in-process assemble p50): what the Redis path adds",
    },
  );

  // The same comparison over a simulated network (about 1 ms added each way by a delaying proxy),
  // closer to an app and Redis on different hosts: round trips, not CPU, decide there.
  const slow = await startRoundTripProxy({ port, delayMs: 1 });
  const slowStore = redisStore({ url: slow.url, prefix: "bench:" });
  const slowNaive = new Redis(slow.url);
  const networkIterations = quick ? 20 : 60;
  const oursOverNetwork = await measure(() => slowStore.read({ records, watermarks }), {
    iterations: networkIterations,
    warmup: 3,
  });
  const naiveOverNetwork = await measure(
    async () => {
      const values: unknown[] = [];
      for (const key of naiveKeys) values.push(JSON.parse((await slowNaive.get(key)) ?? "null"));
      return values;
    },
    { iterations: networkIterations, warmup: 3 },
  );
  figures.push({
    bench: "assemble.redis.online_read",
    metric: "p50_ms_network",
    value: percentile(oursOverNetwork.samples, 50),
    unit: "ms",
    added_latency: "~1ms each way",
  });
  figures.push({
    bench: "assemble.redis.naive_gets",
    metric: "p50_ms_network",
    value: percentile(naiveOverNetwork.samples, 50),
    unit: "ms",
    added_latency: "~1ms each way",
  });
  figures.push({
    bench: "assemble.redis",
    metric: "vs_naive_ratio_network",
    value: percentile(naiveOverNetwork.samples, 50) / percentile(oursOverNetwork.samples, 50),
    unit: "x",
    note: "same as vs_naive_ratio with ~1 ms added each way",
  });
  slowNaive.disconnect();
  await slowStore.close();
  await slow.stop();
  await ctx.close();
  return figures;
}

const SERVING_NODE_FLAGS = ["--max-semi-space-size=2"];

/** Runs a bench file in a child process started with `flags`; it prints its figures as JSON. */
async function childProcessFigures(
  file: string,
  flags: readonly string[],
  url: string,
  iterations: number,
): Promise<BenchFigure[]> {
  const child = spawn(
    process.execPath,
    [
      ...flags,
      "--conditions=@ctxstore/source",
      "--import",
      "tsx",
      fileURLToPath(new URL(file, import.meta.url)),
    ],
    {
      env: { ...process.env, BENCH_REDIS_URL: url, BENCH_ITERATIONS: String(iterations) },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`assemble-serving bench exited with ${code}`);
  return (JSON.parse(output) as BenchFigure[]).map((figure) => ({
    ...figure,
    node_flags: flags.join(" "),
  }));
}

/** A profile of about 500 tokens, rendered as text lines (what a materialized summary looks like). */
function profileText(): string {
  const sentences = [
    "Ada has been a customer since 2019 and runs trail races most weekends in the Alps.",
    "She prefers wide-fit shoes in EU size 39 and has returned two pairs that were too narrow.",
    "Her last five orders were running socks, a waterproof shell, two pairs of trail shoes and gaiters.",
    "She contacted support three times this year, always about delivery times to Grenoble.",
    "She responds well to short, practical answers and dislikes upselling.",
    "Loyalty tier is gold; she has 2,350 points and a voucher expiring at the end of the month.",
  ];
  return Array.from({ length: 27 }, (_, index) => sentences[index % sentences.length]).join(" ");
}

async function codecAndSizeBench(url: string): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const profile = batch("profile", {
    entity: user,
    schema: z.object({ summary: z.string() }),
    maxAge: "2d",
    section: "Profile",
    render: (value) => value.summary,
  });
  const store = redisStore({ url, prefix: "size:" });
  const ctx = createContextStore({ sources: [profile], online: store });
  await ctx.ready();
  const summary = profileText();
  const tokens = ctx.tokenizer.count(summary);
  await ctx.write(profile, { userId: "ada" }, { summary });
  const admin = new Redis(url);
  const stored = (await admin.hgetBuffer("size:{user:userId=ada}", "profile@1")) as Buffer;
  const memory = Number(await admin.call("MEMORY", "USAGE", "size:{user:userId=ada}"));
  figures.push({
    bench: "ingest.redis",
    metric: "bytes_per_value",
    value: stored.length,
    unit: "bytes",
    tokens,
    note: "stored field, 500-token profile with rendered lines and counts",
  });
  figures.push({
    bench: "ingest.redis",
    metric: "key_memory_bytes",
    value: memory,
    unit: "bytes",
    tokens,
    note: "MEMORY USAGE of the entity hash holding it",
  });

  // The codec choice: same envelope body, JSON vs msgpack.
  const envelope = ctx.toEnvelope(profile, { summary }) as Envelope;
  const body = { v: envelope.value, s: envelope.schemaVersion, r: envelope.rendered };
  const json = Buffer.from(JSON.stringify(body));
  const packed = msgpackEncode(body, { ignoreUndefined: true });
  const iterations = quick ? 5_000 : 20_000;
  const runs = {
    json_encode: await measure(() => Buffer.from(JSON.stringify(body)), { iterations }),
    msgpack_encode: await measure(() => msgpackEncode(body, { ignoreUndefined: true }), { iterations }),
    json_decode: await measure(() => JSON.parse(json.toString("utf8")), { iterations }),
    msgpack_decode: await measure(() => msgpackDecode(packed), { iterations }),
  };
  figures.push({ bench: "codec.json", metric: "bytes", value: json.length, unit: "bytes", tokens });
  figures.push({ bench: "codec.msgpack", metric: "bytes", value: packed.length, unit: "bytes", tokens });
  for (const [name, run] of Object.entries(runs)) {
    const [codec, operation] = name.split("_") as [string, string];
    figures.push({
      bench: `codec.${codec}`,
      metric: `${operation}_us`,
      value: percentile(run.samples, 50) * 1000,
      unit: "us",
    });
  }
  admin.disconnect();
  await ctx.close();
  return figures;
}

async function main(): Promise<void> {
  if (!redisServerAvailable()) {
    process.stdout.write("redis-server is not installed: skipping the @ctxstore/redis benchmarks.\n");
    return;
  }
  const server = await startRedisServer({ label: "bench" });
  try {
    const figures = [
      ...(await assembleBench(server.url, server.port)),
      ...(await codecAndSizeBench(server.url)),
      ...(await ingestBench(server.url, "ingest", quick)),
      ...(await durableBench(quick)),
      ...(await telemetryBench(server.url)),
      ...(await freshnessBench(server.url, server.port)),
      ...(await ingestCurve(quick)),
    ];
    report(figures);
  } finally {
    await server.stop();
  }
}

await main();
