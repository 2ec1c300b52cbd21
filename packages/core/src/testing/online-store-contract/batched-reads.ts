// Contract groups "batched reads", "batch edges and concurrency", "large batches" and "watermarks": one
// read answers many records and watermarks together in request order, empty batches are no-ops, and
// watermarks only ever rise.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ReadResult, RecordAddress, ValueWrite, WindowAppend } from "../../stores/types.js";
import { addressId, envelopeAt, recordAt, shuffle, storedEnvelope, storedEvents } from "./fixtures.js";
import type { ContractSuite } from "./suite.js";

/** Registers the batched-read, batch-edge, large-batch and watermark tests of the OnlineStore contract. */
export function registerBatchedReadTests({ context, freshKey, propertyRuns }: ContractSuite): void {
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
}
