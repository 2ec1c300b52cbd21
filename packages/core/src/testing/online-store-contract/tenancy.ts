// Contract groups "tenancy" and "forget": a store that declares `tenancy` keeps every tenant's
// records apart (the same entity key and field in two tenants are two records, and nothing of one
// tenant is ever read, overwritten or deleted through another; a read says which tenants have ever
// had data, so a wrong tenant id is told from a quiet one), and `forget` erases every field of one
// entity key in one tenant and nothing else. A store without `tenancy` must refuse a tenant.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RecordAddress } from "../../stores/types.js";
import { envelopeAt, storedEnvelope, storedEvents } from "./fixtures.js";
import type { ContractSuite } from "./suite.js";

const TENANTS = ["acme", "globex", "initech"] as const;

/** Registers the tenancy and forget tests of the OnlineStore contract. */
export function registerTenancyTests({ context, propertyRuns, freshKey }: ContractSuite): void {
  describe("tenancy", () => {
    it("refuses a tenant when the store does not declare tenancy (never ignores it)", async () => {
      const { store } = context;
      if (store.tenancy === true) return;
      await expect(
        store.read({
          records: [{ entity: "user", key: "userId=u1", field: "p@1", kind: "value", tenant: "acme" }],
        }),
      ).rejects.toMatchObject({ code: "CTX_CONFIG" });
    });

    it("property: writes, appends, deletes and forgets of one tenant are never seen by another", async () => {
      const { store } = context;
      if (store.tenancy !== true) return;
      const operation = fc.oneof(
        fc.record({
          kind: fc.constant("write" as const),
          tenant: fc.constantFrom(...TENANTS),
          key: fc.constantFrom("k1", "k2"),
          time: fc.integer({ min: 1, max: 50 }),
        }),
        fc.record({
          kind: fc.constant("append" as const),
          tenant: fc.constantFrom(...TENANTS),
          key: fc.constantFrom("k1", "k2"),
          time: fc.integer({ min: 1, max: 50 }),
        }),
        fc.record({
          kind: fc.constant("forget" as const),
          tenant: fc.constantFrom(...TENANTS),
          key: fc.constantFrom("k1", "k2"),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
          const run = freshKey("tenancy");
          const keyOf = (key: string) => `${run}-${key}`;
          const value = (tenant: string, key: string) => ({
            entity: "user",
            key: keyOf(key),
            field: "profile@1",
            tenant,
          });
          const window = (tenant: string, key: string) => ({
            entity: "user",
            key: keyOf(key),
            field: "recent@1",
            tenant,
          });
          // Model: per tenant and key, the latest value and the event ids in the window.
          const values = new Map<string, { tenant: string; time: number }>();
          const windows = new Map<string, Set<string>>();
          let sequence = 0;
          for (const step of operations) {
            const id = `${step.tenant}/${step.key}`;
            if (step.kind === "write") {
              const envelope = envelopeAt(step.time, { value: { tenant: step.tenant, time: step.time } });
              const [outcome] = await store.write([{ ...value(step.tenant, step.key), envelope }]);
              const current = values.get(id);
              if (current === undefined || step.time >= current.time) {
                expect(outcome?.applied).toBe(true);
                values.set(id, { tenant: step.tenant, time: step.time });
              }
            } else if (step.kind === "append") {
              const eventId = `${step.tenant}-${++sequence}`;
              await store.append([
                {
                  ...window(step.tenant, step.key),
                  event: envelopeAt(step.time, { eventId, value: { tenant: step.tenant } }),
                  window: 100,
                },
              ]);
              const kept = windows.get(id) ?? new Set<string>();
              kept.add(eventId);
              windows.set(id, kept);
            } else {
              const forget = store.forget;
              if (forget)
                await forget.call(store, [{ entity: "user", key: keyOf(step.key), tenant: step.tenant }]);
              else await store.delete([value(step.tenant, step.key), window(step.tenant, step.key)]);
              values.delete(id);
              windows.delete(id);
            }
          }
          const addresses: Array<RecordAddress & { kind: "value" | "window"; id: string }> = [];
          for (const tenant of TENANTS)
            for (const key of ["k1", "k2"]) {
              addresses.push({ ...value(tenant, key), kind: "value", id: `${tenant}/${key}` });
              addresses.push({ ...window(tenant, key), kind: "window", id: `${tenant}/${key}` });
            }
          const result = await store.read({ records: addresses });
          addresses.forEach((address, index) => {
            const record = result.records[index];
            if (address.kind === "value") {
              const stored = storedEnvelope(record);
              const expected = values.get(address.id);
              if (expected === undefined) expect(stored).toBeUndefined();
              else expect(stored?.value).toEqual({ tenant: address.tenant, time: expected.time });
            } else {
              const events = storedEvents(record);
              for (const event of events)
                expect((event.value as { tenant: string }).tenant).toBe(address.tenant);
              expect(new Set(events.map((event) => event.eventId))).toEqual(
                windows.get(address.id) ?? new Set(),
              );
            }
          });
        }),
        { numRuns: Math.max(10, Math.round(propertyRuns / 4)) },
      );
    });

    it("a read says which tenants have ever had a write or an append; forget, delete and watermarks change nothing", async () => {
      const { store } = context;
      if (store.tenancy !== true) {
        await expect(store.read({ records: [], tenants: ["acme"] })).rejects.toMatchObject({
          code: "CTX_CONFIG",
        });
        return;
      }
      const [written, appended, never] = [freshKey("t-written"), freshKey("t-appended"), freshKey("t-never")];
      const tenants = [written, appended, never];
      const key = freshKey("marker");
      const before = await store.read({ records: [], tenants });
      expect(before.tenants).toEqual({ [written]: false, [appended]: false, [never]: false });
      await store.setWatermark("recent@1", 1_000);
      await store.write([
        { entity: "user", key, field: "profile@1", tenant: written, envelope: envelopeAt(1) },
      ]);
      await store.append([
        {
          entity: "user",
          key,
          field: "recent@1",
          tenant: appended,
          event: envelopeAt(1, { eventId: "e1" }),
          window: 5,
        },
      ]);
      // Asked beside records and watermarks, in the same read.
      const after = await store.read({
        records: [{ entity: "user", key, field: "recent@1", kind: "window", tenant: never }],
        watermarks: ["recent@1"],
        tenants,
      });
      expect(after.tenants).toEqual({ [written]: true, [appended]: true, [never]: false });
      expect(storedEvents(after.records[0])).toEqual([]);
      expect(after.watermarks["recent@1"]).toBe(1_000);
      // Once seen, a tenant stays seen: its entity's last record erased is a quiet tenant, not a wrong id.
      if (store.forget) await store.forget([{ entity: "user", key, tenant: written }]);
      await store.delete([{ entity: "user", key, field: "recent@1", tenant: appended }]);
      const erased = await store.read({ records: [], tenants: [written, appended] });
      expect(erased.tenants).toEqual({ [written]: true, [appended]: true });
      await expect(store.read({ records: [], tenants: [""] })).rejects.toMatchObject({
        code: "CTX_INVALID_TENANT",
      });
    });

    it("property: a tenant reads as having data exactly when a write or append carried it", async () => {
      const { store } = context;
      if (store.tenancy !== true) return;
      const step = fc.record({
        kind: fc.constantFrom("write", "append", "forget", "watermark"),
        tenant: fc.constantFrom(0, 1, 2, 3),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
          const run = freshKey("seen");
          const tenants = [0, 1, 2, 3].map((index) => `${run}-t${index}`);
          const key = `${run}-k`;
          const seen = new Set<string>();
          let sequence = 0;
          for (const { kind, tenant: index } of steps) {
            const tenant = tenants[index] as string;
            if (kind === "write") {
              await store.write([
                { entity: "user", key, field: "profile@1", tenant, envelope: envelopeAt(1) },
              ]);
              seen.add(tenant);
            } else if (kind === "append") {
              await store.append([
                {
                  entity: "user",
                  key,
                  field: "recent@1",
                  tenant,
                  event: envelopeAt(1, { eventId: `e${++sequence}` }),
                  window: 3,
                },
              ]);
              seen.add(tenant);
            } else if (kind === "forget") {
              if (store.forget) await store.forget([{ entity: "user", key, tenant }]);
            } else await store.setWatermark("recent@1", 1 + sequence);
          }
          const result = await store.read({ records: [], tenants });
          for (const tenant of tenants) expect(result.tenants?.[tenant]).toBe(seen.has(tenant));
        }),
        { numRuns: Math.max(10, Math.round(propertyRuns / 4)) },
      );
    });

    it("a tenant-less record and a tenant's record at the same address are two records", async () => {
      const { store } = context;
      if (store.tenancy !== true) return;
      const key = freshKey("shared");
      const address = { entity: "user", key, field: "profile@1" };
      await store.write([{ ...address, envelope: envelopeAt(1, { value: "none" }) }]);
      await store.write([{ ...address, tenant: "acme", envelope: envelopeAt(1, { value: "acme" }) }]);
      const result = await store.read({
        records: [
          { ...address, kind: "value" },
          { ...address, tenant: "acme", kind: "value" },
          { ...address, tenant: "globex", kind: "value" },
        ],
      });
      expect(storedEnvelope(result.records[0])?.value).toBe("none");
      expect(storedEnvelope(result.records[1])?.value).toBe("acme");
      expect(storedEnvelope(result.records[2])).toBeUndefined();
    });
  });

  describe("forget", () => {
    it("erases every field of the entity key, of every version, and nothing of another key or tenant", async () => {
      const { store } = context;
      const forget = store.forget;
      if (!forget) return;
      const tenant = store.tenancy === true ? { tenant: "acme" } : {};
      const key = freshKey("forget");
      const at = (field: string, other: Partial<RecordAddress> = {}) => ({
        entity: "user",
        key,
        field,
        ...tenant,
        ...other,
      });
      await store.write([
        { ...at("profile@1"), envelope: envelopeAt(1, { value: "v1" }) },
        { ...at("profile@2"), envelope: envelopeAt(1, { value: "v2" }) },
        { ...at("profile@1", { key: `${key}-other` }), envelope: envelopeAt(1, { value: "other" }) },
        { ...at("profile@1", { entity: "session" }), envelope: envelopeAt(1, { value: "session" }) },
      ]);
      await store.append([{ ...at("recent@1"), event: envelopeAt(1, { eventId: "e1" }), window: 5 }]);
      const removed = await forget.call(store, [
        { entity: "user", key, ...tenant },
        { entity: "user", key: freshKey("ghost"), ...tenant },
      ]);
      expect(removed).toEqual([3, 0]);
      const result = await store.read({
        records: [
          { ...at("profile@1"), kind: "value" },
          { ...at("profile@2"), kind: "value" },
          { ...at("recent@1"), kind: "window" },
          { ...at("profile@1", { key: `${key}-other` }), kind: "value" },
          { ...at("profile@1", { entity: "session" }), kind: "value" },
        ],
      });
      expect(storedEnvelope(result.records[0])).toBeUndefined();
      expect(storedEnvelope(result.records[1])).toBeUndefined();
      expect(storedEvents(result.records[2])).toEqual([]);
      expect(storedEnvelope(result.records[3])?.value).toBe("other");
      expect(storedEnvelope(result.records[4])?.value).toBe("session");
    });

    it("refuses a malformed entity address before erasing anything", async () => {
      const { store } = context;
      const forget = store.forget;
      if (!forget) return;
      await expect(forget.call(store, [{ entity: "", key: "k" }])).rejects.toMatchObject({
        code: "CTX_INVALID_REQUEST",
      });
    });
  });
}
