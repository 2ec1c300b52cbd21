// Loads the golden fixtures (bytes produced by Feast's own Python serialization code; see
// shared/feast-golden/README.md) and turns their JSON conventions into typed values.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { JoinKeyValue } from "../src/layout.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Where the fixtures live: FEAST_GOLDEN_DIR, else the workspace's shared/feast-golden. */
function goldenPath(): string {
  const candidates = [
    process.env.FEAST_GOLDEN_DIR,
    join(here, "fixtures"),
    join(here, "../../../../shared/feast-golden"),
    join(here, "../../../../../shared/feast-golden"),
    "/work/shared/feast-golden",
  ].filter((path): path is string => typeof path === "string");
  for (const directory of candidates) {
    try {
      readFileSync(join(directory, "fixtures.json"));
      return join(directory, "fixtures.json");
    } catch {
      // try the next place
    }
  }
  throw new Error(`feast golden fixtures not found; looked in ${candidates.join(", ")}`);
}

export interface GoldenTypedValue {
  readonly type: string | null;
  readonly value?: unknown;
  readonly value_hex?: string | string[];
  readonly float32_value?: number | number[];
}

export interface GoldenFeature {
  readonly feature: string;
  readonly typed_value: GoldenTypedValue;
  readonly field_hex: string;
  readonly value_hex: string;
}

export interface GoldenFixture {
  readonly id: string;
  readonly note: string;
  readonly project: string;
  readonly entity_key_input: {
    readonly join_keys: string[];
    readonly entity_values: GoldenTypedValue[];
  };
  readonly feature_view: string;
  readonly feature_view_versioning: { version_tag?: number } | null;
  readonly effective_feature_view_name: string;
  readonly event_timestamp: { seconds: number; nanos: number };
  readonly serialized_entity_key_hex: string;
  readonly redis_key_hex: string;
  readonly ts_field: { name: string; name_hex: string; value_hex: string };
  readonly features: GoldenFeature[];
  readonly hset_mapping?: unknown;
}

export interface Golden {
  readonly fixtures: GoldenFixture[];
  readonly redis_state_after_all_writes: Array<{
    redis_key_hex: string;
    fields: Array<{ field_hex: string; value_hex: string }>;
  }>;
  readonly multi_key_sort_check: { unsorted_input_redis_key_hex: string; sorted_input_redis_key_hex: string };
  readonly entity_key_examples: Array<{
    join_keys: string[];
    entity_values: GoldenTypedValue[];
    serialized_entity_key_hex: string;
  }>;
  readonly timestamp_examples: Array<{ seconds: number; nanos: number; value_hex: string }>;
  readonly mmh3_vectors: Array<{ input: string; unsigned: number; feast__mmh3_hex: string }>;
}

export const golden: Golden = JSON.parse(readFileSync(goldenPath(), "utf8")) as Golden;

/** A golden entity value as a typed join-key value. */
export function joinKeyValue(entry: GoldenTypedValue): JoinKeyValue {
  switch (entry.type) {
    case "string_val":
      return { type: "string", value: entry.value as string };
    case "bytes_val":
      return { type: "bytes", value: Buffer.from(entry.value_hex as string, "hex") };
    case "int32_val":
      return { type: "int32", value: entry.value as number };
    case "int64_val":
      return { type: "int64", value: BigInt(entry.value as string) };
    case "unix_timestamp_val":
      return { type: "unix_timestamp", value: BigInt(entry.value as string) };
    default:
      throw new Error(`unexpected join-key type ${entry.type}`);
  }
}

// --- feature values -----------------------------------------------------------------------------

import { create } from "@bufbuild/protobuf";
import {
  BoolListSchema,
  BytesListSchema,
  DoubleListSchema,
  FloatListSchema,
  Int32ListSchema,
  Int64ListSchema,
  MapKeySchema,
  MapListSchema,
  MapSchema,
  Null,
  RepeatedValueSchema,
  ScalarMapEntrySchema,
  ScalarMapSchema,
  StringListSchema,
  type Value,
  ValueSchema,
  ZonedTimestampSchema,
} from "../src/proto/feast/types/value_pb.js";
import { type FeastFeature, feastType } from "../src/values.js";

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

