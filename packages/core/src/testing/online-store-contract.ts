// The OnlineStore contract suite. Every implementation (memoryStore, @ctxstore/redis standalone and
// Cluster, third-party stores) calls `testOnlineStore` from its own test file; a store is done when
// it passes. The suite only uses the public OnlineStore interface, so it says what any store must do,
// not how the memory store happens to do it.
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Envelope } from "../envelope.js";
import type {
  AppendOutcome,
  OnlineStore,
  ReadResult,
  RecordAddress,
  ValueWrite,
  WindowAppend,
  WriteOutcome,
} from "../stores/types.js";

export interface OnlineStoreContractContext {
  /** The store created for the current test. */
  readonly store: OnlineStore;
}

export interface OnlineStoreContractOptions {
  /** Suite title, e.g. "memoryStore" or "redisStore (cluster)". */
  name: string;
  /**
   * A fresh store whose data no other test can see (e.g. a unique key prefix per call). Called before
   * every test, and once more by the close test, which closes that store itself.
   */
  create: () => OnlineStore | Promise<OnlineStore>;
  /** Tears a store down after each test. Default: `store.close()`. */
  destroy?: (store: OnlineStore) => void | Promise<void>;
  /** fast-check runs per property. Default 100. */
  propertyRuns?: number;
  /** Registers implementation-specific tests inside the suite, sharing its store lifecycle. */
  additionalTests?: (context: OnlineStoreContractContext) => void;
}

