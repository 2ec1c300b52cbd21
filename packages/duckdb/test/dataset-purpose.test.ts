// A dataset build runs for a purpose (default `training`): core's redaction policy for it shapes
// every prompt and the tagged values of the values file; the manifest records it.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batch, createContextStore, defineEntity } from "@ctxstore/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { buildTrainingDataset, duckdbOfflineStore } from "../src/index.js";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const KEY = "a-test-pseudonym-key-of-32-bytes!";
const customer = defineEntity("customer", { key: z.object({ customerId: z.string().min(1) }) });
const contact = batch("contact", {
  entity: customer,
  schema: z.object({ email: z.string(), plan: z.string() }),
  section: "Customer",
  pii: { fields: { email: "contact" } },
  render: (value) => `Email: ${value.email}; plan: ${value.plan}`,
});
const EMAIL = "jane.doe@example.com";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ctx-purpose-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function setUp() {
  const offline = await duckdbOfflineStore({ path: ":memory:", sources: [contact] });
  await offline.record([
    {
      source: contact,
      key: { customerId: "c1" },
      value: { email: EMAIL, plan: "Pro" },
      eventTime: T0,
      writeTime: T0,
    },
  ]);
  const ctx = createContextStore({
    sources: [contact],
    now: () => T0 + 60_000,
    governance: { pseudonymKey: KEY, purposes: { support: { redact: { contact: "mask" } } } },
  });
  return { offline, ctx };
}

const build = (extra: Record<string, unknown>, outDir: string) => ({
  labels: [{ timestamp: T0 + 1_000, keys: { customer: { customerId: "c1" } }, question: "q", answer: "a" }],
  input: "question",
  label: "answer",
  budget: { maxTokens: 300 },
  outDir,
  valuesFormat: "jsonl" as const,
  ...extra,
});

describe("dataset purpose", () => {
  it("defaults to training: tagged fields are pseudonymised in the prompts and the values file", async () => {
    const { offline, ctx } = await setUp();
    const outDir = join(dir, "training");
    const report = await buildTrainingDataset({ offline, contextStore: ctx, ...build({}, outDir) });
    expect(report.manifest.purpose).toBe("training");
    expect(report.manifest.redactedSources).toEqual(["contact"]);
    const messages = await readFile(join(outDir, "messages.jsonl"), "utf8");
    const values = await readFile(join(outDir, "values.jsonl"), "utf8");
    const manifest = await readFile(join(outDir, "manifest.json"), "utf8");
    for (const output of [messages, values, manifest]) expect(output).not.toContain(EMAIL);
    expect(messages).toMatch(/Email: pii_[0-9a-f]{16}; plan: Pro/);
    // The values file holds the same pseudonym the prompt used (joinable, never the address).
    const pseudonym = /pii_[0-9a-f]{16}/.exec(messages)?.[0];
    expect(JSON.parse(values.split("\n")[0] as string).contact.value).toEqual({
      email: pseudonym,
      plan: "Pro",
    });
    await offline.close();
  });

  it("applies the named purpose's policy; serving keeps, an application purpose masks", async () => {
    const { offline, ctx } = await setUp();
    const serving = await buildTrainingDataset({
      offline,
      context: ctx, // the former option name still works
      ...build({ purpose: "serving" }, join(dir, "serving")),
    });
    expect(serving.manifest.purpose).toBe("serving");
    expect(await readFile(join(dir, "serving", "messages.jsonl"), "utf8")).toContain(EMAIL);
    await buildTrainingDataset({
      offline,
      contextStore: ctx,
      ...build({ purpose: "support" }, join(dir, "support")),
    });
    const masked = await readFile(join(dir, "support", "messages.jsonl"), "utf8");
    expect(masked).toContain("Email: [redacted contact]; plan: Pro");
    expect(await readFile(join(dir, "support", "values.jsonl"), "utf8")).not.toContain(EMAIL);
    await offline.close();
  });

  it("an unknown purpose, or two different context stores, are refused and write nothing", async () => {
    const { offline, ctx } = await setUp();
    const outDir = join(dir, "unknown");
    await expect(
      buildTrainingDataset({ offline, contextStore: ctx, ...build({ purpose: "marketing" }, outDir) }),
    ).rejects.toMatchObject({ code: "CTX_UNKNOWN_PURPOSE" });
    await expect(stat(outDir)).rejects.toThrow();
    const other = createContextStore({ sources: [contact], governance: { pseudonymKey: KEY } });
    await expect(
      buildTrainingDataset({ offline, contextStore: ctx, context: other, ...build({}, outDir) }),
    ).rejects.toMatchObject({ code: "CTX_CONFIG" });
    await offline.close();
  });
});
