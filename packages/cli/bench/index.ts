// Benchmarks for @ctxstore/cli (npm run bench -- --filter @ctxstore/cli; run them under the shared
// machine's lock: flock /tmp/ctxstore-bench.lock ...).
//   cli.startup      `ctxstore explain --request returning` on the quickstart config, wall time of the
//                    whole child process (Node start, TypeScript sources, config load and seeding,
//                    tokenizer ranks, one assembly), median of 5 after a warm-up; baseline in the
//                    same run: `node -e 0`. Target: under 1 s; the ratio is reported.
//   cli.materialize  values/s published into a private redis-server by `ctxstore materialize`
//                    (its own --json figure, process start excluded) vs the library call
//                    `materialize()` in a fresh process too, on an identical offline store, best of
//                    2 each, alternating.
//                    Target: ratio >= 0.95.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchFigure, report } from "@ctxstore/bench-fixtures";
import { sendCommand, startRedisServer } from "@ctxstore/redis/testing";
import { recordNight } from "../examples/warehouse/history.js";
import { BIN, QUICKSTART, WAREHOUSE } from "../test/support/cli.js";

const quick = process.env.BENCH_QUICK === "1";
const STARTUP_RUNS = 5;
const CUSTOMERS = quick ? 10_000 : 50_000;
const ROUNDS = 2;

const TIME = "/usr/bin/time";
const haveTime = existsSync(TIME);

/** Wall time of a child process, and its CPU time (user + system, via /usr/bin/time) when available. */
function timed(command: string, args: readonly string[], cwd: string): { wallMs: number; cpuMs: number } {
  const started = performance.now();
  const result = haveTime
    ? spawnSync(TIME, ["-f", "ctxstore-cpu %U %S", command, ...args], {
        cwd,
        stdio: ["ignore", "pipe", "pipe"],
        encoding: "utf8",
      })
    : spawnSync(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  const wallMs = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  const cpu = /ctxstore-cpu ([\d.]+) ([\d.]+)/.exec(result.stderr);
  return { wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1_000 : Number.NaN };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const LIBRARY_SCRIPT = fileURLToPath(new URL("./library-materialize.ts", import.meta.url));

/** Runs a child that prints `{ written, valuesPerSecond }` on stdout. */
function childFigure(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
): { written: number; valuesPerSecond: number } {
  const result = spawnSync(command, args, {
    cwd: WAREHOUSE,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as { written: number; valuesPerSecond: number };
}

const figures: BenchFigure[] = [];

// cli.startup. On a shared machine wall time follows the load; CPU time (user + system) is reported
// beside it, and both ratios come from the same run.
{
  const explain = [BIN, "explain", "--request", "returning"];
  timed(process.execPath, explain, QUICKSTART);
  timed(process.execPath, ["-e", "0"], QUICKSTART);
  const cli: Array<{ wallMs: number; cpuMs: number }> = [];
  const node: Array<{ wallMs: number; cpuMs: number }> = [];
  for (let run = 0; run < STARTUP_RUNS; run += 1) {
    node.push(timed(process.execPath, ["-e", "0"], QUICKSTART));
    cli.push(timed(process.execPath, explain, QUICKSTART));
  }
  const help = median(
    Array.from({ length: 3 }, () => timed(process.execPath, [BIN, "--help"], QUICKSTART).wallMs),
  );
  const wall = (runs: typeof cli) => median(runs.map((run) => run.wallMs));
  const cpu = (runs: typeof cli) => median(runs.map((run) => run.cpuMs));
  figures.push(
    {
      bench: "cli.startup",
      metric: "explain_wall_ms",
      value: wall(cli),
      unit: "ms",
      runs: STARTUP_RUNS,
      target: "<1000",
    },
    { bench: "cli.startup", metric: "node_e0_wall_ms", value: wall(node), unit: "ms", runs: STARTUP_RUNS },
    { bench: "cli.startup", metric: "explain_vs_node_e0_wall", value: wall(cli) / wall(node), unit: "x" },
    { bench: "cli.startup", metric: "explain_cpu_ms", value: cpu(cli), unit: "ms" },
    { bench: "cli.startup", metric: "node_e0_cpu_ms", value: cpu(node), unit: "ms" },
    { bench: "cli.startup", metric: "explain_vs_node_e0_cpu", value: cpu(cli) / cpu(node), unit: "x" },
    { bench: "cli.startup", metric: "help_wall_ms", value: help, unit: "ms" },
  );
}

// cli.materialize
{
  const redis = await startRedisServer({ label: "cli-bench" });
  const dir = mkdtempSync(join(tmpdir(), "ctxstore-cli-bench-"));
  try {
    const library: number[] = [];
    const command: number[] = [];
    const commandWall: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // Library: a fresh process (as the CLI is) on a fresh offline file and an empty Redis, one
      // materialize() call over every source (the CLI makes one call per source so Ctrl-C can stop
      // between them).
      await sendCommand(redis.port, ["FLUSHALL"]);
      const libraryPath = join(dir, `library-${round}.duckdb`);
      await recordNight({ path: libraryPath, customers: CUSTOMERS });
      library.push(
        childFigure(process.execPath, ["--conditions=@ctxstore/source", "--import", "tsx", LIBRARY_SCRIPT], {
          REDIS_URL: redis.url,
          CTXSTORE_OFFLINE: libraryPath,
        }).valuesPerSecond,
      );

      await sendCommand(redis.port, ["FLUSHALL"]);
      const commandPath = join(dir, `command-${round}.duckdb`);
      await recordNight({ path: commandPath, customers: CUSTOMERS });
      const env = { ...process.env, REDIS_URL: redis.url, CTXSTORE_OFFLINE: commandPath };
      const wallStarted = performance.now();
      const result = spawnSync(process.execPath, [BIN, "--json", "--quiet", "materialize"], {
        cwd: WAREHOUSE,
        env,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      });
      const wall = performance.now() - wallStarted;
      if (result.status !== 0)
        throw new Error(`ctxstore materialize exited ${result.status}: ${result.stderr}`);
      const parsed = JSON.parse(result.stdout) as { written: number; valuesPerSecond: number };
      command.push(parsed.valuesPerSecond);
      commandWall.push((parsed.written / wall) * 1_000);
    }
    const best = (values: number[]) => Math.max(...values);
    figures.push(
      {
        bench: "cli.materialize",
        metric: "library_values_per_s",
        value: best(library),
        unit: "values/s",
        values: CUSTOMERS * 2,
      },
      {
        bench: "cli.materialize",
        metric: "cli_values_per_s",
        value: best(command),
        unit: "values/s",
        values: CUSTOMERS * 2,
      },
      {
        bench: "cli.materialize",
        metric: "cli_vs_library",
        value: best(command) / best(library),
        unit: "x",
        target: ">=0.95",
      },
      {
        bench: "cli.materialize",
        metric: "cli_wall_values_per_s",
        value: best(commandWall),
        unit: "values/s",
        note: "including process start and config load",
      },
    );
  } finally {
    await redis.stop();
  }
}

report(figures);
