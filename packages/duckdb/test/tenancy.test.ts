// Tenancy in the DuckDB offline store (issue #18): a tenant column in every table, every query,
// join, build, materialization and erasure scoped by it, typed errors for a missing or bad tenant,
// `missing` (never `empty`) for a tenant without data, and files written before tenancy existed.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batch, createContextStore, defineEntity, memoryStore, stream } from "@ctxstore/core";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  buildTrainingDataset,
  duckdbOfflineStore,
  loadFile,
  materialize,
  pointInTime,
  withOfflineRecording,
} from "../src/index.js";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const KEY = "a-test-pseudonym-key-of-32-bytes!";
const customer = defineEntity("customer", { key: z.object({ customerId: z.string().min(1) }) });
const session = defineEntity("session", { key: z.object({ sessionId: z.string().min(1) }) });
const profile = batch("profile", {
  entity: customer,
  schema: z.object({ summary: z.string() }),
  section: "Customer",
  render: (value) => value.summary,
});
const clicks = stream("clicks", {
  entity: session,
  schema: z.object({ page: z.string() }),
  window: 5,
  maxAge: "1d",
  section: "Recent clicks",
  render: (event) => event.page,
});
const sources = [profile, clicks];

function multiContext(online = memoryStore()) {
  return createContextStore({
    sources,
    online,
    tenancy: "multi",
    now: () => T0 + 60_000,
    governance: { pseudonymKey: KEY },
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ctx-tenancy-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("tenant ids and tenancy", () => {
  it("a multi-tenant store needs a valid tenant on every call; nothing is written without one", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:", sources, tenancy: "multi" });
    const entry = { source: profile, key: { customerId: "c1" }, value: { summary: "x" }, eventTime: T0 };
    await expect(offline.record([entry])).rejects.toMatchObject({
      code: "CTX_TENANT_REQUIRED",
      message: expect.stringContaining("pass the tenant"),
    });
    for (const bad of ["a:b", "{acme}", "50%", "o'brien", ""]) {
      await expect(offline.record([{ ...entry, tenant: bad }])).rejects.toMatchObject({
        code: "CTX_INVALID_TENANT",
        message: expect.stringContaining("not a valid tenant id"),
      });
    }
    expect(await offline.count()).toBe(0);
    await expect(offline.history(profile)).rejects.toMatchObject({ code: "CTX_TENANT_REQUIRED" });
    await expect(offline.forget({ entity: "customer", key: "customerId=c1" })).rejects.toMatchObject({
      code: "CTX_TENANT_REQUIRED",
    });
    await expect(
      offline.forget({ entity: "customer", key: "customerId=c1", tenant: "a:b" }),
    ).rejects.toMatchObject({ code: "CTX_INVALID_TENANT" });
    await expect(
      pointInTime(offline, { labels: [{ timestamp: T0, keys: { customer: { customerId: "c1" } } }] }),
    ).rejects.toMatchObject({ code: "CTX_TENANT_REQUIRED" });
    await expect(
      pointInTime(offline, {
        labels: [{ timestamp: T0, keys: { customer: { customerId: "c1" } } }],
        tenant: "{x}",
      }),
    ).rejects.toMatchObject({ code: "CTX_INVALID_TENANT" });
    await expect(materialize({ offline, contextStore: multiContext() })).rejects.toMatchObject({
      code: "CTX_TENANT_REQUIRED",
    });
    await offline.close();
  });

  it("a single-tenant store refuses a tenant, and a store and a context of different tenancy are refused together", async () => {
    const single = await duckdbOfflineStore({ path: ":memory:", sources });
    await expect(
      single.record([
        {
          source: profile,
          key: { customerId: "c1" },
          value: { summary: "x" },
          eventTime: T0,
          tenant: "acme",
        },
      ]),
    ).rejects.toMatchObject({ code: "CTX_INVALID_REQUEST" });
    expect(() => withOfflineRecording(multiContext(), single)).toThrow(
      expect.objectContaining({ code: "CTX_CONFIG" }),
    );
    await expect(
      materialize({ offline: single, contextStore: multiContext(), tenant: "acme" }),
    ).rejects.toMatchObject({ code: "CTX_CONFIG" });
    await single.close();
  });
});

describe("point-in-time joins match on the tenant", () => {
  it("the same key in two tenants gives each its own value; a tenant without data reads missing", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:", sources, tenancy: "multi" });
    await offline.record([
      {
        source: profile,
        key: { customerId: "c1" },
        value: { summary: "acme's c1" },
        eventTime: T0,
        writeTime: T0,
        tenant: "acme",
      },
      {
        source: profile,
        key: { customerId: "c1" },
        value: { summary: "globex's c1" },
        eventTime: T0,
        writeTime: T0,
        tenant: "globex",
      },
      {
        source: clicks,
        key: { sessionId: "s1" },
        value: { page: "acme-page" },
        eventTime: T0,
        writeTime: T0,
        tenant: "acme",
      },
    ]);
    // One ingest pipeline confirms the stream for every tenant (as the online store's watermark does).
    await offline.recordWatermark(clicks, T0 + 1_000, T0 + 1_000);
    const keys = { customer: { customerId: "c1" }, session: { sessionId: "s1" } };
    const result = await pointInTime(offline, {
      labels: [
        { timestamp: T0 + 5_000, keys, tenant: "acme" },
        { timestamp: T0 + 5_000, keys, tenant: "globex" },
        { timestamp: T0 + 5_000, keys, tenant: "initech" },
      ],
    });
    const rows = await result.toArray();
    expect(rows.map((row) => row.tenant)).toEqual(["acme", "globex", "initech"]);
    expect(rows.map((row) => row.values.profile?.value)).toEqual([
      { summary: "acme's c1" },
      { summary: "globex's c1" },
      undefined,
    ]);
    expect(rows.map((row) => row.values.profile?.status)).toEqual(["ok", "ok", "missing"]);
    // globex has data but no clicks: the watermark says the stream ran, so its window is empty;
    // initech has no data at all (a wrong tenant id, say): missing, never empty.
    expect(rows.map((row) => row.values.clicks?.status)).toEqual(["ok", "empty", "missing"]);
    expect(rows[0]?.values.clicks?.value).toEqual([{ page: "acme-page" }]);
    expect(rows[2]?.values.clicks?.watermark).toBeUndefined();
    // The tenant is the label's scope, not a label column.
    expect(rows[0]?.columns).toEqual({});
    await result.drop();

    // A query tenant applies to every label; a label of another tenant is refused naming its row.
    const scoped = await pointInTime(offline, {
      labels: [{ timestamp: T0 + 5_000, keys }],
      tenant: "globex",
      asServed: true,
    });
    expect((await scoped.toArray())[0]?.values.profile?.value).toEqual({ summary: "globex's c1" });
    await scoped.drop();
    await expect(
      pointInTime(offline, { labels: [{ timestamp: T0, keys, tenant: "acme" }], tenant: "globex" }),
    ).rejects.toMatchObject({ code: "CTX_INVALID_REQUEST", message: expect.stringContaining("row 1") });
    await offline.close();
  });

  it("label files carry a tenant column; each distinct tenant is checked", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:", sources, tenancy: "multi" });
    await offline.record([
      {
        source: profile,
        key: { customerId: "c1" },
        value: { summary: "acme" },
        eventTime: T0,
        tenant: "acme",
      },
      {
        source: profile,
        key: { customerId: "c1" },
        value: { summary: "globex" },
        eventTime: T0,
        tenant: "globex",
      },
    ]);
    const file = join(dir, "labels.csv");
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(file, `at,customer_id,org\n${T0 + 1},c1,globex\n${T0 + 1},c1,acme\n`),
    );
    const labels = {
      file,
      timestamp: "at",
      keys: { customer: { customerId: "customer_id" } },
      tenant: "org",
    };
    const result = await pointInTime(offline, { labels, sources: [profile] });
    const rows = await result.toArray();
    expect(rows.map((row) => [row.tenant, row.values.profile?.value])).toEqual([
      ["globex", { summary: "globex" }],
      ["acme", { summary: "acme" }],
    ]);
    await result.drop();
    const bad = join(dir, "bad.csv");
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(bad, `at,customer_id,org\n${T0 + 1},c1,acme\n${T0 + 1},c1,a:b\n`),
    );
    await expect(
      pointInTime(offline, { labels: { ...labels, file: bad }, sources: [profile] }),
    ).rejects.toMatchObject({ code: "CTX_INVALID_REQUEST", message: expect.stringContaining("row 2") });
    await offline.close();
  });
});

