// Feature values against Feast's own bytes: every golden value decodes to its recorded logical
// value, messages built from the logical values serialize to the same bytes (maps compared decoded,
// their entry order is not fixed), and decoding is strict about types and damage.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { expectedValue, golden, goldenFeature, goldenMessage } from "../test/golden.js";
import { ValueSchema } from "./proto/feast/types/value_pb.js";
import { decodeValue, feastType } from "./values.js";

const features = golden.fixtures.flatMap((fixture) =>
  fixture.features.map((feature) => ({ id: `${fixture.id} ${feature.feature}`, ...feature })),
);

describe("feature values (golden bytes)", () => {
  it.each(features)("$id decodes to its logical value", ({ typed_value, value_hex }) => {
    const decoded = decodeValue(Buffer.from(value_hex, "hex"));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const val = decoded.value.val;
    const declared = goldenFeature(typed_value);
    const expected = expectedValue(typed_value);
    if (val.case === undefined || val.case === "nullVal") {
      expect(expected).toBeNull();
      expect(declared.nullable).toBe(true);
      return;
    }
    const converted = declared.convert(val);
    expect(converted).toEqual({ ok: true, value: expected });
    if (converted.ok && typeof expected === "number") expect(Object.is(converted.value, expected)).toBe(true);
    expect(declared.schema.safeParse(converted.ok ? converted.value : undefined).success).toBe(true);
  });

  it.each(features)(
    "$id: the message built from the logical value has Feast's bytes",
    ({ typed_value, value_hex }) => {
      const bytes = Buffer.from(toBinary(ValueSchema, goldenMessage(typed_value))).toString("hex");
      if (/map|struct/.test(typed_value.type ?? "")) {
        // Map entries have no fixed order on the wire: compare decoded.
        expect(fromBinary(ValueSchema, Buffer.from(bytes, "hex"))).toEqual(
          fromBinary(ValueSchema, Buffer.from(value_hex, "hex")),
        );
      } else {
        expect(bytes).toBe(value_hex);
      }
    },
  );

  it("a declared type's own encoder writes Feast's bytes (scalars and lists)", () => {
    const cases: Array<
      [ReturnType<typeof feastType.int32> | { encode(v: never): unknown }, unknown, string]
    > = [
      [feastType.int32(), 34, "1822"],
      [feastType.int32(), -1, "18ffffffffffffffffff01"],
      [feastType.int64({ as: "string" }), "9223372036854775807", "20ffffffffffffffff7f"],
      [feastType.int64(), 0, "2000"],
      [feastType.double(), -0, "290000000000000080"],
      [feastType.float(), 0.75, "350000403f"],
      [feastType.bool(), false, "3800"],
      [feastType.string(), "", "1200"],
      [feastType.bytes({ as: "hex" }), "89504e470d0a1a0a00ff", "0a0a89504e470d0a1a0a00ff"],
      [feastType.unixTimestamp(), "2024-06-01T12:34:56.000Z", "40f0aaecb206"],
      [feastType.list("string"), ["vip", "früh"], "620c0a037669700a056672c3bc68"],
      [
        feastType.list("int64", { int64: "string" }),
        ["1", "-2", "9007199254740993"],
        "72150a1301feffffffffffffffff018180808080808010",
      ],
      [feastType.list("string"), [], "6200"],
      [feastType.set("int64"), [5, -5], "ca010d0a0b05fbffffffffffffffff01"],
      [feastType.string().orNull(), null, "980100"],
      [feastType.decimal(), "12.3400", "e2020731322e33343030"],
    ];
    for (const [declared, value, hex] of cases) {
      const val = (declared as { encode(v: unknown): never }).encode(value);
      expect(Buffer.from(toBinary(ValueSchema, create(ValueSchema, { val }))).toString("hex")).toBe(hex);
    }
  });
});

describe("strict decoding", () => {
  it("refuses another oneof member than the declared one, naming both", () => {
    const decoded = decodeValue(Buffer.from("1204676f6c64", "hex")); // string_val "gold"
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(feastType.double().convert(decoded.value.val)).toEqual({
      ok: false,
      reason: "holds string_val, but the feature is declared DOUBLE (double_val)",
    });
    // A list is not its set, nor the other way round.
    const list = decodeValue(Buffer.from("620c0a037669700a056672c3bc68", "hex"));
    if (list.ok) expect(feastType.set("string").convert(list.value.val).ok).toBe(false);
  });

  it("turns a truncated or foreign blob into a reason, never a throw", () => {
    expect(decodeValue(Buffer.from("620c0a0376", "hex")).ok).toBe(false); // truncated string_list_val
    expect(decodeValue(Buffer.from("ff", "hex")).ok).toBe(false);
    expect(decodeValue(Buffer.from('{"json":true}')).ok).toBe(false);
  });

  it("refuses int64 values beyond 2^53 as numbers and keeps them exact as strings", () => {
    const decoded = decodeValue(Buffer.from("20ffffffffffffffff7f", "hex"));
    if (!decoded.ok) throw new Error("fixture did not decode");
    const asNumber = feastType.int64().convert(decoded.value.val);
    expect(asNumber.ok).toBe(false);
    expect(asNumber.ok ? "" : asNumber.reason).toMatch(/\{ int64: "string" \}|as: "string"|int64: "string"/);
    expect(feastType.int64({ as: "string" }).convert(decoded.value.val)).toEqual({
      ok: true,
      value: "9223372036854775807",
    });
  });

  it("reports JSON that does not parse", () => {
    const val = feastType.json().encode("x" as never);
    const broken = { case: "jsonVal", value: "{not json" } as typeof val;
    const converted = feastType.json().convert(broken);
    expect(converted.ok).toBe(false);
  });
});