const LISTS: Record<string, { schema: unknown; item: (raw: unknown, float?: unknown) => unknown }> = {
  bytes: { schema: BytesListSchema, item: (raw) => Buffer.from(raw as string, "hex") },
  string: { schema: StringListSchema, item: (raw) => raw },
  int32: { schema: Int32ListSchema, item: (raw) => raw },
  int64: { schema: Int64ListSchema, item: (raw) => BigInt(raw as string) },
  unix_timestamp: { schema: Int64ListSchema, item: (raw) => BigInt(raw as string) },
  double: { schema: DoubleListSchema, item: (raw) => raw },
  float: { schema: FloatListSchema, item: (raw) => raw },
  bool: { schema: BoolListSchema, item: (raw) => raw },
  json: { schema: StringListSchema, item: (raw) => raw },
  uuid: { schema: StringListSchema, item: (raw) => raw },
  time_uuid: { schema: StringListSchema, item: (raw) => raw },
  decimal: { schema: StringListSchema, item: (raw) => raw },
};

/** The golden value as a protobuf-es message, built field by field from its logical description. */
export function goldenMessage(typed: GoldenTypedValue): Value {
  const type = typed.type;
  if (type === null) return create(ValueSchema, {});
  const value = typed.value;
  const val = (valueCase: string, inner: unknown) =>
    create(ValueSchema, { val: { case: camel(valueCase), value: inner } as never });
  const list = /^(.*)_(list|set)_val$/.exec(type);
  if (list && list[1] !== "map" && list[1] !== "struct" && LISTS[list[1] as string]) {
    const spec = LISTS[list[1] as string] as (typeof LISTS)[string];
    const raw = (typed.value_hex ?? value) as unknown[];
    return val(type, create(spec.schema as never, { val: raw.map((item) => spec.item(item)) } as never));
  }
  switch (type) {
    case "bytes_val":
      return val(type, Buffer.from(typed.value_hex as string, "hex"));
    case "int64_val":
    case "unix_timestamp_val":
      return val(type, BigInt(value as string));
    case "null_val":
      return val(type, Null.NULL);
    case "map_val":
    case "struct_val":
      return val(type, goldenMap(value as Record<string, GoldenTypedValue>));
    case "map_list_val":
    case "struct_list_val":
      return val(
        type,
        create(MapListSchema, {
          val: (value as Array<Record<string, GoldenTypedValue>>).map(goldenMap),
        }),
      );
    case "list_val":
    case "set_val":
      return val(
        type,
        create(RepeatedValueSchema, { val: (value as GoldenTypedValue[]).map(goldenMessage) }),
      );
    case "zoned_timestamp_val": {
      const zoned = value as { unix_timestamp: string; zone: string };
      return val(
        type,
        create(ZonedTimestampSchema, { unixTimestamp: BigInt(zoned.unix_timestamp), zone: zoned.zone }),
      );
    }
    case "scalar_map_val": {
      const entries = value as Array<{ key: { type: string; value: unknown }; value: GoldenTypedValue }>;
      return val(
        type,
        create(ScalarMapSchema, {
          val: entries.map((entry) =>
            create(ScalarMapEntrySchema, {
              key: create(MapKeySchema, {
                key: {
                  case: camel(entry.key.type),
                  value: /int64|unix_timestamp/.test(entry.key.type)
                    ? BigInt(entry.key.value as string)
                    : entry.key.value,
                } as never,
              }),
              value: goldenMessage(entry.value),
            }),
          ),
        }),
      );
    }
    default:
      return val(type, value);
  }
}

function goldenMap(entries: Record<string, GoldenTypedValue>) {
  const val: Record<string, Value> = {};
  for (const [name, entry] of Object.entries(entries)) val[name] = goldenMessage(entry);
  return create(MapSchema, { val });
}

