// Contract group "stream windows": appends keep the newest N events by (event time, event id), dedupe by
// event id, report late events as outside-window, and reject events without an id, whatever the
// arrival order, batching or concurrency.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../envelope.js";
import type { AppendOutcome, OnlineStore, RecordAddress, WindowAppend } from "../../stores/types.js";
import {
  addressId,
  chunk,
  envelopeAt,
  expectedAppendOutcomes,
  recordAt,
  shuffle,
  storedEvents,
  windowOrder,
} from "./fixtures.js";
import type { ContractSuite } from "./suite.js";

/** Registers the stream-window tests of the OnlineStore contract. */
export function registerWindowTests({ context, freshKey, propertyRuns }: ContractSuite): void {
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

    it("trims to the newest N when a later append brings a smaller window size (a redefined source)", async () => {
      const { store } = context;
      const at = recordAt("session", freshKey("shrink"), "recent@1");
      await store.append(
        [1, 2, 3, 4, 5].map((time) => ({
          ...at,
          event: envelopeAt(time, { eventId: `e${time}` }),
          window: 5,
        })),
      );
      const [newer] = await store.append([{ ...at, event: envelopeAt(6, { eventId: "e6" }), window: 3 }]);
      expect(newer?.applied).toBe(true);
      expect((await readEvents(store, at)).map((event) => event.eventTime)).toEqual([4, 5, 6]);
      const [older] = await store.append([{ ...at, event: envelopeAt(2.5, { eventId: "e2.5" }), window: 3 }]);
      expect(older).toEqual({ applied: false, reason: "outside-window" });
      expect((await readEvents(store, at)).map((event) => event.eventTime)).toEqual([4, 5, 6]);
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
      expect((await readEvents(store)).map((event) => event.eventId)).toEqual(["late-but-in", "e20", "e30"]);
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
}
