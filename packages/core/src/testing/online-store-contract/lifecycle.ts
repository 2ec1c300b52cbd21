// Contract groups "delete", "expiry" and "close": deleted records are forgotten completely, ttlMs expires
// whole entities, and a closed store rejects reads instead of looking empty.
import { describe, expect, it } from "vitest";
import { envelopeAt, recordAt, storedEnvelope, storedEvents } from "./fixtures.js";
import type { ContractSuite } from "./suite.js";

/** Registers the delete, expiry and close tests of the OnlineStore contract. */
export function registerLifecycleTests({ context, options }: ContractSuite): void {
  describe("delete", () => {
    it("removes the addressed values and windows and nothing else", async () => {
      const { store } = context;
      const profile = recordAt("user", "userId=u1", "profile@1");
      const orders = recordAt("user", "userId=u1", "orders@1");
      const otherUser = recordAt("user", "userId=u2", "profile@1");
      const recent = recordAt("user", "userId=u1", "recent@1");
      await store.write([
        { ...profile, envelope: envelopeAt(1, { value: "p" }) },
        { ...orders, envelope: envelopeAt(1, { value: "o" }) },
        { ...otherUser, envelope: envelopeAt(1, { value: "p2" }) },
      ]);
      await store.append([{ ...recent, event: envelopeAt(1, { eventId: "a" }), window: 3 }]);

      await store.delete([profile, recent, recordAt("user", "userId=ghost", "profile@1")]);
      const result = await store.read({
        records: [
          { ...profile, kind: "value" },
          { ...recent, kind: "window" },
          { ...orders, kind: "value" },
          { ...otherUser, kind: "value" },
        ],
      });
      expect(result.records[0]).toStrictEqual({ kind: "value", envelope: undefined });
      expect(result.records[1]).toStrictEqual({ kind: "window", events: [] });
      expect(storedEnvelope(result.records[2])?.value).toBe("o");
      expect(storedEnvelope(result.records[3])?.value).toBe("p2");
    });

    it("forgets a deleted record completely: the next write applies whatever its event time", async () => {
      const { store } = context;
      const profile = recordAt("user", "userId=u1", "profile@1");
      await store.write([{ ...profile, envelope: envelopeAt(1_000, { value: "new" }) }]);
      await store.delete([profile]);
      expect(await store.write([{ ...profile, envelope: envelopeAt(1, { value: "old" }) }])).toEqual([
        { applied: true },
      ]);
      const result = await store.read({ records: [{ ...profile, kind: "value" }] });
      expect(storedEnvelope(result.records[0])?.value).toBe("old");
    });
  });

  describe("expiry", () => {
    it("keeps a record written with a long ttlMs readable", async () => {
      const { store } = context;
      const profile = recordAt("user", "userId=u1", "profile@1");
      const recent = recordAt("user", "userId=u1", "recent@1");
      await store.write([{ ...profile, envelope: envelopeAt(1, { value: "p" }), ttlMs: 3_600_000 }]);
      await store.append([
        { ...recent, event: envelopeAt(1, { eventId: "a" }), window: 3, ttlMs: 3_600_000 },
      ]);
      const result = await store.read({
        records: [
          { ...profile, kind: "value" },
          { ...recent, kind: "window" },
        ],
      });
      expect(storedEnvelope(result.records[0])?.value).toBe("p");
      expect(storedEvents(result.records[1])).toHaveLength(1);
    });

    it("reads an entity as absent once its ttlMs has passed without writes", async () => {
      const { store } = context;
      const profile = recordAt("user", "userId=short", "profile@1");
      const recent = recordAt("user", "userId=short", "recent@1");
      await store.write([{ ...profile, envelope: envelopeAt(1, { value: "p" }), ttlMs: 60 }]);
      await store.append([{ ...recent, event: envelopeAt(1, { eventId: "a" }), window: 3, ttlMs: 60 }]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const result = await store.read({
        records: [
          { ...profile, kind: "value" },
          { ...recent, kind: "window" },
        ],
      });
      expect(result.records).toStrictEqual([
        { kind: "value", envelope: undefined },
        { kind: "window", events: [] },
      ]);
    });
  });

  describe("close", () => {
    it("rejects reads after close() instead of answering absent (a closed store must not look empty)", async () => {
      // A store of its own: the shared one is closed by the suite's teardown.
      const store = await options.create();
      await store.close();
      await expect(
        store.read({ records: [{ ...recordAt("user", "userId=u1", "profile@1"), kind: "value" }] }),
      ).rejects.toThrow();
    });
  });
}
