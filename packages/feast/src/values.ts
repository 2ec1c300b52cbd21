// Feature types: what a Feast feature holds (its ValueType and the `feast.types.Value` oneof member
// Feast writes for it), the JavaScript value ctxstore gives it, and its zod schema. Decoding is
// strict: a value of another oneof member than the declared one is a type error, never coerced.
import { create, fromBinary } from "@bufbuild/protobuf";
import type { GenMessage } from "@bufbuild/protobuf/codegenv2";
import { CtxError } from "@ctxstore/core";
import { z } from "zod";
import type { Value } from "./proto/feast/types/value_pb.js";
import {
  BoolListSchema,
  BytesListSchema,
  DoubleListSchema,
  FloatListSchema,
  Int32ListSchema,
  Int64ListSchema,
  MapListSchema,
  MapSchema,
  Null,
  RepeatedValueSchema,
  StringListSchema,
  ValueSchema,
  ZonedTimestampSchema,
} from "./proto/feast/types/value_pb.js";

type ValueCase = NonNullable<Value["val"]["case"]>;
type ValueOf<C extends ValueCase> = Extract<Value["val"], { case: C }>["value"];

export type Decoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

/** A declared Feast feature: its Feast type, the oneof member it is stored as, its JS value and schema. */
export interface FeastFeature<T = unknown> {
  readonly kind: "feast-feature";
  /** Feast's ValueType name, e.g. "INT64", "STRING_LIST". */
  readonly valueType: string;
  /** The `feast.types.Value` oneof member Feast writes for this type, e.g. "int64_val". */
  readonly valueField: string;
  readonly schema: z.ZodType<T>;
  /** Whether a NULL (null_val, or a Value with nothing set) reads as `null` for this feature. */
  readonly nullable: boolean;
  /** Same feature, NULL read as `null` (a fact) instead of making the whole row `missing`/`empty`. */
  orNull(): FeastFeature<T | null>;
  /** Converts the decoded oneof; undefined `case` and `nullVal` are handled by the caller. */
  convert(value: Value["val"]): Decoded<T>;
  /** The inverse, for writing rows in Feast's format (`feastRow`); null gives `null_val` when the feature is `.orNull()`. */
  encode(value: T): Value["val"];
}

const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
const fail = (reason: string): Decoded<never> => ({ ok: false, reason });

function snake(valueCase: string): string {
  return valueCase.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** The oneof member as Feast names it ("int64_val"), or "no value" for an unset Value. */
export function valueFieldName(value: Value["val"]): string {
  return value.case === undefined ? "no value" : snake(value.case);
}

function feature<T, C extends ValueCase>(
  valueType: string,
  valueCase: C,
  convert: (value: ValueOf<C>) => Decoded<T>,
  encode: (value: T) => ValueOf<C>,
  schema: z.ZodType<T>,
  nullable = false,
): FeastFeature<T> {
  return {
    kind: "feast-feature",
    valueType,
    valueField: snake(valueCase),
    schema,
    nullable,
    orNull: () =>
      feature<T | null, C>(
        valueType,
        valueCase,
        convert,
        encode as (value: T | null) => ValueOf<C>,
        schema.nullable() as z.ZodType<T | null>,
        true,
      ),
    convert(value) {
      if (value.case !== valueCase) {
        return fail(
          `holds ${valueFieldName(value)}, but the feature is declared ${valueType} (${snake(valueCase)})`,
        );
      }
      return convert(value.value as ValueOf<C>);
    },
    encode(value) {
      if (value === null && nullable) return { case: "nullVal", value: Null.NULL };
      return { case: valueCase, value: encode(value) } as Value["val"];
    },
  };
}

/** What int64 values become: numbers (values beyond ±2^53 are refused as `invalid`) or decimal strings. */
export type Int64As = "number" | "string";
/** What bytes become: base64 (default) or hex text. */
export type BytesAs = "base64" | "hex";

function int64(as: Int64As): (value: bigint) => Decoded<number | string> {
  return (value) => {
    if (as === "string") return ok(value.toString());
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      return fail(
        `int64 ${value} is beyond JavaScript's safe integers (±2^53); declare it feastType.int64({ as: "string" }) (or { int64: "string" } in lists and maps) to read it exactly`,
      );
    }
    return ok(Number(value));
  };
}

function bytes(as: BytesAs): (value: Uint8Array) => Decoded<string> {
  return (value) => ok(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString(as));
}

function seconds(value: bigint): Decoded<string> {
  const ms = Number(value) * 1000;
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > 8.64e15) return fail(`timestamp ${value}s is out of range`);
  return ok(new Date(ms).toISOString());
}