/** Registers a vitest `describe` block checking `create()`'s stores against the OnlineStore contract. */
export function testOnlineStore(options: OnlineStoreContractOptions): void {
  const propertyRuns = options.propertyRuns ?? 100;

  describe(`OnlineStore contract: ${options.name}`, () => {
    let current: OnlineStore | undefined;
    const context: OnlineStoreContractContext = {
      get store(): OnlineStore {
        if (current === undefined)
          throw new Error("the contract suite's store is only available inside a test");
        return current;
      },
    };

    beforeEach(async () => {
      current = await options.create();
    });

    afterEach(async () => {
      const store = current;
      current = undefined;
      if (store === undefined) return;
      if (options.destroy) await options.destroy(store);
      else await store.close();
    });

    // Property runs share one store; each run uses its own entity keys so runs cannot see each other.
    let runCounter = 0;
    const freshKey = (label: string): string => `${label}-${++runCounter}`;

    it("has a short name for traces and errors", () => {
      expect(typeof context.store.name).toBe("string");
      expect(context.store.name.length).toBeGreaterThan(0);
    });

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
        expect(result.records.slice(0, 4)).toStrictEqual(
          Array(4).fill({ kind: "value", envelope: undefined }),
        );
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

    describe("last-write-wins by event time", () => {
      const address = recordAt("user", "userId=u1", "profile@1");
      const readValue = async (store: OnlineStore) =>
        storedEnvelope((await store.read({ records: [{ ...address, kind: "value" }] })).records[0]);

      it("replaces a value with a newer event", async () => {
        const { store } = context;
        await store.write([{ ...address, envelope: envelopeAt(100, { value: "old" }) }]);
        expect(await store.write([{ ...address, envelope: envelopeAt(200, { value: "new" }) }])).toEqual([
          { applied: true },
        ]);
        expect((await readValue(store))?.value).toBe("new");
      });

      it("never lets an older event overwrite a newer one that arrived first", async () => {
        const { store } = context;
        await store.write([{ ...address, envelope: envelopeAt(200, { value: "new", writeTime: 1 }) }]);
        const outcome = await store.write([
          { ...address, envelope: envelopeAt(100, { value: "old", writeTime: 999 }) },
        ]);
        expect(outcome).toEqual([{ applied: false, reason: "older" }]);
        expect(await readValue(store)).toStrictEqual(envelopeAt(200, { value: "new", writeTime: 1 }));
      });

      it("on equal event times, lets the greater write time win whatever the arrival order", async () => {
        const { store } = context;
        await store.write([{ ...address, envelope: envelopeAt(100, { value: "second", writeTime: 20 }) }]);
        expect(
          await store.write([{ ...address, envelope: envelopeAt(100, { value: "first", writeTime: 10 }) }]),
        ).toEqual([{ applied: false, reason: "older" }]);
        expect((await readValue(store))?.value).toBe("second");
        expect(
          await store.write([{ ...address, envelope: envelopeAt(100, { value: "third", writeTime: 30 }) }]),
        ).toEqual([{ applied: true }]);
        expect((await readValue(store))?.value).toBe("third");
      });

      it("on equal event and write times, applies the later arrival (a retry or rewrite is not rejected)", async () => {
        const { store } = context;
        await store.write([{ ...address, envelope: envelopeAt(100, { value: "a", writeTime: 50 }) }]);
        expect(
          await store.write([{ ...address, envelope: envelopeAt(100, { value: "b", writeTime: 50 }) }]),
        ).toEqual([{ applied: true }]);
        expect((await readValue(store))?.value).toBe("b");
      });

      it("compares event times per record, not per entity (an old fact for one source still lands)", async () => {
        const { store } = context;
        const orders = recordAt(address.entity, address.key, "orders@1");
        await store.write([{ ...address, envelope: envelopeAt(1_000, { value: "profile" }) }]);
        expect(await store.write([{ ...orders, envelope: envelopeAt(10, { value: "orders" }) }])).toEqual([
          { applied: true },
        ]);
        const result = await store.read({
          records: [
            { ...address, kind: "value" },
            { ...orders, kind: "value" },
          ],
        });
        expect(result.records.map((record) => storedEnvelope(record)?.value)).toEqual(["profile", "orders"]);
      });

      it("treats empty envelopes like any other value (a newer empty replaces, an older one does not)", async () => {
        const { store } = context;
        const emptyAt = (time: number): Envelope =>
          envelopeAt(time, { value: null, empty: true, emptyReason: "none" });
        await store.write([{ ...address, envelope: envelopeAt(100, { value: "something" }) }]);
        expect(await store.write([{ ...address, envelope: emptyAt(50) }])).toEqual([
          { applied: false, reason: "older" },
        ]);
        expect(await store.write([{ ...address, envelope: emptyAt(150) }])).toEqual([{ applied: true }]);
        expect(await readValue(store)).toStrictEqual(emptyAt(150));
      });

      it("property: any arrival order, in single writes or batches, leaves the value with the greatest event time", async () => {
        const { store } = context;
        const writeArbitrary = fc.record({
          // Small ranges so equal event times, and equal write times among them, are common.
          eventTime: fc.integer({ min: 0, max: 6 }),
          writeTime: fc.integer({ min: 0, max: 3 }),
        });
        await fc.assert(
          fc.asyncProperty(
            fc.array(writeArbitrary, { minLength: 1, maxLength: 12 }),
            fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 12, maxLength: 12 }),
            async (arrivals, batchSizes) => {
              const target = recordAt("user", freshKey("lww"), "profile@1");
              const writes: ValueWrite[] = arrivals.map((times, index) => ({
                ...target,
                envelope: envelopeAt(times.eventTime, {
                  writeTime: times.writeTime,
                  value: { arrival: index },
                }),
              }));
              const outcomes: WriteOutcome[] = [];
              for (const batch of chunk(writes, batchSizes)) outcomes.push(...(await store.write(batch)));

              // The spec, arrival by arrival: a write applies iff it supersedes what is stored.
              let winner: Envelope | undefined;
              const expectedOutcomes = writes.map(({ envelope }) => {
                const applies =
                  winner === undefined ||
                  envelope.eventTime > winner.eventTime ||
                  (envelope.eventTime === winner.eventTime && envelope.writeTime >= winner.writeTime);
                if (!applies) return { applied: false, reason: "older" };
                winner = envelope;
                return { applied: true };
              });
              const stored = storedEnvelope(
                (await store.read({ records: [{ ...target, kind: "value" }] })).records[0],
              );
              const greatestEventTime = Math.max(...arrivals.map((times) => times.eventTime));
              const greatestWriteTime = Math.max(
                ...arrivals
                  .filter((times) => times.eventTime === greatestEventTime)
                  .map((times) => times.writeTime),
              );
              expect(stored?.eventTime).toBe(greatestEventTime);
              expect(stored?.writeTime).toBe(greatestWriteTime);
              expect(stored).toStrictEqual(winner);
              expect(outcomes).toStrictEqual(expectedOutcomes);
            },
          ),
          { numRuns: propertyRuns },
        );
      });

      it("stays correct under concurrent writes to the same record (Promise.all)", async () => {
        const { store } = context;
        const eventTimes = shuffle(Array.from({ length: 24 }, (_, index) => 1_000 + index * 7));
        const outcomes = await Promise.all(
          eventTimes.map((eventTime) =>
            store.write([{ ...address, envelope: envelopeAt(eventTime, { value: { eventTime } }) }]),
          ),
        );
        expect(outcomes.flat()).toHaveLength(eventTimes.length);
        const stored = await readValue(store);
        const newest = Math.max(...eventTimes);
        expect(stored).toStrictEqual(envelopeAt(newest, { value: { eventTime: newest } }));
        // The newest write can never have been rejected, whatever the interleaving.
        expect(outcomes[eventTimes.indexOf(newest)]).toEqual([{ applied: true }]);
      });

      it("answers a batch write of many records with one outcome per input, in input order", async () => {
        const { store } = context;
        const targets = Array.from({ length: 40 }, (_, index) =>
          recordAt(index % 2 === 0 ? "user" : "product", `id=${index % 10}`, `source${index % 4}@1`),
        );
        // Seed every other distinct record with a value at time 500.
        const distinct = [...new Map(targets.map((target) => [addressId(target), target])).values()];
        const seeded = distinct.filter((_, index) => index % 2 === 0);
        await store.write(
          seeded.map((target) => ({ ...target, envelope: envelopeAt(500, { value: "seed" }) })),
        );
        const seededIds = new Set(seeded.map(addressId));
        const times = targets.map((_, index) => (index * 37) % 1_000);
        const outcomes = await store.write(
          targets.map((target, index) => ({
            ...target,
            envelope: envelopeAt(times[index] ?? 0, { value: index }),
          })),
        );
        expect(outcomes).toHaveLength(targets.length);
        // Expected: replay the batch in order against the seeded state.
        const latest = new Map<string, number>(seeded.map((target) => [addressId(target), 500]));
        const expected = targets.map((target, index) => {
          const time = times[index] ?? 0;
          const previous = latest.get(addressId(target));
          if (previous !== undefined && time < previous) return { applied: false, reason: "older" };
          latest.set(addressId(target), time);
          return { applied: true };
        });
        expect(outcomes).toStrictEqual(expected);
        expect(seededIds.size).toBeGreaterThan(0);
        const read = await store.read({
          records: distinct.map((target) => ({ ...target, kind: "value" as const })),
        });
        read.records.forEach((result, index) => {
          const target = distinct[index] as RecordAddress;
          expect(storedEnvelope(result)?.eventTime).toBe(latest.get(addressId(target)));
        });
      });
    });

    describe("stream windows", () => {
      const address = recordAt("session", "sessionId=s1", "recent@1");
      const readEvents = async (store: OnlineStore, at: RecordAddress = address) =>
        storedEvents((await store.read({ records: [{ ...at, kind: "window" }] })).records[0]);

      it("keeps the newest N events by event time, returned oldest first", async () => {
        const { store } = context;
        const outcomes = await store.append(
          [5, 1, 4, 2, 3].map((time) => ({
            ...address,
            event: envelopeAt(time, { value: time, eventId: `e${time}` }),
            window: 3,
          })),
        );
        expect(outcomes.map((outcome) => outcome.applied)).toEqual([true, true, true, true, true]);
        expect((await readEvents(store)).map((event) => event.eventTime)).toEqual([3, 4, 5]);
      });

      it("dedupes by event id: a retried event is reported as duplicate and not stored twice", async () => {
        const { store } = context;
        const event = envelopeAt(10, { value: "click", eventId: "evt-42" });
        expect(await store.append([{ ...address, event, window: 5 }])).toEqual([{ applied: true }]);
        expect(await store.append([{ ...address, event, window: 5 }])).toEqual([
          { applied: false, reason: "duplicate" },
        ]);
        // Same id, different payload: still the same event (first one wins).
        const changed = envelopeAt(11, { value: "other", eventId: "evt-42" });
        expect(await store.append([{ ...address, event: changed, window: 5 }])).toEqual([
          { applied: false, reason: "duplicate" },
        ]);
        expect(await readEvents(store)).toStrictEqual([event]);
      });

      it("reports an event older than the kept N as outside-window and keeps the window unchanged", async () => {
        const { store } = context;
        await store.append(
          [10, 20, 30].map((time) => ({
            ...address,
            event: envelopeAt(time, { eventId: `e${time}` }),
            window: 3,
          })),
        );
        expect(
          await store.append([{ ...address, event: envelopeAt(5, { eventId: "late" }), window: 3 }]),
        ).toEqual([{ applied: false, reason: "outside-window" }]);
        expect((await readEvents(store)).map((event) => event.eventId)).toEqual(["e10", "e20", "e30"]);
        // A late event that is still newer than the oldest kept one enters and evicts that one.
        expect(
          await store.append([{ ...address, event: envelopeAt(15, { eventId: "late-but-in" }), window: 3 }]),
        ).toEqual([{ applied: true }]);
        expect((await readEvents(store)).map((event) => event.eventId)).toEqual([
          "late-but-in",
          "e20",
          "e30",
        ]);
      });

      it("orders events with equal event times by event id", async () => {
        const { store } = context;
        await store.append(
          ["c", "a", "d", "b"].map((eventId) => ({
            ...address,
            event: envelopeAt(7, { eventId }),
            window: 3,
          })),
        );
        expect((await readEvents(store)).map((event) => event.eventId)).toEqual(["b", "c", "d"]);
      });

      it("keeps windows of different entities, keys and fields apart", async () => {
        const { store } = context;
        const other = recordAt("session", "sessionId=s2", "recent@1");
        const otherField = recordAt("session", "sessionId=s1", "clicks@1");
        await store.append([
          { ...address, event: envelopeAt(1, { eventId: "a" }), window: 2 },
          { ...other, event: envelopeAt(2, { eventId: "a" }), window: 2 },
          { ...otherField, event: envelopeAt(3, { eventId: "a" }), window: 2 },
        ]);
        expect((await readEvents(store)).map((event) => event.eventTime)).toEqual([1]);
        expect((await readEvents(store, other)).map((event) => event.eventTime)).toEqual([2]);
        expect((await readEvents(store, otherField)).map((event) => event.eventTime)).toEqual([3]);
      });

      it("rejects an event without an eventId (CTX_INVALID_EVENT) and appends nothing from that call", async () => {
        const { store } = context;
        await expect(
          store.append([
            { ...address, event: envelopeAt(1, { eventId: "ok" }), window: 3 },
            { ...address, event: envelopeAt(2), window: 3 },
          ]),
        ).rejects.toMatchObject({ name: "CtxError", code: "CTX_INVALID_EVENT" });
        expect(await readEvents(store)).toStrictEqual([]);
      });

      it("property: keeps exactly the newest N distinct events, whatever the arrival order and duplicates", async () => {
        const { store } = context;
        const scenario = fc
          .uniqueArray(
            fc.record({
              eventId: fc.stringMatching(/^[a-z0-9]{1,4}$/),
              eventTime: fc.integer({ min: 0, max: 15 }),
            }),
            {
              minLength: 1,
              maxLength: 12,
              selector: (event) => event.eventId,
            },
          )
          .chain((pool) =>
            fc.record({
              pool: fc.constant(pool),
              arrivals: fc.array(fc.nat({ max: pool.length - 1 }), { minLength: 1, maxLength: 20 }),
              window: fc.integer({ min: 1, max: 6 }),
              batchSizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 20, maxLength: 20 }),
            }),
          );
        await fc.assert(
          fc.asyncProperty(scenario, async ({ pool, arrivals, window, batchSizes }) => {
            const target = recordAt("session", freshKey("window"), "recent@1");
            const events = pool.map(({ eventId, eventTime }) =>
              envelopeAt(eventTime, { eventId, value: { eventId } }),
            );
            const appends: WindowAppend[] = arrivals.map((index) => ({
              ...target,
              event: events[index] as Envelope,
              window,
            }));
            const outcomes: AppendOutcome[] = [];
            for (const batch of chunk(appends, batchSizes)) outcomes.push(...(await store.append(batch)));

            const stored = storedEvents(
              (await store.read({ records: [{ ...target, kind: "window" }] })).records[0],
            );
            const distinct = [...new Set(arrivals)].map((index) => events[index] as Envelope);
            const newest = [...distinct].sort(windowOrder).slice(-window);
            expect(stored).toStrictEqual(newest);
            expect(outcomes).toStrictEqual(expectedAppendOutcomes(appends));
          }),
          { numRuns: propertyRuns },
        );
      });

      it("stays correct under concurrent appends to the same window (Promise.all)", async () => {
        const { store } = context;
        const times = shuffle(Array.from({ length: 30 }, (_, index) => index));
        const arrivals = [...times, ...times.slice(0, 10)]; // ten retries racing their originals
        await Promise.all(
          arrivals.map((time) =>
            store.append([
              {
                ...address,
                event: envelopeAt(time, { eventId: `e${String(time).padStart(2, "0")}` }),
                window: 8,
              },
            ]),
          ),
        );
        expect((await readEvents(store)).map((event) => event.eventTime)).toEqual([
          22, 23, 24, 25, 26, 27, 28, 29,
        ]);
      });

      it("answers a batch append of many events with one outcome per input, in input order", async () => {
        const { store } = context;
        const other = recordAt("session", "sessionId=s2", "recent@1");
        const appends: WindowAppend[] = [];
        for (let index = 0; index < 30; index++) {
          const target = index % 3 === 0 ? other : address;
          const time = (index * 7) % 11;
          appends.push({ ...target, event: envelopeAt(time, { eventId: `e${time}` }), window: 4 });
        }
        const outcomes = await store.append(appends);
        expect(outcomes).toStrictEqual(expectedAppendOutcomes(appends));
        for (const target of [address, other]) {
          const expected = [
            ...new Map(
              appends
                .filter((entry) => addressId(entry) === addressId(target))
                .map((entry) => [entry.event.eventId, entry.event]),
            ).values(),
          ]
            .sort(windowOrder)
            .slice(-4);
          expect(await readEvents(store, target)).toStrictEqual(expected);
        }
      });
    });

    describe("batched reads", () => {
      it("answers many records across entities, keys and fields, values and windows, in ONE read in request order", async () => {
        const { store } = context;
        const entities = ["user", "session", "product"];
        const writes: ValueWrite[] = [];
        const appends: WindowAppend[] = [];
        for (const entity of entities) {
          for (let key = 0; key < 4; key++) {
            for (let field = 0; field < 3; field++) {
              const target = recordAt(entity, `id=${key}`, `batch${field}@1`);
              writes.push({
                ...target,
                envelope: envelopeAt(key * 10 + field, { value: `${entity}/${key}/${field}` }),
              });
            }
            const windowTarget = recordAt(entity, `id=${key}`, "events@1");
            for (let event = 0; event < 3; event++) {
              appends.push({
                ...windowTarget,
                event: envelopeAt(event, { eventId: `${entity}-${key}-${event}` }),
                window: 2,
              });
            }
          }
        }
        await store.write(writes);
        await store.append(appends);
        await store.setWatermark("events@1", 12_345);

        type Expectation = { request: { kind: "value" | "window" } & RecordAddress; expected: ReadResult };
        const expectations: Expectation[] = [
          ...writes.map((write) => ({
            request: { entity: write.entity, key: write.key, field: write.field, kind: "value" as const },
            expected: { kind: "value" as const, envelope: write.envelope },
          })),
          ...entities.flatMap((entity) =>
            [0, 1, 2, 3].map((key) => ({
              request: { ...recordAt(entity, `id=${key}`, "events@1"), kind: "window" as const },
              expected: {
                kind: "window" as const,
                events: [1, 2].map((event) => envelopeAt(event, { eventId: `${entity}-${key}-${event}` })),
              },
            })),
          ),
          {
            request: { ...recordAt("user", "id=99", "batch0@1"), kind: "value" },
            expected: { kind: "value", envelope: undefined },
          },
          {
            request: { ...recordAt("user", "id=99", "events@1"), kind: "window" },
            expected: { kind: "window", events: [] },
          },
        ];
        const ordered = shuffle(expectations);
        ordered.push(ordered[0] as Expectation); // the same record twice in one read
        const result = await store.read({
          records: ordered.map((entry) => entry.request),
          watermarks: ["events@1", "never@1"],
        });
        expect(result.records).toStrictEqual(ordered.map((entry) => entry.expected));
        expect(result.watermarks["events@1"]).toBe(12_345);
        expect(result.watermarks["never@1"]).toBeUndefined();
      });
    });

    describe("batch edges and concurrency", () => {
      it("treats empty batches as no-ops", async () => {
        const { store } = context;
        expect(await store.write([])).toEqual([]);
        expect(await store.append([])).toEqual([]);
        await expect(store.delete([])).resolves.toBeUndefined();
        expect(await store.read({ records: [], watermarks: [] })).toMatchObject({ records: [] });
      });

      it("loses nothing when writes and appends to different fields of one entity race (Promise.all)", async () => {
        const { store } = context;
        const fields = Array.from({ length: 12 }, (_, index) => `source${index}@1`);
        await Promise.all(
          fields.flatMap((field, index) => [
            store.write([
              { ...recordAt("user", "userId=u1", field), envelope: envelopeAt(index, { value: field }) },
            ]),
            store.append([
              {
                ...recordAt("user", "userId=u1", `${field}:events`),
                event: envelopeAt(index, { eventId: field }),
                window: 3,
              },
            ]),
          ]),
        );
        const result = await store.read({
          records: fields.flatMap((field) => [
            { ...recordAt("user", "userId=u1", field), kind: "value" as const },
            { ...recordAt("user", "userId=u1", `${field}:events`), kind: "window" as const },
          ]),
        });
        fields.forEach((field, index) => {
          expect(storedEnvelope(result.records[index * 2])?.value).toBe(field);
          expect(storedEvents(result.records[index * 2 + 1]).map((event) => event.eventId)).toEqual([field]);
        });
      });
    });

    describe("large batches", () => {
      it("writes 1,000 records in one call and reads them back in one call, in request order", async () => {
        const { store } = context;
        const addresses = Array.from({ length: 1_000 }, (_, index) =>
          recordAt(
            ["user", "session", "product", "tenant"][index % 4] as string,
            `id=${index % 250}`,
            `source${index % 3}@1`,
          ),
        );
        const distinct = [...new Map(addresses.map((address) => [addressId(address), address])).values()];
        const outcomes = await store.write(
          distinct.map((address, index) => ({
            ...address,
            envelope: envelopeAt(index, { value: { index } }),
          })),
        );
        expect(outcomes).toHaveLength(distinct.length);
        expect(outcomes.every((outcome) => outcome.applied)).toBe(true);
        const order = shuffle(distinct.map((_, index) => index));
        const result = await store.read({
          records: order.map((index) => ({ ...(distinct[index] as RecordAddress), kind: "value" as const })),
        });
        expect(
          result.records.map(
            (record) => (storedEnvelope(record)?.value as { index: number } | undefined)?.index,
          ),
        ).toEqual(order);
      });
    });

    describe("watermarks", () => {
      it("only ever raise, and are returned by the same read as the records", async () => {
        const { store } = context;
        const address = recordAt("session", "sessionId=s1", "recent@1");
        await store.append([{ ...address, event: envelopeAt(1, { eventId: "a" }), window: 3 }]);
        const readBoth = () =>
          store.read({ records: [{ ...address, kind: "window" }], watermarks: ["recent@1", "clicks@1"] });

        await store.setWatermark("recent@1", 1_000);
        let result = await readBoth();
        expect(storedEvents(result.records[0])).toHaveLength(1);
        expect(result.watermarks["recent@1"]).toBe(1_000);
        expect(result.watermarks["clicks@1"]).toBeUndefined();

        await store.setWatermark("recent@1", 500);
        result = await readBoth();
        expect(result.watermarks["recent@1"]).toBe(1_000);

        await store.setWatermark("recent@1", 2_000);
        await store.setWatermark("clicks@1", 7);
        result = await readBoth();
        expect(result.watermarks).toMatchObject({ "recent@1": 2_000, "clicks@1": 7 });
      });

      it("property: after any sequence of raises the watermark is the maximum", async () => {
        const { store } = context;
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.integer({ min: 0, max: 2_000_000_000_000 }), { minLength: 1, maxLength: 8 }),
            async (times) => {
              const field = `${freshKey("mark")}@1`;
              await Promise.all(times.map((time) => store.setWatermark(field, time)));
              const result = await store.read({ records: [], watermarks: [field] });
              expect(result.watermarks[field]).toBe(Math.max(...times));
            },
          ),
          { numRuns: Math.min(propertyRuns, 50) },
        );
      });
    });

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

    options.additionalTests?.(context);
  });
}

