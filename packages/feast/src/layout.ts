// Where Feast's Redis online store keeps a feature view's values, byte for byte (Feast's
// key_encoding_utils.py and online_stores/redis.py, entity_key_serialization_version 3):
//
//   key    serialize_entity_key(join keys, values) ++ utf8(project)          (no separator, no hash tag)
//   field  _ts:<feature_view>                      -> google.protobuf.Timestamp bytes
//   field  u32le(murmur3_x86_32("<feature_view>:<feature>", seed 0)) -> feast.types.Value bytes
//
// The serialized entity key: u32le(count), then every join key as u32le(2 = STRING), u32le(length),
// utf8(name); then every value as u32le(ValueType), u32le(length), payload. With two or more join
// keys the (key, value) pairs are sorted by join-key name in code-point order.
import murmurhash from "murmurhash";

/** Join-key types Feast can serialize into an entity key (other types are rejected by Feast too). */
export type JoinKeyType = "string" | "bytes" | "int32" | "int64" | "unix_timestamp";

/** A join key's value, already converted to its Feast type. */
export type JoinKeyValue =
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "bytes"; readonly value: Uint8Array }
  | { readonly type: "int32"; readonly value: number }
  | { readonly type: "int64" | "unix_timestamp"; readonly value: bigint };

const VALUE_TYPE_NUMBER: Readonly<Record<JoinKeyType, number>> = {
  bytes: 1,
  string: 2,
  int32: 3,
  int64: 4,
  unix_timestamp: 8,
};

const STRING_TYPE = 2;

/** Code-point order (what Python's sorted() uses), not JS's UTF-16 order. */
export function compareCodePoints(a: string, b: string): number {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return Buffer.compare(left, right);
}

function u32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32LE(value, 0);
  return out;
}

function payload(value: JoinKeyValue): Buffer {
  switch (value.type) {
    case "string":
      return Buffer.from(value.value, "utf8");
    case "bytes":
      return Buffer.from(value.value);
    case "int32": {
      const out = Buffer.allocUnsafe(4);
      out.writeInt32LE(value.value, 0);
      return out;
    }
    case "int64":
    case "unix_timestamp": {
      const out = Buffer.allocUnsafe(8);
      out.writeBigInt64LE(value.value, 0);
      return out;
    }
  }
}

/** Feast's `serialize_entity_key` (version 3). */
export function serializeEntityKey(joinKeys: ReadonlyArray<readonly [string, JoinKeyValue]>): Buffer {
  const pairs =
    joinKeys.length > 1 ? [...joinKeys].sort(([a], [b]) => compareCodePoints(a, b)) : [...joinKeys];
  const parts: Buffer[] = [u32(pairs.length)];
  for (const [name] of pairs) {
    const bytes = Buffer.from(name, "utf8");
    parts.push(u32(STRING_TYPE), u32(bytes.length), bytes);
  }
  for (const [, value] of pairs) {
    const bytes = payload(value);
    parts.push(u32(VALUE_TYPE_NUMBER[value.type]), u32(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

/**
 * The key Feast's removed version 2 wrote (no key count, no key lengths), used only to recognise
 * hashes a deployment still holds in the old layout and say so instead of reading them as missing.
 */
export function serializeEntityKeyV2(joinKeys: ReadonlyArray<readonly [string, JoinKeyValue]>): Buffer {
  const pairs =
    joinKeys.length > 1 ? [...joinKeys].sort(([a], [b]) => compareCodePoints(a, b)) : [...joinKeys];
  const parts: Buffer[] = [];
  for (const [name] of pairs) parts.push(u32(STRING_TYPE), Buffer.from(name, "utf8"));
  for (const [, value] of pairs) {
    const bytes = payload(value);
    parts.push(u32(VALUE_TYPE_NUMBER[value.type]), u32(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

/** The Redis key of one entity's hash in one Feast project. */
export function feastRedisKey(serializedEntityKey: Uint8Array, project: string): Buffer {
  return Buffer.concat([serializedEntityKey, Buffer.from(project, "utf8")]);
}

/** The hash field of one feature: the little-endian unsigned MurmurHash3 x86_32 (seed 0) of `<view>:<feature>`. */
export function featureField(featureView: string, feature: string): Buffer {
  return murmur3Field(`${featureView}:${feature}`);
}

/** u32le(MurmurHash3 x86_32 of the UTF-8 bytes, seed 0): Feast's `_mmh3`. */
export function murmur3Field(text: string): Buffer {
  return u32(murmurhash.v3(Buffer.from(text, "utf8"), 0));
}

/** The hash field holding the feature view's event timestamp (plain text, not hashed). */
export function timestampField(featureView: string): Buffer {
  return Buffer.from(`_ts:${featureView}`, "utf8");
}

/** The name Feast uses for a view in fields: `<view>_v<N>` when online versioning is on and N > 0. */
export function versionedViewName(featureView: string, version: number | undefined): string {
  return version !== undefined && version > 0 ? `${featureView}_v${version}` : featureView;
}
