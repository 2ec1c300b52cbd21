import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batch, createContextStore, empty, isCtxError, memoryStore } from "@ctxstore/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  buildTrainingDataset,
  duckdbOfflineStore,
  pointInTime,
  renderExamples,
  withOfflineRecording,
} from "../src/index.js";
import { accountStatus, customer, customerProfile, openOrders, recentActivity } from "./support-fixture.js";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-03-02T09:00:00Z");

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "ctxstore-dataset-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("training datasets", () => {
  it("renders byte-for-byte the prompt assemble served at each moment (train/serve parity, no late-write leakage)", async () => {
    let now = T0;
    const clock = () => now;
    let resolverCalls = 0;
    const status = accountStatus(() => {
      resolverCalls += 1;
      return { standing: now < T0 + 5 * HOUR ? "good" : "payment overdue" };
    });
    const sources = [customerProfile, openOrders, recentActivity, status];
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const serving = withOfflineRecording(
      createContextStore({ sources, online: memoryStore({ now: clock }), now: clock }),
      offline,
      { now: clock },
    );
    const c1 = { customerId: "c-1001" };
    const c2 = { customerId: "c-2002" };
    const budget = { maxTokens: 120 };
    const question = "Where is my order? It was supposed to arrive yesterday.";

    await serving.write(customerProfile, c1, {
      plan: "Pro",
      since: "2023-05-01",
      summary: "Long-time customer, prefers email.",
    });
    await serving.write(customerProfile, c2, empty("profile not computed yet for new sign-ups"));
    now = T0 + HOUR;
    await serving.write(openOrders, c1, [{ id: "A-17", status: "shipped" }]);
    await serving.write(openOrders, c2, empty("no open orders"));
    now = T0 + 2 * HOUR;
    await serving.append(recentActivity, c1, { action: "Viewed order A-17 tracking page" });
    now = T0 + 2 * HOUR + 600_000;
    await serving.append(recentActivity, c1, { action: "Opened the help center" });
    now = T0 + 3 * HOUR;
    const servedEarly = await serving.assemble({ keys: { customer: c1 }, query: question, budget });
    const servedOther = await serving.assemble({ keys: { customer: c2 }, query: question, budget });

    // Later history: a new profile, and a backfill that claims an earlier event time.
    now = T0 + 5 * HOUR;
    await serving.write(customerProfile, c1, {
      plan: "Enterprise",
      since: "2023-05-01",
      summary: "Upgraded after a sales call.",
    });
    now = T0 + 6 * HOUR;
    await serving.write(openOrders, c1, [{ id: "A-17", status: "delayed at depot" }], {
      eventTime: T0 + 2.5 * HOUR,
    });
    now = T0 + 7 * HOUR;
    const servedLate = await serving.assemble({ keys: { customer: c1 }, query: question, budget });
    expect(servedEarly.text).not.toBe(servedLate.text);
    expect(servedLate.text).toContain("delayed at depot");
    expect(servedEarly.values.account_status?.status).toBe("ok");
    const callsBeforeBuild = resolverCalls;

    const outDir = join(directory, "support-v1");
    const report = await buildTrainingDataset({
      offline,
      context: serving,
      labels: [
        {
          timestamp: T0 + 3 * HOUR,
          keys: { customer: c1 },
          question,
          reply: "Your order A-17 has shipped; tracking shows it arriving today.",
        },
        {
          timestamp: new Date(T0 + 3 * HOUR).toISOString(),
          keys: { customer: c2 },
          question,
          reply: "I can't find an open order on your account.",
        },
        {
          timestamp: T0 + 7 * HOUR,
          keys: { customer: c1 },
          question,
          reply: "A-17 is delayed at the depot; I've escalated it.",
        },
      ],
      outDir,
      budget,
      input: "question",
      label: "reply",
    });
    expect(resolverCalls).toBe(callsBeforeBuild);
    const lines = (await readFile(join(outDir, "messages.jsonl"), "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(3);
    expect(lines[0].messages[0]).toEqual({ role: "system", content: servedEarly.text });
    expect(lines[1].messages[0].content).toBe(servedOther.text);
    expect(lines[2].messages[0].content).toBe(servedLate.text);
    expect(lines[0].messages[0].content).not.toContain("delayed at depot");
    expect(lines[0].messages.slice(1)).toEqual([
      { role: "user", content: question },
      { role: "assistant", content: "Your order A-17 has shipped; tracking shows it arriving today." },
    ]);
    const manifest = JSON.parse(await readFile(join(outDir, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({
      examples: 3,
      skippedCount: 0,
      excludeLateWrites: true,
      encoding: "o200k_base",
      budget,
    });
    expect(manifest.sources.map((source: { field: string }) => source.field)).toEqual([
      "customer_profile@1",
      "open_orders@1",
      "recent_activity@1",
      "account_status@1",
    ]);
    expect(manifest.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(report.manifest.statusCounts.customer_profile).toEqual({ ok: 2, empty: 1 });

    // The raw values file: one row per label, one struct per source.
    const raw = await offline.connection.runAndReadAll(
      `SELECT ctx_row AS row, customer_profile.status AS profile, open_orders.status AS orders FROM read_parquet('${join(outDir, "values.parquet")}') ORDER BY ctx_row`,
    );
    expect(raw.getRowObjectsJS()).toEqual([
      { row: 1n, profile: "ok", orders: "ok" },
      { row: 2n, profile: "empty", orders: "empty" },
      { row: 3n, profile: "ok", orders: "ok" },
    ]);
    await offline.close();
  });

  it("renders stale values under the fallback policy, and expired records as missing, exactly as serving did", async () => {
    let now = T0;
    const clock = () => now;
    const day = 86_400_000;
    const loyalty = batch("loyalty", {
      entity: customer,
      schema: z.object({ tier: z.string() }),
      maxAge: "1d",
      section: "Loyalty",
      onUnavailable: "fallback",
      render: (value) => `Loyalty tier: ${value.tier}.`,
    });
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const serving = withOfflineRecording(
      createContextStore({ sources: [loyalty, openOrders], online: memoryStore({ now: clock }), now: clock }),
      offline,
      { now: clock },
    );
    const key = { customerId: "c1" };
    await serving.write(loyalty, key, { tier: "gold" });
    now = T0 + 0.8 * day;
    await serving.write(openOrders, key, [{ id: "B-2", status: "packed" }]); // refreshes the entity's 1-day TTL
    now = T0 + 1.5 * day;
    const stale = await serving.assemble({ keys: { customer: key }, budget: { maxTokens: 200 } });
    now = T0 + 4 * day;
    const expired = await serving.assemble({ keys: { customer: key }, budget: { maxTokens: 200 } });
    expect(stale.values.loyalty?.status).toBe("stale");
    expect(stale.text).toContain("Loyalty tier: gold.");
    expect(expired.values.loyalty?.status).toBe("missing");

    const result = await pointInTime(offline, {
      labels: [
        { timestamp: T0 + 1.5 * day, keys: { customer: key }, q: "q", a: "a" },
        { timestamp: T0 + 4 * day, keys: { customer: key }, q: "q", a: "a" },
      ],
      excludeLateWrites: true,
    });
    const prompts = [];
    for await (const example of renderExamples(
      { offline, context: serving, budget: { maxTokens: 200 }, input: "q", label: "a" },
      result,
    )) {
      prompts.push("messages" in example ? example.messages[0].content : example.reason);
    }
    expect(prompts).toEqual([stale.text, expired.text]);
    await result.drop();
    await offline.close();
  });

  it("skips labels whose required context was unavailable and refuses to overwrite a dataset", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const required = { ...customerProfile, required: true, onUnavailable: "fail" as const };
    const context = createContextStore({ sources: [required, openOrders], now: () => T0 });
    await context.ready();
    offline.register([required, openOrders]);
    await offline.record([
      {
        source: required,
        key: { customerId: "c1" },
        value: { plan: "Pro", since: "2024", summary: "Fine." },
        eventTime: T0,
        writeTime: T0,
      },
    ]);
    const outDir = join(directory, "skips");
    const report = await buildTrainingDataset({
      offline,
      context,
      labels: [
        { timestamp: T0 + HOUR, keys: { customer: { customerId: "c1" } }, q: "hi", a: "hello" },
        { timestamp: T0 + HOUR, keys: { customer: { customerId: "unknown" } }, q: "hi", a: "hello" },
      ],
      outDir,
      budget: { maxTokens: 200 },
      input: "q",
      label: "a",
      valuesFormat: "jsonl",
    });
    expect(report.manifest).toMatchObject({ examples: 1, skippedCount: 1 });
    expect(report.manifest.skipped[0]).toMatchObject({
      row: 2,
      reason: expect.stringMatching(/CTX_REQUIRED_UNAVAILABLE: .*customer_profile is missing/),
    });
    expect((await readFile(join(outDir, "values.jsonl"), "utf8")).trimEnd().split("\n")).toHaveLength(2);
    const again = await buildTrainingDataset({
      offline,
      context,
      labels: [],
      outDir,
      budget: { maxTokens: 10 },
      input: "q",
      label: "a",
    }).catch((error: unknown) => error);
    expect(isCtxError(again, "CTX_CONFIG")).toBe(true);
    await offline.close();
  });

  it("replays realtime values only when recorded near t, and otherwise says missing", async () => {
    const offline = await duckdbOfflineStore({ path: ":memory:" });
    const status = accountStatus(() => ({ standing: "live" }));
    const context = createContextStore({ sources: [status], now: () => T0 });
    offline.register([status]);
    await offline.record([
      {
        source: status,
        key: { customerId: "c1" },
        value: { standing: "good" },
        eventTime: T0,
        writeTime: T0,
      },
    ]);
    const result = await pointInTime(offline, {
      labels: [
        { timestamp: T0 + 30_000, keys: { customer: { customerId: "c1" } }, q: "q", a: "a" },
        { timestamp: T0 + 2 * HOUR, keys: { customer: { customerId: "c1" } }, q: "q", a: "a" },
      ],
      sources: [status],
    });
    const rendered = [];
    for await (const example of renderExamples(
      { offline, context, budget: { maxTokens: 100 }, input: "q", label: "a" },
      result,
    ))
      rendered.push(example);
    expect(
      rendered.map((example) =>
        "result" in example ? example.result.values.account_status?.status : "skipped",
      ),
    ).toEqual(["ok", "stale"]);
    expect("result" in rendered[0]! && rendered[0].result.text).toContain("Account standing: good");
    await result.drop();
    await offline.close();
  });
});