describe("materialization, loads and recording per tenant", () => {
  it("publishes one tenant's history to that tenant's online records, with its own watermark", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:", sources, tenancy: "multi" });
    const online = memoryStore();
    const ctx = multiContext(online);
    const file = join(dir, "profiles.jsonl");
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(file, `{"customerId":"c1","event_time":${T0},"summary":"loaded for acme"}\n`),
    );
    await expect(loadFile(offline, { source: profile, file })).rejects.toMatchObject({
      code: "CTX_TENANT_REQUIRED",
    });
    await loadFile(offline, { source: profile, file, tenant: "acme" });
    await offline.record([
      {
        source: profile,
        key: { customerId: "c1" },
        value: { summary: "globex's" },
        eventTime: T0,
        tenant: "globex",
      },
    ]);
    const run = await materialize({ offline, contextStore: ctx, tenant: "acme", guard: false });
    expect(run.sources.find((source) => source.source === "profile")?.values).toBe(1);
    const read = (tenant: string) =>
      ctx.assemble({ keys: { customer: { customerId: "c1" } }, budget: { maxTokens: 200 }, tenant });
    expect((await read("acme")).values.profile?.value).toEqual({ summary: "loaded for acme" });
    expect((await read("globex")).values.profile?.status).toBe("missing");
    // acme's watermark does not cover globex: its first run publishes its own row.
    const second = await materialize({ offline, contextStore: ctx, tenant: "globex", guard: false });
    expect(second.sources.find((source) => source.source === "profile")?.values).toBe(1);
    expect((await read("globex")).values.profile?.value).toEqual({ summary: "globex's" });
    const again = await materialize({ offline, contextStore: ctx, tenant: "acme", guard: false });
    expect(again.sources.find((source) => source.source === "profile")?.status).toBe("unchanged");
    const tenants = await offline.exclusive(async (connection) =>
      (
        await connection.runAndReadAll("SELECT DISTINCT tenant FROM ctx_materializations ORDER BY 1")
      ).getRows(),
    );
    expect(tenants).toEqual([["acme"], ["globex"]]);
    await offline.close();
  });

  it("a recording multi-tenant context records each write under its tenant", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:", sources, tenancy: "multi" });
    const ctx = withOfflineRecording(multiContext(), offline, { now: () => T0 + 60_000 });
    await ctx.write(
      profile,
      { customerId: "c1" },
      { summary: "acme wrote" },
      { tenant: "acme", eventTime: T0 },
    );
    await ctx.append(clicks, { sessionId: "s1" }, { page: "p" }, { tenant: "globex", eventTime: T0 });
    expect((await offline.history(profile, undefined, { tenant: "acme" })).map((row) => row.value)).toEqual([
      '{"summary":"acme wrote"}',
    ]);
    expect(await offline.history(profile, undefined, { tenant: "globex" })).toEqual([]);
    expect((await offline.history(clicks, undefined, { tenant: "globex" })).length).toBe(1);
    const logged = await offline.exclusive(async (connection) =>
      (await connection.runAndReadAll("SELECT tenant FROM ctx_online_writes ORDER BY seq")).getRows(),
    );
    expect(logged).toEqual([["acme"], ["globex"]]);
    await offline.close();
  });
});

