// Contract group "last-write-wins by event time": a value write applies only if it supersedes the stored
// envelope (greater event time, then write time >= on ties), per record, whatever the arrival order,
// batching or concurrency.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../envelope.js";
import type { OnlineStore, RecordAddress, ValueWrite, WriteOutcome } from "../../stores/types.js";
import { addressId, chunk, envelopeAt, recordAt, shuffle, storedEnvelope } from "./fixtures.js";
import type { ContractSuite } from "./suite.js";

/** Registers the last-write-wins tests of the OnlineStore contract. */
export function registerLastWriteWinsTests({ context, freshKey, propertyRuns }: ContractSuite): void {
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
}