/** The declared feature type for a golden value, exact (int64 as strings, bytes as hex), NULL allowed. */
export function goldenFeature(typed: GoldenTypedValue): FeastFeature {
  const exact = { int64: "string" as const, bytes: "hex" as const };
  const type = typed.type;
  const list = type && /^(.*)_(list|set)_val$/.exec(type);
  if (list && LISTS[list[1] as string] && list[1] !== "json") {
    const element = list[1] as Parameters<typeof feastType.list>[0];
    const declared = list[2] === "list" ? feastType.list(element, exact) : feastType.set(element, exact);
    return declared.orNull() as FeastFeature;
  }
  const byType: Record<string, () => FeastFeature> = {
    string_val: () => feastType.string(),
    bytes_val: () => feastType.bytes({ as: "hex" }),
    int32_val: () => feastType.int32(),
    int64_val: () => feastType.int64({ as: "string" }),
    double_val: () => feastType.double(),
    float_val: () => feastType.float(),
    bool_val: () => feastType.bool(),
    unix_timestamp_val: () => feastType.unixTimestamp(),
    json_val: () => feastType.json(),
    json_list_val: () => feastType.jsonList(),
    uuid_val: () => feastType.uuid(),
    time_uuid_val: () => feastType.timeUuid(),
    decimal_val: () => feastType.decimal(),
    zoned_timestamp_val: () => feastType.zonedTimestamp(),
    map_val: () => feastType.map(exact),
    struct_val: () => feastType.struct(exact),
    map_list_val: () => feastType.mapList(exact),
    struct_list_val: () => feastType.structList(exact),
    list_val: () => feastType.valueList(exact),
    set_val: () => feastType.valueSet(exact),
    scalar_map_val: () => feastType.scalarMap(exact),
    // NULL and "nothing set" carry no type; any nullable declaration reads them as null.
    null_val: () => feastType.string(),
  };
  const make = byType[type ?? "null_val"];
  if (make === undefined) throw new Error(`no declared type for golden ${type}`);
  return make().orNull() as FeastFeature;
}

/** The JS value ctxstore must read for a golden value (exact declarations, see goldenFeature). */
export function expectedValue(typed: GoldenTypedValue): unknown {
  const type = typed.type;
  const value = typed.value;
  if (type === null || type === "null_val") return null;
  const list = /^(.*)_(list|set)_val$/.exec(type);
  if (list && LISTS[list[1] as string]) {
    const element = list[1] as string;
    if (element === "bytes") return typed.value_hex;
    if (element === "float") return typed.float32_value ?? value;
    if (element === "unix_timestamp")
      return (value as string[]).map((seconds) => new Date(Number(seconds) * 1000).toISOString());
    if (element === "json") return (value as string[]).map((text) => JSON.parse(text));
    return value;
  }
  switch (type) {
    case "bytes_val":
      return typed.value_hex;
    case "float_val":
      return typed.float32_value ?? value;
    case "unix_timestamp_val":
      return new Date(Number(value) * 1000).toISOString();
    case "json_val":
      return JSON.parse(value as string);
    case "zoned_timestamp_val": {
      const zoned = value as { unix_timestamp: string; zone: string };
      return { time: new Date(Number(zoned.unix_timestamp) * 1000).toISOString(), zone: zoned.zone };
    }
    case "map_val":
    case "struct_val":
      return expectedMap(value as Record<string, GoldenTypedValue>);
    case "map_list_val":
    case "struct_list_val":
      return (value as Array<Record<string, GoldenTypedValue>>).map(expectedMap);
    case "list_val":
    case "set_val":
      return (value as GoldenTypedValue[]).map(expectedNested);
    case "scalar_map_val":
      return (value as Array<{ key: { type: string; value: unknown }; value: GoldenTypedValue }>).map(
        (entry) => ({
          key: entry.key.value,
          value: expectedNested(entry.value),
        }),
      );
    default:
      return value;
  }
}

/** Nested values decode by their own member; nested int64 exact as strings, floats as stored. */
function expectedNested(typed: GoldenTypedValue): unknown {
  if (typed.type === "unix_timestamp_val") return typed.value;
  return expectedValue(typed);
}

function expectedMap(entries: Record<string, GoldenTypedValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(entries).sort())
    out[name] = expectedNested(entries[name] as GoldenTypedValue);
  return out;
}