describe("forget with a tenant", () => {
  it("erases that tenant's history of the key only; nothing brings it back", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:", sources, tenancy: "multi" });
    const online = memoryStore();
    const ctx = createContextStore({
      sources,
      online,
      tenancy: "multi",
      now: () => T0 + 60_000,
      erasure: [offline],
    });
    await offline.record(
      ["acme", "globex"].flatMap((tenant) => [
        {
          source: profile,
          key: { customerId: "c1" },
          value: { summary: `ERASE ${tenant} v1` },
          eventTime: T0,
          writeTime: T0,
          tenant,
        },
        {
          source: profile,
          key: { customerId: "c1" },
          value: { summary: `ERASE ${tenant} v2` },
          eventTime: T0 + 1,
          writeTime: T0 + 1,
          tenant,
        },
      ]),
    );
    for (const tenant of ["acme", "globex"])
      await materialize({ offline, contextStore: ctx, tenant, guard: false });
    const receipt = await ctx.forget({ entity: customer, key: { customerId: "c1" }, tenant: "acme" });
    expect(receipt.tenant).toBe("acme");
    expect(receipt.tiers).toContainEqual({ tier: "offline", store: "duckdb", removed: 2 });
    expect(await offline.history(profile, { customerId: "c1" }, { tenant: "acme" })).toEqual([]);
    expect((await offline.history(profile, { customerId: "c1" }, { tenant: "globex" })).length).toBe(2);

    await materialize({ offline, contextStore: ctx, tenant: "acme", since: 0, guard: false });
    const read = (tenant: string) =>
      ctx.assemble({ keys: { customer: { customerId: "c1" } }, budget: { maxTokens: 200 }, tenant });
    expect((await read("acme")).values.profile?.status).toBe("missing");
    expect((await read("globex")).values.profile?.value).toEqual({ summary: "ERASE globex v2" });
    const labels = [
      { timestamp: T0 + 5_000, keys: { customer: { customerId: "c1" } }, tenant: "acme" },
      { timestamp: T0 + 5_000, keys: { customer: { customerId: "c1" } }, tenant: "globex" },
    ];
    const result = await pointInTime(offline, { labels, sources: [profile] });
    expect((await result.toArray()).map((row) => row.values.profile?.status)).toEqual(["missing", "ok"]);
    await result.drop();
    const outDir = join(dir, "after-forget");
    await buildTrainingDataset({
      offline,
      contextStore: ctx,
      labels: labels.map((label) => ({ ...label, question: "q", answer: "a" })),
      input: "question",
      label: "answer",
      budget: { maxTokens: 300 },
      outDir,
      sources: ["profile"],
    });
    const messages = await readFile(join(outDir, "messages.jsonl"), "utf8");
    expect(messages).not.toContain("ERASE acme");
    expect(messages).toContain("ERASE globex v2");
    await offline.close();
  });
});

