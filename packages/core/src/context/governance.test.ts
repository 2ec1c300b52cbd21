// Governance through the context store: tenancy (every write, append, assembly, search and forget
// is one tenant's), PII redaction by purpose, access control by principal, forget across tiers, and
// the audit sink. Real memory stores, the real tokenizer, the local embedder.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type AuditRecord,
  batch,
  type ContextStoreOptions,
  createContextStore,
  defineEntity,
  localEmbedder,
  memoryStore,
  memoryVectorStore,
  type OnlineStore,
  realtime,
  stream,
  vector,
} from "../index.js";

const NOW = Date.parse("2026-11-21T12:00:00Z");
const clock = () => NOW;
const customer = defineEntity("customer", { key: z.object({ customerId: z.string().min(1) }) });
const KEY = "0123456789abcdef-test-key";

const contact = batch("contact", {
  entity: customer,
  schema: z.object({ name: z.string(), email: z.string(), plan: z.string() }),
  section: "Customer",
  priority: 90,
  render: (value) => [`Name: ${value.name}`, `Email: ${value.email}`, `Plan: ${value.plan}`],
  pii: { fields: { name: "person_name", email: "contact" } },
});
const notes = batch("notes", {
  entity: customer,
  schema: z.object({ text: z.string() }),
  section: "Agent notes",
  priority: 80,
  render: (value) => value.text,
  pii: { category: "free_text" },
});
const tickets = stream("tickets", {
  entity: customer,
  schema: z.object({ subject: z.string(), email: z.string() }),
  window: 5,
  section: "Recent tickets",
  priority: 70,
  render: (event) => `${event.subject} (from ${event.email})`,
  pii: { fields: { email: "contact" } },
});
const billing = batch("billing", {
  entity: customer,
  schema: z.object({ balance: z.number() }),
  section: "Billing",
  priority: 60,
  render: (value) => `Balance: ${value.balance}`,
  readers: ["billing"],
});

async function governed(extra: Partial<ContextStoreOptions> = {}) {
  const ctx = createContextStore({
    sources: [contact, notes, tickets, billing],
    now: clock,
    deadline: "2s",
    tenancy: "multi",
    governance: { pseudonymKey: KEY, ...extra.governance },
    ...extra,
  });
  await ctx.ready();
  return ctx;
}

const support = { id: "agent-7", roles: ["support"] };
const budget = { maxTokens: 800 };

