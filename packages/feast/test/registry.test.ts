// Feast registry -> ctxstore definitions: decoding a registry file, refusing files that are not one,
// generating TypeScript that type-checks and reads Feast's golden hashes from a real redis-server,
// and verifying hand-written sources against the registry.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createContextStore, isCtxError } from "@ctxstore/core";
import { redisStore } from "@ctxstore/redis";
import { type RedisServer, redisServerAvailable, startRedisServer } from "@ctxstore/redis/testing";
import { Redis } from "ioredis";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AnyFeastSource,
  feastSource,
  feastType,
  generateFeastDefinitions,
  readFeastRegistry,
  verifyFeastSources,
  withFeast,
} from "../src/index.js";
import { driverKeys, driverStats } from "./definitions.js";
import { expectedRow, loadGoldenHashes } from "./golden-redis.js";
import { goldenRegistry } from "./registry.js";

const here = dirname(fileURLToPath(import.meta.url));

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isCtxError(error, "CTX_CONFIG")) return error.message;
    throw error;
  }
  throw new Error("expected a CTX_CONFIG error");
}

describe("readFeastRegistry", () => {
  it("decodes projects, entities, views (batch, stream, on-demand), features, join keys and TTLs", () => {
    const info = readFeastRegistry(goldenRegistry());
    expect(info.projects).toEqual(["demo", "shop"]);
    const driver = info.featureViews.find((view) => view.name === "driver_hourly_stats");
    expect(driver).toMatchObject({
      project: "demo",
      kind: "batch",
      ttlMs: 86_400_000,
      // From the driver entity: the view has no entity columns.
      joinKeys: [{ name: "driver_id", valueType: "INT64" }],
      features: [
        { name: "conv_rate", valueType: "DOUBLE" },
        { name: "acc_rate", valueType: "FLOAT" },
        { name: "avg_daily_trips", valueType: "INT64" },
      ],
    });
    expect(info.featureViews.find((view) => view.name === "customer_profile")?.currentVersion).toBe(2);
    expect(info.featureViews.find((view) => view.name === "driver_live")).toMatchObject({
      kind: "stream",
      ttlMs: 600_000,
    });
    expect(info.featureViews.find((view) => view.name === "conv_rate_plus")).toMatchObject({
      kind: "on_demand",
      writesToOnlineStore: false,
    });
  });

  it("refuses what is not a Feast registry with a typed error that says what to pass", () => {
    const candidates = [
      new Uint8Array(),
      Buffer.from("SQLite format 3\u0000 and then pages"),
      Buffer.from("project: demo\nregistry: data/registry.db\n"),
      Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"),
      Buffer.from("1822", "hex"), // a feast.types.Value, not a registry
    ];
    for (const bytes of candidates) {
      expect(configError(() => readFeastRegistry(bytes))).toMatch(/not a Feast registry file/);
    }
    const truncated = goldenRegistry().subarray(0, 50);
    expect(configError(() => readFeastRegistry(truncated))).toMatch(/not a Feast registry file/);
  });
});