function recordAt(entity: string, key: string, field: string): RecordAddress {
  return { entity, key, field };
}

type EnvelopeFields = { -readonly [Name in keyof Envelope]?: Envelope[Name] };

/** An envelope at `eventTime`, with `writeTime` defaulting to it and `value` to a small object. */
function envelopeAt(eventTime: number, fields: EnvelopeFields = {}): Envelope {
  return { value: { at: eventTime }, eventTime, writeTime: eventTime, schemaVersion: 1, ...fields };
}

function storedEnvelope(result: ReadResult | undefined): Envelope | undefined {
  if (result?.kind !== "value") throw new Error(`expected a value result, got ${JSON.stringify(result)}`);
  return result.envelope;
}

function storedEvents(result: ReadResult | undefined): readonly Envelope[] {
  if (result?.kind !== "window") throw new Error(`expected a window result, got ${JSON.stringify(result)}`);
  return result.events;
}

function addressId(address: RecordAddress): string {
  return JSON.stringify([address.entity, address.key, address.field]);
}

/** Window order from the contract: event time, then event id. */
function windowOrder(left: Envelope, right: Envelope): number {
  if (left.eventTime !== right.eventTime) return left.eventTime - right.eventTime;
  const leftId = left.eventId ?? "";
  const rightId = right.eventId ?? "";
  return leftId < rightId ? -1 : leftId > rightId ? 1 : 0;
}