describe("tenancy", () => {
  it("refuses a request without a tenant, and bad tenant ids, before reading or writing anything", async () => {
    const online = memoryStore();
    const ctx = await governed({ online });
    const key = { customerId: "c1" };
    await expect(ctx.write(contact, key, { name: "A", email: "a@x", plan: "pro" })).rejects.toMatchObject({
      code: "CTX_TENANT_REQUIRED",
    });
    for (const tenant of ["a:b", "{acme}", "50%", "", "has space", "x".repeat(65)]) {
      await expect(
        ctx.write(contact, key, { name: "A", email: "a@x", plan: "pro" }, { tenant }),
      ).rejects.toMatchObject({ code: "CTX_INVALID_TENANT" });
      await expect(
        ctx.assemble({ keys: { customer: key }, budget, tenant, principal: support }),
      ).rejects.toMatchObject({
        code: "CTX_INVALID_TENANT",
      });
    }
    await expect(ctx.assemble({ keys: { customer: key }, budget, principal: support })).rejects.toMatchObject(
      {
        code: "CTX_TENANT_REQUIRED",
      },
    );
    expect(online.entityCount).toBe(0);
  });

  it("a tenant's key that only another tenant wrote reads missing (never empty), with a note", async () => {
    const ctx = await governed();
    await ctx.write(
      contact,
      { customerId: "c1" },
      { name: "Ann", email: "ann@b.example", plan: "pro" },
      { tenant: "b" },
    );
    const result = await ctx.assemble({
      keys: { customer: { customerId: "c1" } },
      budget,
      tenant: "a",
      principal: support,
    });
    expect(result.values.contact?.status).toBe("missing");
    expect(result.text).not.toContain("Ann");
    expect(result.text).toMatch(/unknown/i);
  });

  it("a single-tenant store refuses a tenant on writes (it would be ignored), and multi needs a tenancy store", async () => {
    const ctx = createContextStore({ sources: [contact], now: clock, governance: { pseudonymKey: KEY } });
    await ctx.ready();
    await expect(
      ctx.write(contact, { customerId: "c1" }, { name: "A", email: "a", plan: "p" }, { tenant: "acme" }),
    ).rejects.toMatchObject({ code: "CTX_INVALID_REQUEST" });
    const plain: OnlineStore = { ...memoryStore(), tenancy: false };
    expect(() =>
      createContextStore({
        sources: [contact],
        online: plain,
        tenancy: "multi",
        governance: { pseudonymKey: KEY },
      }),
    ).toThrow(expect.objectContaining({ code: "CTX_CONFIG" }));
  });

  it("property: no value of one tenant ever reaches another tenant's prompt, values or search hits", async () => {
    const embedder = localEmbedder();
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            kind: fc.constantFrom("write", "append", "index", "forget"),
            tenant: fc.constantFrom("acme", "globex", "initech"),
            customer: fc.constantFrom("c1", "c2"),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        async (operations) => {
          const vectors = memoryVectorStore({ embedder, multiTenant: true });
          const kb = vector("history", {
            store: vectors,
            embedder,
            entity: customer,
            section: "History",
            topK: 20,
            minScore: -1,
          });
          const ctx = createContextStore({
            sources: [contact, tickets, kb],
            now: clock,
            deadline: "5s",
            tenancy: "multi",
            governance: { pseudonymKey: KEY, purposes: { serving: { otherwise: "keep" } } },
          });
          await ctx.ready();
          let counter = 0;
          for (const step of operations) {
            const marker = `${step.tenant}MARK${++counter}`;
            const key = { customerId: step.customer };
            if (step.kind === "write")
              await ctx.write(
                contact,
                key,
                { name: marker, email: `${marker}@x`, plan: "p" },
                { tenant: step.tenant },
              );
            else if (step.kind === "append")
              await ctx.append(
                tickets,
                key,
                { subject: marker, email: "e" },
                { tenant: step.tenant, eventTime: NOW - counter },
              );
            else if (step.kind === "index") {
              const [embedding] = await embedder.embed([marker]);
              await vectors.upsert([
                {
                  id: marker,
                  documentId: `${step.customer}-${marker}`,
                  chunkIndex: 0,
                  vector: embedding as number[],
                  text: `Ticket ${marker}`,
                  tenant: step.tenant,
                  entityKey: `customerId=${step.customer}`,
                },
              ]);
            } else await ctx.forget({ entity: customer, key, tenant: step.tenant });
          }
          for (const tenant of ["acme", "globex", "initech"]) {
            for (const id of ["c1", "c2"]) {
              const result = await ctx.assemble({
                keys: { customer: { customerId: id } },
                budget: { maxTokens: 4000 },
                tenant,
                query: "MARK tickets",
              });
              const everything = JSON.stringify([result.text, result.values, result.trace]);
              for (const other of ["acme", "globex", "initech"].filter((name) => name !== tenant))
                expect(everything).not.toContain(`${other}MARK`);
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it("gives realtime resolvers the tenant and never shares a call or a last known value across tenants", async () => {
    const seen: string[] = [];
    const live = realtime("live", {
      entity: customer,
      schema: z.object({ status: z.string() }),
      timeout: "1s",
      section: "Live",
      resolve: (_key, { tenant }) => {
        seen.push(tenant ?? "none");
        return { status: `status of ${tenant}` };
      },
      render: (value) => value.status,
    });
    const ctx = createContextStore({ sources: [live], now: clock, tenancy: "multi" });
    const request = { keys: { customer: { customerId: "c1" } }, budget };
    const [a, b] = await Promise.all([
      ctx.assemble({ ...request, tenant: "acme" }),
      ctx.assemble({ ...request, tenant: "globex" }),
    ]);
    expect(a.text).toContain("status of acme");
    expect(b.text).toContain("status of globex");
    expect(seen.sort()).toEqual(["acme", "globex"]);
  });

  it("a tenancy store that does not answer whether the tenant has data: an empty window reads missing, not empty", async () => {
    const inner = memoryStore();
    const silent: OnlineStore = {
      ...inner,
      name: "silent",
      tenancy: true,
      // A third-party store written before OnlineReadResult.tenants: it drops the answer.
      read: async (batch, options) => {
        const { tenants: _dropped, ...rest } = await inner.read(batch, options);
        return rest;
      },
    };
    const ctx = await governed({ online: silent, sources: [contact, tickets] });
    await ctx.write(
      contact,
      { customerId: "c1" },
      { name: "A", email: "a@x", plan: "p" },
      { tenant: "acme" },
    );
    await ctx.heartbeat(tickets, NOW);
    const result = await ctx.assemble({
      keys: { customer: { customerId: "c1" } },
      budget,
      tenant: "acme",
      principal: support,
    });
    expect(result.values.contact?.status).toBe("ok");
    expect(result.values.tickets?.status).toBe("missing");
    expect(result.values.tickets?.reason).toContain('silent did not say whether tenant "acme" has any data');
  });

  it("property: a tenant with no data never reads `empty` for any source, once the stream's watermark is set; a real tenant's quiet key still does", async () => {
    const tenants = ["acme", "globex", "initech"] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            kind: fc.constantFrom("write", "append", "forget", "heartbeat"),
            tenant: fc.constantFrom(...tenants),
            customer: fc.constantFrom("c1", "c2"),
          }),
          { maxLength: 12 },
        ),
        async (operations) => {
          const ctx = createContextStore({
            sources: [contact, tickets],
            now: clock,
            deadline: "5s",
            tenancy: "multi",
            governance: { pseudonymKey: KEY, purposes: { serving: { otherwise: "keep" } } },
          });
          await ctx.ready();
          // The stream's watermark is set from the start: the case where an empty window would pass as a fact.
          await ctx.heartbeat(tickets, NOW);
          const hasData = new Set<string>();
          const events = new Set<string>();
          let counter = 0;
          for (const step of operations) {
            const key = { customerId: step.customer };
            const id = `${step.tenant}/${step.customer}`;
            if (step.kind === "write") {
              await ctx.write(contact, key, { name: "N", email: "e", plan: "p" }, { tenant: step.tenant });
              hasData.add(step.tenant);
            } else if (step.kind === "append") {
              await ctx.append(
                tickets,
                key,
                { subject: "s", email: "e" },
                { tenant: step.tenant, eventTime: NOW - ++counter },
              );
              hasData.add(step.tenant);
              events.add(id);
            } else if (step.kind === "forget") {
              await ctx.forget({ entity: customer, key, tenant: step.tenant });
              events.delete(id);
            } else await ctx.heartbeat(tickets, NOW);
          }
          for (const tenant of [...tenants, "ghost"]) {
            for (const customerId of ["c1", "c2"]) {
              const result = await ctx.assemble({
                keys: { customer: { customerId } },
                budget,
                tenant,
                principal: support,
              });
              const window = result.values.tickets;
              if (!hasData.has(tenant)) {
                for (const value of Object.values(result.values)) expect(value?.status).not.toBe("empty");
                expect(window?.status).toBe("missing");
                expect(window?.reason).toContain(`tenant "${tenant}" has no data`);
              } else if (!events.has(`${tenant}/${customerId}`)) {
                expect(window?.status).toBe("empty");
              } else expect(window?.status).toBe("ok");
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("purposes and PII redaction", () => {
  it("refuses an unknown purpose, a policy naming an unknown tag, and pseudonyms without a key", async () => {
    const ctx = await governed();
    await expect(
      ctx.assemble({ keys: { customer: { customerId: "c1" } }, budget, tenant: "a", purpose: "marketing" }),
    ).rejects.toMatchObject({ code: "CTX_UNKNOWN_PURPOSE" });
    expect(() =>
      createContextStore({
        sources: [contact],
        governance: { pseudonymKey: KEY, purposes: { serving: { redact: { emial: "mask" } } } },
      }),
    ).toThrow(
      expect.objectContaining({ code: "CTX_INVALID_DEFINITION", message: expect.stringContaining("emial") }),
    );
    expect(() => createContextStore({ sources: [contact] })).toThrow(
      expect.objectContaining({
        code: "CTX_INVALID_DEFINITION",
        message: expect.stringContaining("pseudonymKey"),
      }),
    );
  });

  it("property: no tagged value appears where the purpose's policy forbids it (text, values, trace, audit)", async () => {
    const text = fc.stringMatching(/^[A-Za-z]{6,12}$/);
    await fc.assert(
      fc.asyncProperty(text, text, text, async (name, email, note) => {
        fc.pre(new Set([name, email, note]).size === 3);
        const audits: AuditRecord[] = [];
        const traces: unknown[] = [];
        const ctx = await governed({
          governance: {
            pseudonymKey: KEY,
            audit: (record) => {
              audits.push(record);
            },
          },
          onTrace: (trace) => traces.push(trace),
        });
        const tenant = "acme";
        const key = { customerId: "c1" };
        await ctx.write(contact, key, { name, email: `${email}@mail`, plan: "Gold" }, { tenant });
        await ctx.write(notes, key, { text: `Called about ${note}.` }, { tenant });
        await ctx.append(
          tickets,
          key,
          { subject: "Refund", email: `${email}@mail` },
          { tenant, eventTime: NOW - 1 },
        );
        const ask = (purpose: string) =>
          ctx.assemble({ keys: { customer: key }, budget, tenant, purpose, principal: support });

        const serving = await ask("serving");
        expect(serving.text).toContain(name);
        expect(serving.text).toContain(email);

        for (const purpose of ["training", "inspection"]) {
          const result = await ask(purpose);
          const outputs = JSON.stringify([
            result.text,
            result.values,
            result.trace,
            result.sections,
            traces.at(-1),
            audits,
          ]);
          for (const raw of [name, email, note]) expect(outputs).not.toContain(raw);
          expect(result.text).toContain("Plan: Gold");
        }
        const training = await ask("training");
        expect(training.text).toMatch(/Name: pii_[0-9a-f]{16}/);
        // Stable pseudonyms: the same value gives the same stand-in, so training rows stay joinable.
        expect((await ask("training")).text).toBe(training.text);
        const inspection = await ask("inspection");
        expect(inspection.text).toContain("Email: [redacted contact]");
        expect(inspection.text).toContain("[redacted free_text]");
      }),
      { numRuns: 20 },
    );
  });

  it("drop skips the source with the reason, its note says so, it is never empty; unredactedFor keeps values", async () => {
    const ctx = await governed({
      governance: {
        pseudonymKey: KEY,
        purposes: {
          serving: { redact: { free_text: "drop" } },
          inspection: { otherwise: "mask", unredactedFor: ["privacy"] },
        },
      },
    });
    const key = { customerId: "c1" };
    await ctx.write(notes, key, { text: "Secret note." }, { tenant: "t" });
    const served = await ctx.assemble({ keys: { customer: key }, budget, tenant: "t", principal: support });
    expect(served.values.notes?.status).toBe("skipped");
    expect(served.values.notes?.reason).toContain('"free_text" is dropped for purpose "serving"');
    expect(served.text).not.toContain("Secret");
    expect(served.text).toMatch(/unknown/i);
    const officer = await ctx.assemble({
      keys: { customer: key },
      budget,
      tenant: "t",
      purpose: "inspection",
      principal: { id: "dpo", roles: ["privacy", "billing"] },
    });
    expect(officer.text).toContain("Secret note.");
  });
});

describe("previewing a purpose (previewPurpose)", () => {
  const policies = {
    pseudonymKey: KEY,
    purposes: {
      serving: { redact: { free_text: "drop" as const } },
      inspection: { otherwise: "mask" as const, unredactedFor: ["privacy"] },
    },
  };

  it("shows what the previewed purpose drops, masks what the request's purpose masks, audits the request's purpose", async () => {
    const audits: AuditRecord[] = [];
    const ctx = await governed({ governance: { ...policies, audit: (record) => void audits.push(record) } });
    const key = { customerId: "c1" };
    await ctx.write(contact, key, { name: "Ana Lima", email: "ana@mail", plan: "Gold" }, { tenant: "t" });
    await ctx.write(notes, key, { text: "Secret note." }, { tenant: "t" });
    const request = { keys: { customer: key }, budget, tenant: "t", purpose: "inspection" } as const;
    const preview = await ctx.assemble({ ...request, principal: support }, { previewPurpose: "serving" });
    // serving keeps contact fields, but inspection masks them: the preview stays masked.
    expect(preview.text).toContain("Name: [redacted person_name]");
    expect(preview.text).toContain("Plan: Gold");
    expect(preview.text).not.toContain("Ana Lima");
    expect(preview.text).not.toContain("ana@mail");
    // serving drops free text: the preview shows that, with both purposes named.
    expect(preview.values.notes?.status).toBe("skipped");
    expect(preview.values.notes?.reason).toContain(
      'dropped for purpose "serving" previewed under "inspection"',
    );
    expect(audits.at(-1)?.purpose).toBe("inspection");
    // Plain inspection masks the note instead of dropping it.
    const inspected = await ctx.assemble({ ...request, principal: support });
    expect(inspected.text).toContain("[redacted free_text]");
  });

  it("lets a principal inspection keeps everything for see the previewed purpose's prompt as it is", async () => {
    const ctx = await governed({ governance: policies });
    const key = { customerId: "c1" };
    await ctx.write(contact, key, { name: "Ana Lima", email: "ana@mail", plan: "Gold" }, { tenant: "t" });
    await ctx.write(notes, key, { text: "Secret note." }, { tenant: "t" });
    const officer = { id: "dpo", roles: ["privacy"] };
    const request = {
      keys: { customer: key },
      budget,
      tenant: "t",
      purpose: "inspection",
      principal: officer,
    };
    const preview = await ctx.assemble(request, { previewPurpose: "serving" });
    const served = await ctx.assemble({ ...request, purpose: "serving" });
    expect(preview.text).toBe(served.text);
    expect(preview.text).toContain("Ana Lima");
    expect(preview.values.notes?.status).toBe("skipped");
  });

  it("refuses an undeclared preview purpose before reading anything", async () => {
    const ctx = await governed({ governance: policies });
    await expect(
      ctx.assemble(
        {
          keys: { customer: { customerId: "c1" } },
          budget,
          tenant: "t",
          purpose: "inspection",
          principal: support,
        },
        { previewPurpose: "marketing" },
      ),
    ).rejects.toMatchObject({ code: "CTX_UNKNOWN_PURPOSE" });
  });
});

describe("access control", () => {
  it("a source the principal may not read is skipped (not permitted), never read, counted", async () => {
    const reads: string[] = [];
    const inner = memoryStore();
    const online: OnlineStore = {
      ...inner,
      name: inner.name,
      tenancy: true,
      read: (batch, options) => {
        reads.push(...batch.records.map((record) => record.field));
        return inner.read(batch, options);
      },
    };
    const ctx = await governed({ online });
    const key = { customerId: "c1" };
    await ctx.write(billing, key, { balance: 42 }, { tenant: "t" });
    const denied = await ctx.assemble({ keys: { customer: key }, budget, tenant: "t", principal: support });
    expect(denied.values.billing).toMatchObject({ status: "skipped", reason: "not permitted" });
    expect(denied.text).not.toContain("42");
    expect(reads).not.toContain("billing@1");
    // A principal allowed to read a source with no data sees `missing`; a denied one cannot tell.
    const ghost = await ctx.assemble({
      keys: { customer: { customerId: "none" } },
      budget,
      tenant: "t",
      principal: support,
    });
    expect(ghost.values.billing).toEqual(denied.values.billing);
    expect(ctx.counters().billing?.statuses.skipped).toBe(2);
    const allowed = await ctx.assemble({
      keys: { customer: key },
      budget,
      tenant: "t",
      principal: { id: "b1", roles: ["billing"] },
    });
    expect(allowed.text).toContain("Balance: 42");
  });

  it("a request without a principal is refused when a selected source declares readers", async () => {
    const ctx = await governed();
    await expect(
      ctx.assemble({ keys: { customer: { customerId: "c1" } }, budget, tenant: "t" }),
    ).rejects.toMatchObject({
      code: "CTX_PRINCIPAL_REQUIRED",
    });
    // Without the guarded source selected, no principal is needed.
    const result = await ctx.assemble({
      keys: { customer: { customerId: "c1" } },
      budget,
      tenant: "t",
      sources: ["contact"],
    });
    expect(result.values.contact?.status).toBe("missing");
  });
});

describe("forget", () => {
  it("erases the entity from the online, vector and offline tiers of one tenant and returns a receipt", async () => {
    const embedder = localEmbedder();
    const vectors = memoryVectorStore({ embedder, multiTenant: true });
    const kb = vector("history", {
      store: vectors,
      embedder,
      entity: customer,
      section: "History",
      minScore: -1,
    });
    const offlineRows = new Map<string, number>([
      ["t/customerId=c1", 3],
      ["u/customerId=c1", 2],
    ]);
    const audits: AuditRecord[] = [];
    const ctx = await governed({
      sources: [contact, tickets, kb],
      erasure: [
        {
          name: "offline-test",
          async forget({ key, tenant }) {
            const id = `${tenant}/${key}`;
            const removed = offlineRows.get(id) ?? 0;
            offlineRows.delete(id);
            return removed;
          },
        },
      ],
      governance: { pseudonymKey: KEY, audit: (record) => void audits.push(record) },
    });
    const key = { customerId: "c1" };
    for (const tenant of ["t", "u"]) {
      await ctx.write(contact, key, { name: `N${tenant}`, email: "e", plan: "p" }, { tenant });
      await ctx.append(tickets, key, { subject: `S${tenant}`, email: "e" }, { tenant, eventTime: NOW - 5 });
      const [embedding] = await embedder.embed(["ticket"]);
      await vectors.upsert([
        {
          id: "1",
          documentId: "d1",
          chunkIndex: 0,
          vector: embedding as number[],
          text: `T${tenant}`,
          tenant,
          entityKey: "customerId=c1",
        },
      ]);
    }
    const receipt = await ctx.forget({ entity: "customer", key, tenant: "t", principal: support });
    expect(receipt).toEqual({
      entity: "customer",
      key: "customerId=c1",
      tenant: "t",
      complete: true,
      tiers: [
        { tier: "online", store: "memory", removed: 2 },
        { tier: "vector", store: "memory", removed: 1 },
        { tier: "offline", store: "offline-test", removed: 3 },
      ],
    });
    expect(audits.at(-1)).toMatchObject({ operation: "forget", tenant: "t", principal: support });
    const after = await ctx.assemble({ keys: { customer: key }, budget, tenant: "t", query: "ticket" });
    expect(after.values.contact?.status).toBe("missing");
    expect(JSON.stringify([after.text, after.values])).not.toMatch(/Nt|St|Tt/);
    const other = await ctx.assemble({ keys: { customer: key }, budget, tenant: "u", query: "ticket" });
    expect(other.text).toContain("Nu");
    expect(other.text).toContain("Tu");
    expect(offlineRows.get("u/customerId=c1")).toBe(2);
  });

  it("refuses an unknown entity or a key failing its schema, deleting nothing", async () => {
    const online = memoryStore();
    const ctx = await governed({ online });
    await ctx.write(contact, { customerId: "c1" }, { name: "n", email: "e", plan: "p" }, { tenant: "t" });
    await expect(
      ctx.forget({ entity: "user", key: { customerId: "c1" }, tenant: "t" }),
    ).rejects.toMatchObject({
      code: "CTX_UNKNOWN_ENTITY",
    });
    await expect(
      ctx.forget({ entity: customer, key: { customerId: "" }, tenant: "t" }),
    ).rejects.toMatchObject({
      code: "CTX_INVALID_KEY",
    });
    await expect(ctx.forget({ entity: customer, key: { customerId: "c1" } })).rejects.toMatchObject({
      code: "CTX_TENANT_REQUIRED",
    });
    expect(online.entityCount).toBe(1);
  });
});

describe("audit", () => {
  it("records principal, purpose, tenant and each source's status per assembly, and no value", async () => {
    const audits: AuditRecord[] = [];
    const ctx = await governed({
      governance: { pseudonymKey: KEY, audit: (record) => void audits.push(record) },
    });
    await ctx.write(
      contact,
      { customerId: "c1" },
      { name: "Zed", email: "zed@x", plan: "Gold" },
      { tenant: "t" },
    );
    await ctx.assemble({ keys: { customer: { customerId: "c1" } }, budget, tenant: "t", principal: support });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      operation: "assemble",
      principal: support,
      purpose: "serving",
      tenant: "t",
    });
    expect(audits[0]?.sources).toEqual(
      expect.arrayContaining([
        { source: "contact", status: "ok" },
        { source: "billing", status: "skipped", reason: "not permitted" },
      ]),
    );
    expect(JSON.stringify(audits)).not.toMatch(/Zed|Gold/);
  });
});