function json(value: string): Decoded<unknown> {
  try {
    return ok(JSON.parse(value) as unknown);
  } catch (error) {
    return fail(`json_val is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function all<In, Out>(items: readonly In[], convert: (item: In) => Decoded<Out>): Decoded<Out[]> {
  const out: Out[] = new Array(items.length);
  for (let index = 0; index < items.length; index++) {
    const converted = convert(items[index] as In);
    if (!converted.ok) return fail(`item ${index}: ${converted.reason}`);
    out[index] = converted.value;
  }
  return ok(out);
}

const same = <T>(value: T): Decoded<T> => ok(value);
const identity = <T>(value: T): T => value;

/** Options of the structured types whose nested values carry their own types (map, struct, lists of values). */
export interface NestedOptions {
  /** How nested int64 and unix timestamps read; default "number". */
  int64?: Int64As;
  bytes?: BytesAs;
}

/** Decodes a nested Value by its own oneof member (the structured types carry no declared element type). */
export function nestedValue(value: Value | undefined, options: NestedOptions = {}): Decoded<unknown> {
  const val = value?.val;
  if (val === undefined || val.case === undefined || val.case === "nullVal") return ok(null);
  const int = int64(options.int64 ?? "number");
  const raw = bytes(options.bytes ?? "base64");
  switch (val.case) {
    case "bytesVal":
      return raw(val.value);
    case "int64Val":
    case "unixTimestampVal":
      return int(val.value);
    case "bytesListVal":
    case "bytesSetVal":
      return all(val.value.val, raw);
    case "int64ListVal":
    case "int64SetVal":
    case "unixTimestampListVal":
    case "unixTimestampSetVal":
      return all(val.value.val, int);
    case "stringListVal":
    case "int32ListVal":
    case "doubleListVal":
    case "floatListVal":
    case "boolListVal":
    case "stringSetVal":
    case "int32SetVal":
    case "doubleSetVal":
    case "floatSetVal":
    case "boolSetVal":
    case "uuidListVal":
    case "timeUuidListVal":
    case "uuidSetVal":
    case "timeUuidSetVal":
    case "decimalListVal":
    case "decimalSetVal":
      return ok([...val.value.val]);
    case "jsonVal":
      return json(val.value);
    case "jsonListVal":
      return all(val.value.val, json);
    case "mapVal":
    case "structVal":
      return record(val.value.val, options);
    case "mapListVal":
    case "structListVal":
      return all(val.value.val, (map) => record(map.val, options));
    case "listVal":
    case "setVal":
      return all(val.value.val, (item) => nestedValue(item, options));
    case "scalarMapVal":
      return all(val.value.val, (entry) => scalarMapEntry(entry, options));
    case "zonedTimestampVal":
      return zoned(val.value);
    default:
      // string, int32, double, float, bool, uuid, time uuid, decimal: already plain JS values.
      return ok(val.value);
  }
}

function record(entries: { [key: string]: Value }, options: NestedOptions): Decoded<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(entries).sort()) {
    const converted = nestedValue(entries[name], options);
    if (!converted.ok) return fail(`key ${JSON.stringify(name)}: ${converted.reason}`);
    Object.defineProperty(out, name, { value: converted.value, enumerable: true, writable: true });
  }
  return ok(out);
}

function scalarMapEntry(
  entry: {
    key?: { key: { case: string | undefined; value?: unknown } } | undefined;
    value?: Value | undefined;
  },
  options: NestedOptions,
): Decoded<{ key: unknown; value: unknown }> {
  const key = entry.key?.key;
  let converted: Decoded<unknown>;
  if (key === undefined || key.case === undefined) converted = ok(null);
  else if (typeof key.value === "bigint") converted = int64(options.int64 ?? "number")(key.value);
  else if (key.value instanceof Uint8Array) converted = bytes(options.bytes ?? "base64")(key.value);
  else converted = ok(key.value);
  if (!converted.ok) return fail(`key: ${converted.reason}`);
  const value = nestedValue(entry.value, options);
  if (!value.ok) return fail(`value: ${value.reason}`);
  return ok({ key: converted.value, value: value.value });
}

function zoned(value: { unixTimestamp: bigint; zone: string }): Decoded<{ time: string; zone: string }> {
  const time = seconds(value.unixTimestamp);
  return time.ok ? ok({ time: time.value, zone: value.zone === "" ? "UTC" : value.zone }) : time;
}

const NESTED = z.unknown();
const RECORD = z.record(z.string(), z.unknown());

type ListElement =
  | "bytes"
  | "string"
  | "int32"
  | "int64"
  | "double"
  | "float"
  | "bool"
  | "unix_timestamp"
  | "uuid"
  | "time_uuid"
  | "decimal";

/**
 * Declares a feature's Feast type. Each returns a `FeastFeature` whose value is checked against the
 * oneof member Feast writes for that type, converted to JS and validated by its zod schema
 * (override `schema` to narrow it, e.g. `feastType.double({ schema: z.number().min(0) })`).
 */
export const feastType = {
  /** STRING, read as text. */
  string: (options: { schema?: z.ZodType<string> } = {}) =>
    feature("STRING", "stringVal", same<string>, identity, options.schema ?? z.string()),
  /** Bytes, read as base64 (default) or hex text. */
  bytes: (options: { as?: BytesAs; schema?: z.ZodType<string> } = {}) =>
    feature(
      "BYTES",
      "bytesVal",
      bytes(options.as ?? "base64"),
      unbytes(options.as ?? "base64"),
      options.schema ?? z.string(),
    ),
  /** INT32, read as an integer. */
  int32: (options: { schema?: z.ZodType<number> } = {}) =>
    feature("INT32", "int32Val", same<number>, identity, options.schema ?? z.number().int()),
  /** int64 as a number (default; beyond ±2^53 reads `invalid`) or, with `{ as: "string" }`, exact decimal text. */
  int64<As extends Int64As = "number">(
    options: { as?: As; schema?: z.ZodType<As extends "string" ? string : number> } = {},
  ): FeastFeature<As extends "string" ? string : number> {
    const as = options.as ?? "number";
    const schema = options.schema ?? (as === "string" ? z.string().regex(/^-?\d+$/) : z.number().int());
    return feature(
      "INT64",
      "int64Val",
      int64(as),
      toBigInt,
      schema as z.ZodType<number | string>,
    ) as FeastFeature<As extends "string" ? string : number>;
  },
  /** DOUBLE, read as a number. */
  double: (options: { schema?: z.ZodType<number> } = {}) =>
    feature("DOUBLE", "doubleVal", same<number>, identity, options.schema ?? z.number()),
  /** float32 values read as the exact double of the stored float (3.14 reads 3.140000104904175). */
  float: (options: { schema?: z.ZodType<number> } = {}) =>
    feature("FLOAT", "floatVal", same<number>, identity, options.schema ?? z.number()),
  /** BOOL, read as a boolean. */
  bool: (options: { schema?: z.ZodType<boolean> } = {}) =>
    feature("BOOL", "boolVal", same<boolean>, identity, options.schema ?? z.boolean()),
  /** Epoch seconds, read as ISO 8601 UTC text ("2024-06-01T12:34:56.000Z"): values stay JSON data. */
  unixTimestamp: (options: { schema?: z.ZodType<string> } = {}) =>
    feature("UNIX_TIMESTAMP", "unixTimestampVal", seconds, toSeconds, options.schema ?? z.string()),
  /** JSON text, read parsed. */
  json: (options: { schema?: z.ZodType<unknown> } = {}) =>
    feature("JSON", "jsonVal", json, toJson, options.schema ?? z.unknown()),
  /** UUID, read as its text form. */
  uuid: (options: { schema?: z.ZodType<string> } = {}) =>
    feature("UUID", "uuidVal", same<string>, identity, options.schema ?? z.string()),
  /** TIME_UUID, read as its text form. */
  timeUuid: (options: { schema?: z.ZodType<string> } = {}) =>
    feature("TIME_UUID", "timeUuidVal", same<string>, identity, options.schema ?? z.string()),
  /** Decimal text, kept as a string so no digit is lost. */
  decimal: (options: { schema?: z.ZodType<string> } = {}) =>
    feature("DECIMAL", "decimalVal", same<string>, identity, options.schema ?? z.string()),
  /** `{ time: ISO 8601 UTC text, zone }` (an empty zone reads "UTC", as Feast reads it). */
  zonedTimestamp: (options: { schema?: z.ZodType<{ time: string; zone: string }> } = {}) =>
    feature(
      "ZONED_TIMESTAMP",
      "zonedTimestampVal",
      zoned,
      (value: { time: string; zone: string }) =>
        create(ZonedTimestampSchema, { unixTimestamp: toSeconds(value.time), zone: value.zone }),
      options.schema ?? z.object({ time: z.string(), zone: z.string() }),
    ),
  /** `<ELEMENT>_LIST`: Feast's `<element>_list_val`. */
  list: (element: ListElement, options: NestedOptions & { schema?: z.ZodType<unknown[]> } = {}) =>
    collection("LIST", element, options),
  /** `<ELEMENT>_SET`: Feast's `<element>_set_val`, read as an array in stored order. */
  set: (element: ListElement, options: NestedOptions & { schema?: z.ZodType<unknown[]> } = {}) =>
    collection("SET", element, options),
  /** JSON_LIST: every item parsed. */
  jsonList: (options: { schema?: z.ZodType<unknown[]> } = {}) =>
    feature(
      "JSON_LIST",
      "jsonListVal",
      (value) => all(value.val, json),
      (items: unknown[]) => create(StringListSchema, { val: items.map(toJson) }),
      options.schema ?? z.array(NESTED),
    ),
  /** MAP (string keys), nested values by their own types. */
  map: (options: NestedOptions & { schema?: z.ZodType<Record<string, unknown>> } = {}) =>
    feature("MAP", "mapVal", (value) => record(value.val, options), toMap, options.schema ?? RECORD),
  /** MAP_LIST: an array of string-keyed maps, nested values by their own types. */
  mapList: (options: NestedOptions & { schema?: z.ZodType<Array<Record<string, unknown>>> } = {}) =>
    feature(
      "MAP_LIST",
      "mapListVal",
      (value) => all(value.val, (map) => record(map.val, options)),
      (items: Array<Record<string, unknown>>) => create(MapListSchema, { val: items.map(toMap) }),
      options.schema ?? z.array(RECORD),
    ),
  /** STRUCT: an object of named fields, nested values by their own types. */
  struct: (options: NestedOptions & { schema?: z.ZodType<Record<string, unknown>> } = {}) =>
    feature("STRUCT", "structVal", (value) => record(value.val, options), toMap, options.schema ?? RECORD),
  /** STRUCT_LIST: an array of structs. */
  structList: (options: NestedOptions & { schema?: z.ZodType<Array<Record<string, unknown>>> } = {}) =>
    feature(
      "STRUCT_LIST",
      "structListVal",
      (value) => all(value.val, (map) => record(map.val, options)),
      (items: Array<Record<string, unknown>>) => create(MapListSchema, { val: items.map(toMap) }),
      options.schema ?? z.array(RECORD),
    ),
  /** VALUE_LIST: items of mixed types, each by its own oneof member. */
  valueList: (options: NestedOptions & { schema?: z.ZodType<unknown[]> } = {}) =>
    feature(
      "VALUE_LIST",
      "listVal",
      (value) => all(value.val, (item) => nestedValue(item, options)),
      (items: unknown[]) => create(RepeatedValueSchema, { val: items.map(toNestedValue) }),
      options.schema ?? z.array(NESTED),
    ),
  /** VALUE_SET: items of mixed types, each by its own oneof member, as an array in stored order. */
  valueSet: (options: NestedOptions & { schema?: z.ZodType<unknown[]> } = {}) =>
    feature(
      "VALUE_SET",
      "setVal",
      (value) => all(value.val, (item) => nestedValue(item, options)),
      (items: unknown[]) => create(RepeatedValueSchema, { val: items.map(toNestedValue) }),
      options.schema ?? z.array(NESTED),
    ),
  /** SCALAR_MAP (non-string keys): `[{ key, value }]` in stored order. Read-only (no test writer). */
  scalarMap: (
    options: NestedOptions & { schema?: z.ZodType<Array<{ key: unknown; value: unknown }>> } = {},
  ) =>
    feature(
      "SCALAR_MAP",
      "scalarMapVal",
      (value) => all(value.val, (entry) => scalarMapEntry(entry as never, options)),
      (): never => {
        throw new CtxError(
          "CTX_INVALID_VALUE",
          "feastType.scalarMap() values cannot be written by feastRow(): their key types are not declared.",
          {},
        );
      },
      options.schema ?? z.array(z.object({ key: z.unknown(), value: z.unknown() })),
    ),
} as const;

function toBigInt(value: number | string): bigint {
  return BigInt(value);
}

function toSeconds(value: string | Date): bigint {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new CtxError("CTX_INVALID_VALUE", `${JSON.stringify(value)} is not an ISO 8601 time.`, {});
  }
  return BigInt(Math.floor(ms / 1000));
}

function toJson(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

function unbytes(as: BytesAs): (value: string) => Uint8Array {
  return (value) => new Uint8Array(Buffer.from(value, as));
}

/** A JS value as a nested Value by its JS type (test rows only): integers as int64, other numbers as double. */
function toNestedValue(value: unknown): Value {
  if (value === null || value === undefined)
    return create(ValueSchema, { val: { case: "nullVal", value: Null.NULL } });
  if (typeof value === "string") return create(ValueSchema, { val: { case: "stringVal", value } });
  if (typeof value === "boolean") return create(ValueSchema, { val: { case: "boolVal", value } });
  if (typeof value === "number") {
    return create(ValueSchema, {
      val: Number.isSafeInteger(value)
        ? { case: "int64Val", value: BigInt(value) }
        : { case: "doubleVal", value },
    });
  }
  if (value instanceof Date)
    return create(ValueSchema, { val: { case: "unixTimestampVal", value: toSeconds(value) } });
  if (Array.isArray(value)) {
    return create(ValueSchema, {
      val: { case: "listVal", value: create(RepeatedValueSchema, { val: value.map(toNestedValue) }) },
    });
  }
  return create(ValueSchema, { val: { case: "mapVal", value: toMap(value as Record<string, unknown>) } });
}

function toMap(value: Record<string, unknown>) {
  const val: { [key: string]: Value } = {};
  for (const [name, item] of Object.entries(value)) val[name] = toNestedValue(item);
  return create(MapSchema, { val });
}

// biome-ignore lint/suspicious/noExplicitAny: one table over seven list message types
type AnyListSchema = GenMessage<any>;

const ELEMENT: Record<
  ListElement,
  { name: string; prefix: string; schema: z.ZodType<unknown>; list: AnyListSchema }
> = {
  bytes: { name: "BYTES", prefix: "bytes", schema: z.string(), list: BytesListSchema },
  string: { name: "STRING", prefix: "string", schema: z.string(), list: StringListSchema },
  int32: { name: "INT32", prefix: "int32", schema: z.number().int(), list: Int32ListSchema },
  int64: {
    name: "INT64",
    prefix: "int64",
    schema: z.union([z.number().int(), z.string()]),
    list: Int64ListSchema,
  },
  double: { name: "DOUBLE", prefix: "double", schema: z.number(), list: DoubleListSchema },
  float: { name: "FLOAT", prefix: "float", schema: z.number(), list: FloatListSchema },
  bool: { name: "BOOL", prefix: "bool", schema: z.boolean(), list: BoolListSchema },
  unix_timestamp: {
    name: "UNIX_TIMESTAMP",
    prefix: "unixTimestamp",
    schema: z.string(),
    list: Int64ListSchema,
  },
  uuid: { name: "UUID", prefix: "uuid", schema: z.string(), list: StringListSchema },
  time_uuid: { name: "TIME_UUID", prefix: "timeUuid", schema: z.string(), list: StringListSchema },
  decimal: { name: "DECIMAL", prefix: "decimal", schema: z.string(), list: StringListSchema },
};

function collection(
  kind: "LIST" | "SET",
  element: ListElement,
  options: NestedOptions & { schema?: z.ZodType<unknown[]> },
): FeastFeature<unknown[]> {
  const spec = ELEMENT[element];
  if (spec === undefined) {
    throw new CtxError(
      "CTX_INVALID_DEFINITION",
      `feastType.${kind.toLowerCase()}(): unknown element type ${JSON.stringify(element)}; use one of ${Object.keys(ELEMENT).join(", ")}.`,
      {},
    );
  }
  const valueCase = `${spec.prefix}${kind === "LIST" ? "List" : "Set"}Val` as ValueCase;
  const bytesAs = options.bytes ?? "base64";
  const convertItem: (item: never) => Decoded<unknown> =
    element === "bytes"
      ? (bytes(bytesAs) as never)
      : element === "int64"
        ? (int64(options.int64 ?? "number") as never)
        : element === "unix_timestamp"
          ? (seconds as never)
          : (same as never);
  const encodeItem: (item: never) => unknown =
    element === "bytes"
      ? (unbytes(bytesAs) as never)
      : element === "int64"
        ? (toBigInt as never)
        : element === "unix_timestamp"
          ? (toSeconds as never)
          : (identity as never);
  return feature(
    `${spec.name}_${kind}`,
    valueCase,
    (value) => all((value as unknown as { val: never[] }).val, convertItem),
    (items: unknown[]) =>
      create(spec.list, { val: items.map((item) => encodeItem(item as never)) } as never) as never,
    options.schema ?? z.array(spec.schema),
  );
}

/** Decodes a `feast.types.Value` from its bytes; a truncated or foreign blob is a reason, not a throw. */
export function decodeValue(bytes: Uint8Array): Decoded<Value> {
  try {
    return ok(fromBinary(ValueSchema, bytes));
  } catch (error) {
    return fail(
      `does not decode as a feast.types.Value (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}