/** The append outcomes the contract prescribes for `appends` applied in order to empty windows. */
function expectedAppendOutcomes(appends: readonly WindowAppend[]): AppendOutcome[] {
  const windows = new Map<string, Envelope[]>();
  return appends.map(({ event, window, ...address }) => {
    const kept = windows.get(addressId(address)) ?? [];
    if (kept.some((existing) => existing.eventId === event.eventId))
      return { applied: false, reason: "duplicate" };
    const merged = [...kept, event].sort(windowOrder);
    const next = merged.slice(-window);
    windows.set(addressId(address), next);
    return next.includes(event) ? { applied: true } : { applied: false, reason: "outside-window" };
  });
}

/** Splits `items` into consecutive batches of the given sizes (the last size repeats). */
function chunk<Item>(items: readonly Item[], sizes: readonly number[]): Item[][] {
  const batches: Item[][] = [];
  let start = 0;
  for (let index = 0; start < items.length; index++) {
    const size = sizes[Math.min(index, sizes.length - 1)] ?? 1;
    batches.push(items.slice(start, start + size));
    start += size;
  }
  return batches;
}

/** Fisher-Yates with Math.random: arrival orders differ per run, and every order must pass. */
function shuffle<Item>(items: readonly Item[]): Item[] {
  const shuffled = [...items];
  for (let index = shuffled.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [shuffled[index], shuffled[other]] = [shuffled[other] as Item, shuffled[index] as Item];
  }
  return shuffled;
}

/** Runs a mutation that a store may legitimately refuse (frozen objects throw in strict mode). */
function attemptMutation(mutate: () => void): void {
  try {
    mutate();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
}
