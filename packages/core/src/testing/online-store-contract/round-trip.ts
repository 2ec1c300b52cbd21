// Contract groups "round trip" and "absent records": a store returns exactly what was written, keeps
// every address apart (separators, hash-tag braces, prototype-like names), and answers absent for
// what was never written.
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../envelope.js";
import type { RecordAddress } from "../../stores/types.js";
import { attemptMutation, envelopeAt, recordAt, storedEnvelope, storedEvents } from "./fixtures.js";
import type { ContractSuite } from "./suite.js";

/** Registers the round-trip and isolation tests of the OnlineStore contract. */
export function registerRoundTripTests({ context }: ContractSuite): void {
  describe("round trip", () => {
    it("returns a value envelope exactly as written: value, times, version, event id, rendered lines and tokens", async () => {
      const { store } = context;
      const envelope: Envelope = {
        value: {
          name: "Ada",
          tier: "gold",
          orders: [1, 2.5, -3, 0, 9_007_199_254_740_991],
          nested: { flag: true, off: false, nothing: null, list: [{ sku: "A-1" }, [], {}] },
        },
        eventTime: 1_767_225_600_000,
        writeTime: 1_767_225_600_123,
        schemaVersion: 3,
        eventId: "evt-1",
        rendered: {
          kind: "list",
          lines: ["- Ada (gold)", "- 3 orders"],
          tokens: { o200k_base: [5, 4], cl100k_base: [6, 4] },
        },
      };
      const address = recordAt("user", "userId=u1", "profile@1");
      expect(await store.write([{ ...address, envelope }])).toEqual([{ applied: true }]);
      const result = await store.read({ records: [{ ...address, kind: "value" }] });
      expect(result.records).toHaveLength(1);
      expect(storedEnvelope(result.records[0])).toStrictEqual(envelope);
    });

    it("keeps an empty envelope's flag and reason (an empty fact is not a missing value)", async () => {
      const { store } = context;
      const envelope: Envelope = {
        value: null,
        empty: true,
        emptyReason: "new customer, no orders yet",
        eventTime: 1_000,
        writeTime: 1_001,
        schemaVersion: 1,
        rendered: { kind: "text", lines: ["New customer, no orders yet."], tokens: { o200k_base: [7] } },
      };
      const address = recordAt("user", "userId=new", "orders@2");
      await store.write([{ ...address, envelope }]);
      const result = await store.read({ records: [{ ...address, kind: "value" }] });
      expect(storedEnvelope(result.records[0])).toStrictEqual(envelope);
    });

    it("keeps unicode exactly (accents, CJK, emoji, RTL, control characters, lone surrogates) in values, keys and fields", async () => {
      const { store } = context;
      const text =
        "naïve café — 日本語テキスト 🧭👩‍👩‍👧 مرحبا \u0000\u0007\t\n\r \" ' \\ \u2028\u2029 \ud800 end";
      const envelope = envelopeAt(5, { value: { text, [text]: text }, eventId: "ü-🧭" });
      const address = recordAt("user", "userId=ñandú-🦤", "résumé@1");
      await store.write([{ ...address, envelope }]);
      const event = envelopeAt(6, { value: text, eventId: "évènement-🧭" });
      const windowAddress = recordAt("session", "sessionId=セッション", "活動@1");
      await store.append([{ ...windowAddress, event, window: 3 }]);
      const result = await store.read({
        records: [
          { ...address, kind: "value" },
          { ...windowAddress, kind: "window" },
        ],
      });
      expect(storedEnvelope(result.records[0])).toStrictEqual(envelope);
      expect(storedEvents(result.records[1])).toStrictEqual([event]);
    });

    it("keeps large values whole (a 200,000-character string, 5,000 list items, 2,000 rendered lines)", async () => {
      const { store } = context;
      const lines = Array.from(
        { length: 2_000 },
        (_, index) => `- item ${index}: ${"lorem ipsum ".repeat(3)}`,
      );
      const envelope = envelopeAt(10, {
        value: {
          summary: "x".repeat(100_000) + "é".repeat(100_000),
          items: Array.from({ length: 5_000 }, (_, index) => ({ index, label: `item-${index}` })),
        },
        rendered: {
          kind: "list",
          lines,
          tokens: { o200k_base: lines.map((_, index) => 10 + (index % 7)) },
        },
      });
      const address = recordAt("product", "productId=big", "catalog@1");
      await store.write([{ ...address, envelope }]);
      const result = await store.read({ records: [{ ...address, kind: "value" }] });
      expect(storedEnvelope(result.records[0])).toStrictEqual(envelope);
    });

    it("returns window events exactly as appended, rendered text included", async () => {
      const { store } = context;
      const address = recordAt("session", "sessionId=s1", "recent@1");
      const events = [1, 2, 3].map((time) =>
        envelopeAt(time, {
          value: { type: "view", sku: `SKU-${time}`, price: time * 10.5 },
          eventId: `e${time}`,
          rendered: {
            kind: "list",
            lines: [`viewed SKU-${time}`],
            tokens: { o200k_base: [4], cl100k_base: [5] },
          },
        }),
      );
      await store.append(events.map((event) => ({ ...address, event, window: 10 })));
      const result = await store.read({ records: [{ ...address, kind: "window" }] });
      expect(storedEvents(result.records[0])).toStrictEqual(events);
    });

    it("is not changed by mutating the written envelope afterwards", async () => {
      const { store } = context;
      const address = recordAt("user", "userId=u1", "profile@1");
      const value = { name: "Ada", tags: ["a"] };
      const envelope = envelopeAt(1, { value });
      await store.write([{ ...address, envelope }]);
      const event = envelopeAt(1, { value: { step: 1 }, eventId: "e1" });
      const windowAddress = recordAt("session", "sessionId=s1", "recent@1");
      await store.append([{ ...windowAddress, event, window: 5 }]);
      attemptMutation(() => {
        value.name = "changed";
        value.tags.push("b");
        (event.value as { step: number }).step = 2;
      });
      const result = await store.read({
        records: [
          { ...address, kind: "value" },
          { ...windowAddress, kind: "window" },
        ],
      });
      expect(storedEnvelope(result.records[0])?.value).toStrictEqual({ name: "Ada", tags: ["a"] });
      expect(storedEvents(result.records[1])[0]?.value).toStrictEqual({ step: 1 });
    });

    it("is not changed by mutating a read result", async () => {
      const { store } = context;
      const address = recordAt("user", "userId=u1", "profile@1");
      const windowAddress = recordAt("session", "sessionId=s1", "recent@1");
      await store.write([{ ...address, envelope: envelopeAt(1, { value: { name: "Ada", tags: ["a"] } }) }]);
      await store.append([
        { ...windowAddress, event: envelopeAt(1, { value: { step: 1 }, eventId: "e1" }), window: 5 },
      ]);
      const requests = [
        { ...address, kind: "value" as const },
        { ...windowAddress, kind: "window" as const },
      ];
      const first = await store.read({ records: requests });
      attemptMutation(() => {
        const stored = storedEnvelope(first.records[0]) as {
          value: { name: string; tags: string[] };
          eventTime: number;
        };
        stored.value.name = "changed";
        stored.value.tags.push("b");
        stored.eventTime = 99;
      });
      attemptMutation(() => {
        (storedEvents(first.records[1]) as Envelope[]).push(
          envelopeAt(2, { value: { step: 2 }, eventId: "e2" }),
        );
      });
      const second = await store.read({ records: requests });
      expect(storedEnvelope(second.records[0])).toStrictEqual(
        envelopeAt(1, { value: { name: "Ada", tags: ["a"] } }),
      );
      expect(storedEvents(second.records[1]).map((event) => event.eventId)).toStrictEqual(["e1"]);
    });
  });

  describe("absent records", () => {
    it("reads a never-written value as envelope undefined and a never-appended window as no events", async () => {
      const { store } = context;
      const result = await store.read({
        records: [
          { ...recordAt("user", "userId=nobody", "profile@1"), kind: "value" },
          { ...recordAt("session", "sessionId=nobody", "recent@1"), kind: "window" },
        ],
        watermarks: ["recent@1"],
      });
      expect(result.records).toStrictEqual([
        { kind: "value", envelope: undefined },
        { kind: "window", events: [] },
      ]);
      expect(result.watermarks["recent@1"]).toBeUndefined();
    });

    it("keeps records apart by entity, key and field (a neighbour's data is never returned)", async () => {
      const { store } = context;
      await store.write([
        { ...recordAt("user", "userId=u1", "profile@1"), envelope: envelopeAt(1, { value: "u1" }) },
      ]);
      const result = await store.read({
        records: [
          { ...recordAt("user", "userId=u1", "profile@2"), kind: "value" },
          { ...recordAt("user", "userId=u10", "profile@1"), kind: "value" },
          { ...recordAt("user", "userId=u", "profile@1"), kind: "value" },
          { ...recordAt("account", "userId=u1", "profile@1"), kind: "value" },
          { ...recordAt("user", "userId=u1", "profile@1"), kind: "value" },
        ],
      });
      expect(result.records.slice(0, 4)).toStrictEqual(Array(4).fill({ kind: "value", envelope: undefined }));
      expect(storedEnvelope(result.records[4])?.value).toBe("u1");
    });

    it("keeps addresses apart when their parts contain separator characters (no joined-string collisions)", async () => {
      const { store } = context;
      // Pairs that collide if a store joins entity, key and field with a separator and no escaping,
      // plus Redis Cluster hash-tag braces.
      const addresses: RecordAddress[] = [
        recordAt("user", "a:b", "f@1"),
        recordAt("user:a", "b", "f@1"),
        recordAt("user", "a", "b:f@1"),
        recordAt("user", "a\u0000b", "f@1"),
        recordAt("user\u0000a", "b", "f@1"),
        recordAt("user", "a|b", "f@1"),
        recordAt("user|a", "b", "f@1"),
        recordAt("user", "a/b", "f@1"),
        recordAt("user/a", "b", "f@1"),
        recordAt("user", "{tag}x", "f@1"),
        recordAt("user", "{tag}y", "f@1"),
        recordAt("user", "}{", "f@1"),
        // An escaping scheme must be injective: an escaped brace and its escape text stay apart.
        recordAt("user", "{a}", "f@1"),
        recordAt("user", "%7Ba%7D", "f@1"),
        recordAt("user", "\\{a\\}", "f@1"),
        recordAt("user", "a b\nc", "f@1"),
        recordAt("user", "*", "f@1"),
        recordAt("user", "?", "f@1"),
      ];
      await store.write(
        addresses.map((address, index) => ({ ...address, envelope: envelopeAt(index, { value: index }) })),
      );
      await store.append(
        addresses.map((address, index) => ({
          ...address,
          field: `${address.field}:events`,
          event: envelopeAt(index, { eventId: `e${index}` }),
          window: 2,
        })),
      );
      const result = await store.read({
        records: addresses.flatMap((address) => [
          { ...address, kind: "value" as const },
          { ...address, field: `${address.field}:events`, kind: "window" as const },
        ]),
      });
      addresses.forEach((_, index) => {
        expect(storedEnvelope(result.records[index * 2])?.value).toBe(index);
        expect(storedEvents(result.records[index * 2 + 1]).map((event) => event.eventId)).toEqual([
          `e${index}`,
        ]);
      });
    });

    it("treats names like __proto__, constructor and toString as plain data (entities, keys, fields, watermarks)", async () => {
      const { store } = context;
      const names = ["__proto__", "constructor", "toString", "hasOwnProperty", "0", "length"];
      const addresses = names.map((name, index) =>
        recordAt(name, name, index % 2 === 0 ? name : `${name}@1`),
      );
      await store.write(
        addresses.map((address, index) => ({ ...address, envelope: envelopeAt(index, { value: index }) })),
      );
      for (const [index, name] of names.entries()) await store.setWatermark(name, 100 + index);
      const result = await store.read({
        records: [
          ...addresses.map((address) => ({ ...address, kind: "value" as const })),
          { ...recordAt("user", "u1", "__proto__"), kind: "value" },
        ],
        watermarks: names,
      });
      addresses.forEach((_, index) => {
        expect(storedEnvelope(result.records[index])?.value).toBe(index);
      });
      expect(result.records[names.length]).toStrictEqual({ kind: "value", envelope: undefined });
      names.forEach((name, index) => {
        expect(Object.hasOwn(result.watermarks, name)).toBe(true);
        expect(result.watermarks[name]).toBe(100 + index);
      });
    });

    it("answers an empty read with no records", async () => {
      const result = await context.store.read({ records: [] });
      expect(result.records).toStrictEqual([]);
    });
  });
}
