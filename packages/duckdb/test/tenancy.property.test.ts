// Property (issue #18): over random tenants, keys and operations (record, materialize, forget),
// on a real multi-tenant DuckDB store, no result of one tenant ever holds another tenant's value —
// point-in-time rows, the online store materialization fills, training prompts and values files —
// every answer equals a brute-force oracle (the latest value recorded since the key was last
// forgotten, or missing), and no raw tagged value reaches a training dataset.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batch, createContextStore, defineEntity, memoryStore } from "@ctxstore/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildTrainingDataset, duckdbOfflineStore, materialize, pointInTime } from "../src/index.js";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const customer = defineEntity("customer", { key: z.object({ customerId: z.string().min(1) }) });
const profile = batch("profile", {
  entity: customer,
  schema: z.object({ summary: z.string(), email: z.string() }),
  section: "Customer",
  pii: { fields: { email: "contact" } },
  render: (value) => `${value.summary} <${value.email}>`,
});

const tenant = fc.oneof(
  fc.constantFrom("acme", "globex", "initech"),
  fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,6}$/),
);
const key = fc.constantFrom("c1", "c2", "c3");
const operation = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("record" as const), tenant, key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("forget" as const), tenant, key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("materialize" as const), tenant }) },
);

/** The value recorded by operation `index`: its tenant and key are readable in it. */
function recordedValue(index: number, tenantId: string, keyId: string) {
  return {
    summary: `tenant=${tenantId};key=${keyId};n=${index}`,
    email: `${tenantId}.${keyId}.${index}@mail.test`,
  };
}

describe("tenant isolation on DuckDB (property)", () => {
  it("no tenant's value reaches another tenant; answers match the oracle; training data holds no raw tagged value", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 14 }), async (operations) => {
        const dir = await mkdtemp(join(tmpdir(), "ctx-tenancy-property-"));
        const offline = await duckdbOfflineStore({ path: ":memory:", sources: [profile], tenancy: "multi" });
        const online = memoryStore();
        const ctx = createContextStore({
          sources: [profile],
          online,
          tenancy: "multi",
          now: () => T0 + 60_000,
          governance: { pseudonymKey: "property-test-pseudonym-key-0123" },
          erasure: [offline],
        });
        const oracle = new Map<string, { index: number; tenant: string; key: string } | undefined>();
        const tenants = new Set<string>();
        try {
          for (const [index, step] of operations.entries()) {
            tenants.add(step.tenant);
            if (step.kind === "record") {
              await offline.record([
                {
                  source: profile,
                  key: { customerId: step.key },
                  value: recordedValue(index, step.tenant, step.key),
                  eventTime: T0 + index,
                  writeTime: T0 + index,
                  tenant: step.tenant,
                },
              ]);
              oracle.set(`${step.tenant}/${step.key}`, { index, tenant: step.tenant, key: step.key });
            } else if (step.kind === "forget") {
              await ctx.forget({ entity: customer, key: { customerId: step.key }, tenant: step.tenant });
              oracle.set(`${step.tenant}/${step.key}`, undefined);
            } else {
              await materialize({ offline, contextStore: ctx, tenant: step.tenant, guard: false });
            }
          }
          // Every pair, including tenants that never recorded anything and keys they never used.
          const pairs = [...tenants].flatMap((tenantId) =>
            ["c1", "c2", "c3"].map((keyId) => [tenantId, keyId] as const),
          );
          const expected = (tenantId: string, keyId: string) => {
            const latest = oracle.get(`${tenantId}/${keyId}`);
            return latest === undefined ? undefined : recordedValue(latest.index, latest.tenant, latest.key);
          };
          const labels = pairs.map(([tenantId, keyId]) => ({
            timestamp: T0 + 10_000,
            keys: { customer: { customerId: keyId } },
            tenant: tenantId,
            question: "q",
            answer: "a",
          }));

          const result = await pointInTime(offline, { labels, sources: [profile] });
          const rows = await result.toArray();
          await result.drop();
          for (const [index, [tenantId, keyId]] of pairs.entries()) {
            const value = rows[index]?.values.profile;
            expect(rows[index]?.tenant).toBe(tenantId);
            expect(value?.value).toEqual(expected(tenantId, keyId));
            expect(value?.status).toBe(expected(tenantId, keyId) === undefined ? "missing" : "ok");
          }

          // Re-publishing all history of every tenant brings nothing forgotten back, nothing crosses.
          for (const tenantId of tenants)
            await materialize({ offline, contextStore: ctx, tenant: tenantId, since: 0, guard: false });
          for (const [tenantId, keyId] of pairs) {
            const served = await ctx.assemble({
              keys: { customer: { customerId: keyId } },
              budget: { maxTokens: 200 },
              tenant: tenantId,
            });
            expect(served.values.profile?.value).toEqual(expected(tenantId, keyId));
          }

          const outDir = join(dir, "dataset");
          await buildTrainingDataset({
            offline,
            contextStore: ctx,
            labels,
            input: "question",
            label: "answer",
            budget: { maxTokens: 300 },
            outDir,
            valuesFormat: "jsonl",
          });
          const messages = (await readFile(join(outDir, "messages.jsonl"), "utf8")).trim().split("\n");
          const values = (await readFile(join(outDir, "values.jsonl"), "utf8")).trim().split("\n");
          expect(messages).toHaveLength(pairs.length);
          for (const [index, [tenantId, keyId]] of pairs.entries()) {
            const prompt = messages[index] as string;
            const want = expected(tenantId, keyId);
            if (want) expect(prompt).toContain(want.summary);
            // Only this tenant's markers (and no raw e-mail address of anyone) in its example.
            for (const marker of prompt.match(/tenant=[^;]+;/g) ?? [])
              expect(marker).toBe(`tenant=${tenantId};`);
            expect(prompt).not.toMatch(/@mail\.test/);
            expect(values[index]).not.toMatch(/@mail\.test/);
          }
        } finally {
          await offline.close();
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 12 },
    );
  }, 180_000);
});