describe("generateFeastDefinitions", () => {
  it("writes entities and feastSource definitions typed from the registry", () => {
    const source = generateFeastDefinitions(goldenRegistry(), {
      project: "demo",
      featureViews: ["driver_hourly_stats", "driver_live"],
    });
    expect(source).toContain('defineEntity("driver", { key: z.object({ driver_id: z.number().int() }) })');
    expect(source).toContain('export const driverHourlyStats = feastSource("driver_hourly_stats", {');
    expect(source).toContain('ttl: "1d"');
    expect(source).toContain("conv_rate: feastType.double(), // Share of offers accepted * / closed");
    expect(source).toContain("avg_daily_trips: feastType.int64(),");
    // One entity shared by both views.
    expect(source.match(/defineEntity\(/g)).toHaveLength(1);
    expect(source).toContain("export const feastSources = [driverHourlyStats, driverLive] as const;");
  });

  it("names versioned views <view>_v<N> when online versioning is on, and can make every feature nullable", () => {
    const source = generateFeastDefinitions(goldenRegistry(), {
      project: "shop",
      featureViews: ["customer_profile", "user_merchant_stats"],
      onlineVersioning: true,
      nullable: true,
    });
    expect(source).toContain('feastSource("customer_profile_v2", {');
    expect(source).toContain("featureViewVersion: 2,");
    expect(source).toContain('tags: feastType.list("string").orNull(),');
    expect(source).toContain('weird: feastType.set("int64").orNull(),');
    expect(source).toContain('user_id: "int64", merchant_id: "string"');
  });

  it("says what is wrong: unknown view, ambiguous or unknown project, on-demand view, unreadable type", () => {
    const registry = goldenRegistry();
    expect(
      configError(() => generateFeastDefinitions(registry, { featureViews: ["driver_hourly_stats"] })),
    ).toMatch(/projects demo, shop; pass `project`/);
    expect(
      configError(() => generateFeastDefinitions(registry, { project: "demo", featureViews: ["nope"] })),
    ).toMatch(
      /"nope" is not in project "demo"; it has driver_hourly_stats, driver_live, conv_rate_plus, conv_rate_stored/,
    );
    expect(
      configError(() => generateFeastDefinitions(registry, { project: "prod", featureViews: ["x"] })),
    ).toMatch(/project "prod" is not in this registry/);
    expect(
      configError(() =>
        generateFeastDefinitions(registry, { project: "demo", featureViews: ["conv_rate_plus"] }),
      ),
    ).toMatch(/computes in Python at request time/);
    expect(
      configError(() =>
        generateFeastDefinitions(registry, { project: "shop", featureViews: ["broken_types"] }),
      ),
    ).toMatch(/"nothing" of "broken_types" has type NULL/);
    expect(
      generateFeastDefinitions(registry, { project: "demo", featureViews: ["conv_rate_stored"] }),
    ).toContain("On-demand view with write_to_online_store");
  });

  it("generates code that type-checks under the repository's strict settings", () => {
    const directory = mkdtempSync(join(here, ".generated-"));
    try {
      const file = join(directory, "feast-definitions.ts");
      writeFileSync(
        file,
        generateFeastDefinitions(goldenRegistry(), {
          project: "shop",
          featureViews: ["customer_profile", "user_merchant_stats"],
          onlineVersioning: true,
        }),
      );
      const program = ts.createProgram([file], {
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        customConditions: ["@ctxstore/source"],
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
      });
      const diagnostics = ts
        .getPreEmitDiagnostics(program)
        .filter((diagnostic) => diagnostic.file?.fileName === file || diagnostic.file === undefined);
      expect(
        diagnostics.map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")),
      ).toEqual([]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("verifyFeastSources", () => {
  it("passes matching sources and lists every mismatch (project, view, feature, type, join keys)", () => {
    const registry = goldenRegistry();
    expect(verifyFeastSources(registry, [driverStats])).toEqual([]);
    const wrong = [
      feastSource("wrong_project", {
        entity: driverKeys,
        project: "prod",
        featureView: "driver_hourly_stats",
        features: { conv_rate: feastType.double() },
        section: "S",
      }),
      feastSource("wrong_view", {
        entity: driverKeys,
        project: "demo",
        featureView: "driver_daily",
        features: { conv_rate: feastType.double() },
        section: "S",
      }),
      feastSource("wrong_type", {
        entity: driverKeys,
        project: "demo",
        featureView: "driver_hourly_stats",
        features: { conv_rate: feastType.float(), speed: feastType.double() },
        section: "S",
      }),
    ] as AnyFeastSource[];
    const problems = verifyFeastSources(registry, wrong);
    expect(problems).toEqual([
      'source "wrong_project" (prod/driver_hourly_stats): project "prod" is not in the registry (it holds demo, shop)',
      'source "wrong_view" (demo/driver_daily): no feature view "driver_daily" in project "demo"',
      'source "wrong_type" (demo/driver_hourly_stats): feature "conv_rate" is DOUBLE in Feast, declared FLOAT',
      'source "wrong_type" (demo/driver_hourly_stats): feature "speed" is not in the view',
    ]);
    expect(configError(() => verifyFeastSources(registry, wrong, { throwOnProblems: true }))).toMatch(
      /do not match the registry/,
    );
  });
});

const available = redisServerAvailable();

describe.skipIf(!available)("generated definitions against Feast's bytes", () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
    await loadGoldenHashes(admin);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it("a generated driver_hourly_stats source reads the golden hash through assemble", async () => {
    const directory = mkdtempSync(join(here, ".generated-"));
    const file = join(directory, "feast-definitions.ts");
    try {
      writeFileSync(
        file,
        generateFeastDefinitions(goldenRegistry(), {
          project: "demo",
          featureViews: ["driver_hourly_stats"],
          importFrom: pathToFileURL(join(here, "../src/index.ts")).href,
        }),
      );
      const generated = (await import(pathToFileURL(file).href)) as {
        feastSources: readonly AnyFeastSource[];
      };
      const sources = [...generated.feastSources];
      const online = withFeast(redisStore({ commandTimeoutMs: 5_000, url: server.url }), { sources });
      const context = createContextStore({ deadline: "5s", sources, online });
      try {
        const packed = await context.assemble(
          { keys: { driver: { driver_id: 1005 } }, budget: { maxTokens: 500 } },
          { now: Date.UTC(2024, 2, 10, 12) }, // six hours after the row was written
        );
        const expected = expectedRow("demo/driver_hourly_stats#0");
        expect(packed.values.driver_hourly_stats?.status).toBe("ok");
        expect(packed.values.driver_hourly_stats?.value).toEqual({
          ...expected,
          avg_daily_trips: Number(expected.avg_daily_trips),
        });
        // maxAge came from the view's TTL (1 day).
        expect(sources[0]?.maxAgeMs).toBe(86_400_000);
      } finally {
        await context.close();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
