// The Feast Redis layout against bytes produced by Feast's own Python code (shared/feast-golden):
// entity keys, Redis keys, feature and timestamp fields, and the MurmurHash3 vectors.
import { describe, expect, it } from "vitest";
import { golden, joinKeyValue } from "../test/golden.js";
import {
  feastRedisKey,
  featureField,
  murmur3Field,
  serializeEntityKey,
  timestampField,
  versionedViewName,
} from "./layout.js";

describe("Feast Redis layout (golden bytes)", () => {
  it("hashes the mmh3 vectors like Feast's _mmh3 (little-endian unsigned)", () => {
    for (const vector of golden.mmh3_vectors) {
      const bytes = murmur3Field(vector.input);
      expect(bytes.toString("hex")).toBe(vector.feast__mmh3_hex);
      expect(bytes.readUInt32LE(0)).toBe(vector.unsigned);
    }
  });

  it("serializes every entity-key example, multi-key ones sorted whatever the input order", () => {
    for (const example of golden.entity_key_examples) {
      const pairs = example.join_keys.map(
        (name, index) => [name, joinKeyValue(example.entity_values[index] as never)] as const,
      );
      expect(serializeEntityKey(pairs).toString("hex")).toBe(example.serialized_entity_key_hex);
    }
    const check = golden.multi_key_sort_check;
    expect(check.unsorted_input_redis_key_hex).toBe(check.sorted_input_redis_key_hex);
  });

  it("builds every fixture's Redis key, feature fields and _ts field", () => {
    for (const fixture of golden.fixtures) {
      const input = fixture.entity_key_input;
      const pairs = input.join_keys.map(
        (name, index) => [name, joinKeyValue(input.entity_values[index] as never)] as const,
      );
      const entityKey = serializeEntityKey(pairs);
      expect(entityKey.toString("hex"), fixture.id).toBe(fixture.serialized_entity_key_hex);
      expect(feastRedisKey(entityKey, fixture.project).toString("hex"), fixture.id).toBe(
        fixture.redis_key_hex,
      );
      const view = versionedViewName(
        fixture.feature_view,
        fixture.feature_view_versioning?.version_tag ?? undefined,
      );
      expect(view).toBe(fixture.effective_feature_view_name);
      expect(timestampField(view).toString("hex"), fixture.id).toBe(fixture.ts_field.name_hex);
      for (const feature of fixture.features) {
        expect(featureField(view, feature.feature).toString("hex"), `${fixture.id} ${feature.feature}`).toBe(
          feature.field_hex,
        );
      }
    }
  });
});
