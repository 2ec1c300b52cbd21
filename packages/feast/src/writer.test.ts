// feastRow writes what Feast's RedisOnlineStore.online_write_batch writes: the same Redis key and
// the same HSET mapping, byte for byte, for every golden fixture whose features have declared
// element types (the structured types whose nested values carry their own types are compared
// decoded, or left to goldenMessage in values.test.ts when a JS value cannot say its Feast type).
import { describe, expect, it } from "vitest";
import { fixture, goldenReads } from "../test/definitions.js";
import { expectedValue, golden } from "../test/golden.js";
import { feastRow, feastTimestamp } from "./writer.js";

const NESTED_TYPES = /^(map|struct|map_list|struct_list|list|set|scalar_map)_val$/;

describe("feastRow (golden bytes)", () => {
  it.each(goldenReads.map((read) => ({ ...read })))("$id", ({ id, source, key }) => {
    const golden = fixture(id);
    const writable = golden.features.filter(
      (feature) => feature.typed_value.type !== null && !NESTED_TYPES.test(feature.typed_value.type),
    );
    const value = Object.fromEntries(
      writable.map((feature) => [feature.feature, expectedValue(feature.typed_value)]),
    );
    const row = feastRow(source, key, value, golden.event_timestamp);
    expect(row.key.toString("hex")).toBe(golden.redis_key_hex);
    const written = new Map(
      row.fields.map(([field, bytes]) => [field.toString("hex"), bytes.toString("hex")]),
    );
    expect(written.get(golden.ts_field.name_hex)).toBe(golden.ts_field.value_hex);
    for (const feature of writable) {
      expect(written.get(feature.field_hex), `${id} ${feature.feature}`).toBe(feature.value_hex);
    }
    expect(written.size).toBe(writable.length + 1);
  });

  it("encodes every golden timestamp example like Feast's writer", () => {
    for (const example of golden.timestamp_examples) {
      expect(feastTimestamp({ seconds: example.seconds, nanos: example.nanos }).toString("hex")).toBe(
        example.value_hex,
      );
    }
    expect(feastTimestamp(0).toString("hex")).toBe("");
  });
});
