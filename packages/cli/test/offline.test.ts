// materialize and dataset as real child processes of the `ctxstore` bin, against the warehouse
// example's config: a private redis-server as the online store and a DuckDB file as the offline
// store. Progress on a pseudo-terminal vs plain lines when piped, the guard's hold (exit 3) and
// --force, Ctrl-C in the middle of a run and the resumed run after it, and the dataset's files.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { type RedisServer, redisServerAvailable, startRedisServer } from "@ctxstore/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordNight } from "../examples/warehouse/history.js";
import { runCli, runCliInTty, scriptAvailable, WAREHOUSE } from "./support/cli.js";

const available = redisServerAvailable();

describe.skipIf(!available)("materialize and dataset against Redis and DuckDB", () => {
  let redis: RedisServer;
  let dir: string;
  let env: Record<string, string>;
  let round = 0;

  /** Appends one night of history for `customers` customers (a share of zero order counts). */
  async function seed(customers: number, emptyShare = 0): Promise<void> {
    round += 1;
    await recordNight({
      path: env.CTXSTORE_OFFLINE ?? "",
      customers,
      emptyShare,
      eventTime: Date.now() - 3_600_000 + round * 1_000,
      note: `Round ${round}.`,
    });
  }

  const cli = (args: string[], extra: Parameters<typeof runCli>[1] = {}) =>
    runCli(args, { cwd: WAREHOUSE, env, timeoutMs: 120_000, ...extra });

  beforeAll(async () => {
    redis = await startRedisServer({ label: "cli-materialize" });
    dir = mkdtempSync(join(tmpdir(), "ctxstore-cli-offline-"));
    env = { REDIS_URL: redis.url, CTXSTORE_OFFLINE: join(dir, "offline.duckdb") };
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it("publishes with plain progress lines when piped, and the values serve from Redis", async () => {
    await seed(3_000);
    const result = await cli(["--json", "materialize"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^progress customer_profile [\d,]+\/3,000 values \(\d+%\) (?:[\d,]+|-) values\/s$/m,
    );
    expect(result.stderr).toMatch(/^progress order_count 3,000\/3,000 values \(100%\)/m);
    expect(result.stderr).not.toContain("\r");
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      written: 6_000,
      held: [],
      interrupted: false,
      notStarted: [],
      target: "redis",
    });
    expect(
      report.sources.map((source: { source: string; status: string }) => [source.source, source.status]),
    ).toEqual([
      ["customer_profile", "published"],
      ["order_count", "published"],
    ]);
    expect(report.valuesPerSecond).toBeGreaterThan(0);
    const served = JSON.parse(
      (await cli(["--json", "explain", "--key", "customer.customerId=c9", "--deadline", "10s"])).stdout,
    );
    expect(served.sources.map((source: { status: string }) => source.status)).toEqual(["ok", "ok"]);
    expect(served.text).toContain("Orders in the last year: 3.");
  });

  it("reports unchanged sources when there is no new history", async () => {
    const result = await cli(["materialize"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/customer_profile\s+unchanged\s+0\s+0/);
  });

  it("exits 3 when the guard holds a zero wave, keeps the good values, and --force publishes it", async () => {
    await seed(3_000, 0.6);
    // A dry run says what would happen (exit 3: a source would be held) and writes nothing.
    const dry = await cli(["materialize", "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(3);
    expect(dry.stdout).toMatch(/customer_profile\s+would publish\s+3,000\s+3,000\s+0\s/);
    expect(dry.stdout).toMatch(/order_count\s+would hold\s+3,000\s+3,000\s+0\s+0% -> 60%/);
    expect(dry.stdout).toContain(
      "dry run: nothing written to redis and no run recorded; 3,000 values would be published",
    );
    const before = JSON.parse(
      (await cli(["--json", "explain", "--key", "customer.customerId=c9", "--deadline", "10s"])).stdout,
    );
    expect(before.text).toContain("Round 1.");
    const held = await cli(["materialize"]);
    expect(held.code, held.stderr).toBe(3);
    expect(held.stdout).toMatch(/order_count\s+held\s+3,000\s+3,000\s+0\s+0% -> 60%/);
    expect(held.stdout).toMatch(
      /held: order_count: the online store keeps its last good values\. Sample keys .*customerId=c1/,
    );
    expect(held.stdout).toContain("--force order_count");
    const served = JSON.parse(
      (await cli(["--json", "explain", "--key", "customer.customerId=c9", "--deadline", "10s"])).stdout,
    );
    expect(served.text).toContain("Orders in the last year: 3.");
    expect(served.text).toContain("Round 2.");

    const freshness = JSON.parse((await cli(["--json", "freshness"])).stdout);
    const orders = freshness.sources.find((source: { source: string }) => source.source === "order_count");
    expect(orders.lastMaterialization).toMatchObject({ status: "held", target: "redis", zeroRate: 0.6 });
    // Sampled from Redis by core's monitor: every stored value was written in this test, so fresh.
    expect(orders.sample).toMatchObject({ freshShare: 1, staleShare: 0 });
    expect(orders.sample.values).toBeGreaterThan(0);

    const unknown = await cli(["materialize", "--force", "nope"]);
    expect(unknown.code).toBe(2);
    const forced = await cli(["--json", "materialize", "--force", "order_count"]);
    expect(forced.code, forced.stderr).toBe(0);
    const report = JSON.parse(forced.stdout);
    expect(report.sources).toEqual([
      expect.objectContaining({ source: "customer_profile", status: "unchanged" }),
      expect.objectContaining({ source: "order_count", status: "published", forced: true }),
    ]);
  });

  it("--since re-covers history already published; a time that names no one moment is a usage error", async () => {
    const plain = JSON.parse((await cli(["--json", "materialize", "--dry-run"])).stdout);
    expect(plain.sources.map((source: { status: string }) => source.status)).toEqual([
      "unchanged",
      "unchanged",
    ]);
    const since = await cli(["--json", "materialize", "--dry-run", "--since", new Date(0).toISOString()]);
    const report = JSON.parse(since.stdout);
    expect(report).toMatchObject({ dryRun: true, written: 0 });
    expect(report.sources[0]).toMatchObject({
      source: "customer_profile",
      status: "published",
      values: 3_000,
    });
    expect(report.sources[0].newRows).toBe(6_000);
    // The guard still judges a re-publish: the forced 60% wave never became its reference (0%).
    expect(since.code, since.stderr).toBe(3);
    expect(report.sources[1]).toMatchObject({ source: "order_count", status: "held", zeroRate: 0.6 });
    const bad = await cli(["materialize", "--since", "2025-01-01 10:00"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since: materialize since must be .*ISO 8601 time with an offset/);
  });

  it("rejects unknown sources with the valid ones (exit 2)", async () => {
    const result = await cli(["materialize", "--source", "customer_profiles"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /Unknown source "customer_profiles"\. Sources materialize can publish: customer_profile, order_count/,
    );
  });

  it.skipIf(!scriptAvailable)("draws a progress bar with rate and ETA on a terminal", async () => {
    await seed(3_000);
    const result = await runCliInTty(["materialize"], { cwd: WAREHOUSE, env, timeoutMs: 120_000 });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(
      /customer_profile .*█+.* 100% \| 3000\/3000 values \| (?:[\d,]+|-) values\/s \| ETA/,
    );
    expect(result.stdout).not.toMatch(/^progress /m);
  });

  it("stops cleanly on Ctrl-C and the next run resumes from the watermarks", async () => {
    await seed(40_000);
    const interrupted = await cli(["--json", "materialize"], {
      onSpawn: (child, output) => {
        const timer = setInterval(() => {
          if (/progress customer_profile/.test(output.stderr())) {
            clearInterval(timer);
            child.kill("SIGINT");
          }
        }, 5);
      },
    });
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toContain("stopping: finishing the step in progress");
    const report = JSON.parse(interrupted.stdout);
    expect(report).toMatchObject({ interrupted: true, notStarted: ["order_count"] });
    expect(report.sources).toEqual([
      expect.objectContaining({ source: "customer_profile", status: "published", values: 40_000 }),
    ]);

    const resumed = JSON.parse((await cli(["--json", "materialize"])).stdout);
    expect(resumed.sources).toEqual([
      expect.objectContaining({ source: "customer_profile", status: "unchanged" }),
      expect.objectContaining({ source: "order_count", status: "published", values: 40_000 }),
    ]);
  });

  describe("dataset", () => {
    let labels: string;
    beforeAll(() => {
      labels = join(dir, "labels.jsonl");
      const at = new Date(Date.now() + 60_000).toISOString();
      const lines = Array.from({ length: 400 }, (_, index) =>
        JSON.stringify({
          ts: at,
          customer_id: `c${index + 1}`,
          question: `Where is order ${index}?`,
          answer: "On its way.",
        }),
      );
      writeFileSync(labels, `${lines.join("\n")}\n`);
    });
    const args = (out: string) => [
      "dataset",
      "--labels",
      labels,
      "--out",
      out,
      "--timestamp",
      "ts",
      "--key",
      "customer.customerId=customer_id",
      "--input",
      "question",
      "--label",
      "answer",
      "--max-tokens",
      "200",
    ];

    it("says how many values late writes hid, and what to do, when the history was written after the labels", async () => {
      await seed(50);
      const early = join(dir, "early-labels.jsonl");
      // Labels half an hour ago: after the seeded event times (an hour ago), before they were written (now).
      const at = new Date(Date.now() - 1_800_000).toISOString();
      writeFileSync(
        early,
        `${Array.from({ length: 20 }, (_, index) => JSON.stringify({ ts: at, customer_id: `c${index + 1}`, question: "Where?", answer: "Here." })).join("\n")}\n`,
      );
      const earlyArgs = args(join(dir, "early")).map((arg) => (arg === labels ? early : arg));
      const text = await cli(earlyArgs);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(
        /hidden by late writes: \d+ label values were hidden because the history behind them was written after the label's time \(customer_profile: 20, order_count: 20\); .*original write times \(writeTime\).*--include-late-writes/,
      );
      const json = await cli([
        "--json",
        ...args(join(dir, "early-json")).map((arg) => (arg === labels ? early : arg)),
      ]);
      const { manifest } = JSON.parse(json.stdout);
      expect(manifest.lateWrites).toMatchObject({
        hidden: 40,
        bySource: { customer_profile: 20, order_count: 20 },
      });
    });

    it("writes train.jsonl with its manifest and values beside it, and reports statuses and versions", async () => {
      const out = join(dir, "train.jsonl");
      const result = await cli(["--json", ...args(out)]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/^progress dataset 400\/400 labels \(100%\)/m);
      const report = JSON.parse(result.stdout);
      expect(report.files).toEqual({
        messages: out,
        manifest: join(dir, "train.manifest.json"),
        values: join(dir, "train.values.parquet"),
      });
      expect(report.manifest).toMatchObject({ examples: 400, labels: 400, excludeLateWrites: true });
      expect(
        report.manifest.sources.map(
          (source: { name: string; version: number }) => `${source.name}@${source.version}`,
        ),
      ).toEqual(["customer_profile@1", "order_count@1"]);
      expect(report.manifest.statusCounts.customer_profile.ok).toBe(400);
      const lines = readFileSync(out, "utf8").trim().split("\n");
      expect(lines).toHaveLength(400);
      expect(JSON.parse(lines[0] ?? "").messages[1]).toEqual({ role: "user", content: "Where is order 0?" });
      expect(existsSync(report.files.manifest) && existsSync(report.files.values)).toBe(true);
      expect(
        readdirSync(dir).filter((name) => name.includes("building") || name.includes("partial")),
      ).toEqual([]);

      const text = await cli(args(join(dir, "again.jsonl")));
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/dataset 400 examples from 400 labels \(0 skipped\)/);
      expect(text.stdout).toMatch(/late writes: excluded/);
      expect(text.stdout).toMatch(/definitions: customer_profile@v1, order_count@v1 · fingerprint [0-9a-f]+/);
      expect(text.stdout).toMatch(/customer_profile\s+400\s+-/);
    });

    it.skipIf(!scriptAvailable)("draws a progress bar with rate and ETA on a terminal", async () => {
      const out = join(dir, "tty.jsonl");
      const result = await runCliInTty(args(out), { cwd: WAREHOUSE, env, timeoutMs: 120_000 });
      expect(result.code, result.stdout).toBe(0);
      expect(result.stdout).toMatch(
        /dataset .*█+.* 100% \| 400\/400 labels \| (?:[\d.,]+|-) labels\/s \| ETA/,
      );
      expect(result.stdout).not.toMatch(/^progress /m);
      expect(stripVTControlCharacters(result.stdout)).toMatch(/dataset 400 examples from 400 labels/);
      expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(400);
    });

    it("never overwrites, and rejects missing flags and files as usage errors", async () => {
      const existing = await cli(args(join(dir, "train.jsonl")));
      expect(existing.code).toBe(2);
      expect(existing.stderr).toMatch(
        /already exists; choose a new path or remove it first \(nothing is overwritten\)/,
      );
      const noLabels = await cli(["dataset", "--out", join(dir, "x.jsonl"), "--input", "q", "--label", "a"]);
      expect(noLabels.code).toBe(2);
      expect(noLabels.stderr).toMatch(/--labels <file> is required/);
      const missingFile = await cli(
        args(join(dir, "y.jsonl")).map((arg) => (arg === labels ? join(dir, "none.jsonl") : arg)),
      );
      expect(missingFile.code).toBe(2);
      expect(missingFile.stderr).toMatch(/none\.jsonl does not exist/);
      const badKey = await cli(
        args(join(dir, "z.jsonl")).map((arg) => (arg.startsWith("customer.") ? "customer" : arg)),
      );
      expect(badKey.code).toBe(2);
      expect(badKey.stderr).toMatch(/is not entity\.field=column/);
    });

    it("writes the library's directory layout for --out <dir>", async () => {
      const out = join(dir, "train-dir");
      const result = await cli(args(out));
      expect(result.code, result.stderr).toBe(0);
      expect(readdirSync(out).sort()).toEqual(["manifest.json", "messages.jsonl", "values.parquet"]);
    });

    it("leaves nothing behind when interrupted", async () => {
      const many = join(dir, "many.jsonl");
      const at = new Date(Date.now() + 60_000).toISOString();
      writeFileSync(
        many,
        `${Array.from({ length: 20_000 }, (_, index) => JSON.stringify({ ts: at, customer_id: `c${(index % 40_000) + 1}`, question: "q", answer: "a" })).join("\n")}\n`,
      );
      const out = join(dir, "interrupted.jsonl");
      const result = await cli(
        args(out).map((arg) => (arg === labels ? many : arg)),
        {
          onSpawn: (child, output) => {
            const timer = setInterval(() => {
              if (/progress dataset/.test(output.stderr())) {
                clearInterval(timer);
                child.kill("SIGINT");
              }
            }, 20);
          },
        },
      );
      expect(result.code, result.stderr).toBe(130);
      expect(result.stderr).toContain("interrupted: no dataset written (temporary files removed)");
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).filter((name) => name.includes("interrupted"))).toEqual([]);
    });
  });
});
