// materialize, dataset and explain on a multi-tenant config (#18), as real child processes of the
// `ctxstore` bin: a private redis-server as the online store and a multi-tenant DuckDB file. Each
// tenant's run publishes only its own history (also when interrupted and resumed), a dataset holds
// only its tenant's values, the purpose's redaction leaves no raw tagged value in any output file,
// and a missing, misplaced or invalid tenant or an unknown purpose is a usage error (exit 2).
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RedisServer, redisServerAvailable, startRedisServer } from "@ctxstore/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emailOf, ordersOf, recordTenant } from "./fixtures/tenants/history.js";
import { FIXTURES, runCli, WAREHOUSE } from "./support/cli.js";

const TENANTS = join(FIXTURES, "tenants");
const ACME = 200;
// Enough values that the first source is still publishing when the Ctrl-C arrives.
const GLOBEX = 60_000;

describe.skipIf(!redisServerAvailable())("a multi-tenant config through the CLI", () => {
  let redis: RedisServer;
  let dir: string;
  let env: Record<string, string>;
  let labels: string;

  const cli = (args: string[], extra: Parameters<typeof runCli>[1] = {}) =>
    runCli(args, { cwd: TENANTS, env, timeoutMs: 180_000, ...extra });
  const explain = async (tenant: string, customer: string) => {
    const result = await cli([
      "--json",
      "explain",
      "--tenant",
      tenant,
      "--key",
      `customer.customerId=${customer}`,
      "--deadline",
      "10s",
    ]);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { text: string; sources: Array<{ source: string; status: string }> };
  };
  const datasetArgs = (out: string) => [
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
    "--values-format",
    "jsonl",
  ];

  beforeAll(async () => {
    redis = await startRedisServer({ label: "cli-tenants" });
    dir = mkdtempSync(join(tmpdir(), "ctxstore-cli-tenants-"));
    env = { REDIS_URL: redis.url, CTXSTORE_OFFLINE: join(dir, "offline.duckdb") };
    await recordTenant({ path: env.CTXSTORE_OFFLINE ?? "", tenant: "acme", customers: ACME });
    await recordTenant({ path: env.CTXSTORE_OFFLINE ?? "", tenant: "globex", customers: GLOBEX });
    labels = join(dir, "labels.jsonl");
    const at = new Date(Date.now() + 60_000).toISOString();
    writeFileSync(
      labels,
      `${Array.from({ length: 50 }, (_, index) => JSON.stringify({ ts: at, customer_id: `c${index + 1}`, question: `Order ${index}?`, answer: "Shipped." })).join("\n")}\n`,
    );
  }, 180_000);

  afterAll(async () => {
    await redis?.stop();
  });

  it("refuses materialize and dataset without --tenant, with an invalid one, and --tenant on a single-tenant config (exit 2)", async () => {
    const missing = await cli(["materialize"]);
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toMatch(
      /multi-tenant offline store.*Pass it with --tenant <id>.*run once per tenant/,
    );
    const missingJson = JSON.parse(
      (await cli(["--json", "dataset", ...datasetArgs(join(dir, "x.jsonl")).slice(1)])).stdout,
    );
    expect(missingJson.error.code).toBe("CTX_TENANT_REQUIRED");
    const noTenantExplain = await cli(["explain", "--key", "customer.customerId=c1"]);
    expect(noTenantExplain.code).toBe(2);
    expect(noTenantExplain.stderr).toMatch(/CTX_TENANT_REQUIRED: .*multi-tenant; pass the tenant/);
    const invalid = await cli(["materialize", "--tenant", "acme:eu"]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/tenant "acme:eu" is not a valid tenant id/);
    const single = { cwd: WAREHOUSE, env: { CTXSTORE_OFFLINE: join(dir, "single.duckdb") } };
    for (const args of [
      ["materialize", "--tenant", "acme"],
      [...datasetArgs(join(dir, "s.jsonl")), "--tenant", "acme"],
    ]) {
      const result = await cli(args, single);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/--tenant "acme" given, but .* single-tenant offline store/);
    }
    expect(readdirSync(dir).filter((name) => name.endsWith(".jsonl") && name !== "labels.jsonl")).toEqual([]);
  });

  it("publishes one tenant per run; the other tenant still reads missing", async () => {
    const result = await cli(["--json", "materialize", "--tenant", "acme"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ tenant: "acme", written: 2 * ACME, held: [], interrupted: false });
    const acme = await explain("acme", "c3");
    expect(acme.sources.map((source) => source.status)).toEqual(["ok", "ok"]);
    expect(acme.text).toContain(emailOf("acme", 3));
    expect(acme.text).toContain(`Orders in the last year: ${ordersOf("acme", 3)}.`);
    expect(acme.text).not.toContain("globex");
    const globex = await explain("globex", "c3");
    expect(globex.sources.map((source) => source.status)).toEqual(["missing", "missing"]);
    expect(globex.text).not.toContain("acme");
    const text = await cli(["materialize", "--tenant", "acme"]);
    expect(text.stdout).toMatch(/contact\s+unchanged/);
    expect(text.stdout).toMatch(/written 0 values of tenant acme to redis/);
  });

  it("Ctrl-C in one tenant's run and its resume leave the other tenant's values and watermarks alone", async () => {
    const interrupted = await cli(["--json", "materialize", "--tenant", "globex"], {
      onSpawn: (child, output) => {
        const timer = setInterval(() => {
          if (/progress contact/.test(output.stderr())) {
            clearInterval(timer);
            child.kill("SIGINT");
          }
        }, 20);
      },
    });
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const report = JSON.parse(interrupted.stdout);
    expect(report).toMatchObject({ tenant: "globex", interrupted: true, notStarted: ["order_count"] });
    expect(report.sources).toEqual([
      expect.objectContaining({ source: "contact", status: "published", values: GLOBEX }),
    ]);
    const half = await explain("globex", "c3");
    expect(half.sources.map((source) => source.status)).toEqual(["ok", "missing"]);
    expect(half.text).toContain(emailOf("globex", 3));
    const acme = await explain("acme", "c3");
    expect(acme.text).toContain(emailOf("acme", 3));
    expect(acme.text).toContain(`Orders in the last year: ${ordersOf("acme", 3)}.`);

    // acme's watermarks are its own: nothing new for it, nothing of globex's published under it.
    const acmeAgain = JSON.parse((await cli(["--json", "materialize", "--tenant", "acme"])).stdout);
    expect(acmeAgain.sources.map((source: { status: string }) => source.status)).toEqual([
      "unchanged",
      "unchanged",
    ]);
    expect(acmeAgain.written).toBe(0);
    const resumed = JSON.parse((await cli(["--json", "materialize", "--tenant", "globex"])).stdout);
    expect(resumed).toMatchObject({ tenant: "globex", written: GLOBEX });
    expect(resumed.sources).toEqual([
      expect.objectContaining({ source: "contact", status: "unchanged" }),
      expect.objectContaining({ source: "order_count", status: "published", values: GLOBEX }),
    ]);
    const globex = await explain("globex", "c3");
    expect(globex.text).toContain(`Orders in the last year: ${ordersOf("globex", 3)}.`);
    expect(globex.text).not.toContain("acme");
    expect((await explain("acme", "c3")).text).not.toContain("globex");
  });

  it("builds a tenant's dataset from its own history, pseudonymised for training by default", async () => {
    const out = join(dir, "acme.jsonl");
    const result = await cli(["--json", ...datasetArgs(out), "--tenant", "acme"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ tenant: "acme", purpose: "training" });
    expect(report.manifest).toMatchObject({
      tenant: "acme",
      purpose: "training",
      redactedSources: ["contact"],
      examples: 50,
    });
    const files = [out, report.files.values, report.files.manifest].map((file) => readFileSync(file, "utf8"));
    for (const content of files) {
      expect(content).not.toContain("@acme.example");
      expect(content).not.toContain("globex");
    }
    const messages = files[0] ?? "";
    expect(messages).toMatch(/Email: pii_[0-9a-f]{16}; company: acme corp\./);
    expect(messages).toContain(`Orders in the last year: ${ordersOf("acme", 3)}.`);
    expect(messages).not.toContain(`Orders in the last year: ${ordersOf("globex", 3)}.`);
  });

  it("applies a named purpose's policy and prints it with the redacted sources; an unknown purpose is exit 2", async () => {
    const out = join(dir, "support.jsonl");
    const result = await cli([...datasetArgs(out), "--tenant", "globex", "--purpose", "support"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/purpose: support · tenant globex · redacted sources: contact/);
    const messages = readFileSync(out, "utf8");
    expect(messages).toContain("Email: [redacted contact]; company: globex corp.");
    for (const file of [out, join(dir, "support.values.jsonl"), join(dir, "support.manifest.json")]) {
      const content = readFileSync(file, "utf8");
      expect(content).not.toContain("@globex.example");
      expect(content).not.toContain("acme");
    }

    const unknown = await cli([
      ...datasetArgs(join(dir, "marketing.jsonl")),
      "--tenant",
      "globex",
      "--purpose",
      "marketing",
    ]);
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toMatch(/purpose "marketing" is not declared; use one of .*support/);
    expect(existsSync(join(dir, "marketing.jsonl"))).toBe(false);
    expect(readdirSync(dir).filter((name) => name.includes("marketing"))).toEqual([]);
  });

  it("passes --principal and --role on: the purpose's unredactedFor role sees the raw value, others do not", async () => {
    const base = [
      "--json",
      "explain",
      "--tenant",
      "acme",
      "--key",
      "customer.customerId=c3",
      "--purpose",
      "support",
    ];
    const masked = JSON.parse((await cli([...base, "--principal", "agent-7", "--role", "agent"])).stdout);
    expect(masked.text).toContain("Email: [redacted contact]");
    expect(masked.text).not.toContain(emailOf("acme", 3));
    const officer = JSON.parse(
      (await cli([...base, "--principal", "po-1", "--role", "privacy-officer"])).stdout,
    );
    expect(officer.text).toContain(emailOf("acme", 3));

    const out = join(dir, "officer.jsonl");
    const dataset = await cli([
      ...datasetArgs(out),
      "--tenant",
      "acme",
      "--purpose",
      "support",
      "--principal",
      "po-1",
      "--role",
      "privacy-officer",
    ]);
    expect(dataset.code, dataset.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toContain(emailOf("acme", 3));

    const roleOnly = await cli([...base.slice(1), "--role", "privacy-officer"]);
    expect(roleOnly.code).toBe(2);
    expect(roleOnly.stderr).toMatch(/--role needs --principal <id>/);
  });
});