describe("files written before tenancy", () => {
  it('open single-tenant with a tenant column added ("" on every row); a multi-tenant open is refused', async () => {
    const path = join(dir, "old.duckdb");
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    // The history table as 0.2.0 created it: no tenant column, no meta table.
    await connection.run(`CREATE TABLE ctx_history (seq BIGINT NOT NULL, source VARCHAR NOT NULL, schema_version INTEGER NOT NULL,
      entity VARCHAR NOT NULL, entity_key VARCHAR NOT NULL, key_json VARCHAR NOT NULL, event_time BIGINT NOT NULL,
      write_time BIGINT NOT NULL, value JSON, is_empty BOOLEAN NOT NULL, empty_reason VARCHAR, event_id VARCHAR)`);
    await connection.run(`INSERT INTO ctx_history VALUES (1, 'profile', 1, 'customer', 'customerId=c1', '{"customerId":"c1"}',
      ${T0}, ${T0}, '{"summary":"old row"}', false, NULL, NULL)`);
    connection.closeSync();
    instance.closeSync();

    await expect(duckdbOfflineStore({ path, sources, tenancy: "multi" })).rejects.toMatchObject({
      code: "CTX_CONFIG",
      message: expect.stringContaining("single-tenant history"),
    });
    const offline = await duckdbOfflineStore({ path, sources });
    expect(offline.tenancy).toBe("single");
    const [row] = await offline.history(profile);
    expect(row).toMatchObject({ seq: 1, value: '{"summary":"old row"}', tenant: "" });
    await offline.record([
      { source: profile, key: { customerId: "c2" }, value: { summary: "new" }, eventTime: T0 },
    ]);
    const result = await pointInTime(offline, {
      labels: [
        { timestamp: T0 + 1, keys: { customer: { customerId: "c1" } } },
        { timestamp: T0 + 1, keys: { customer: { customerId: "c2" } } },
      ],
      sources: [profile],
    });
    expect((await result.toArray()).map((entry) => entry.values.profile?.status)).toEqual(["ok", "ok"]);
    await result.drop();
    await offline.close();
  });

  it("a multi-tenant file keeps its tenancy", async () => {
    const path = join(dir, "multi.duckdb");
    const offline = await duckdbOfflineStore({ path, sources, tenancy: "multi" });
    await offline.record([
      { source: profile, key: { customerId: "c1" }, value: { summary: "x" }, eventTime: T0, tenant: "acme" },
    ]);
    await offline.close();
    await expect(duckdbOfflineStore({ path, sources })).rejects.toMatchObject({
      code: "CTX_CONFIG",
      message: expect.stringContaining('tenancy: "multi"'),
    });
    const reopened = await duckdbOfflineStore({ path, sources, tenancy: "multi" });
    expect(await reopened.count()).toBe(1);
    await reopened.close();
  });
});
