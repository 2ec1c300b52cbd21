// The write path's input checks: value size against maxValueBytes (in UTF-8 bytes, not characters),
// empty() reasons, and the JSON-data check naming the exact path of what cannot be stored.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { canonicalize } from "../definitions/entity.js";
import { batch, createContextStore, defineEntity, empty, memoryStore } from "../index.js";
import { jsonDataProblem, sourceField } from "../store-kit.js";
import { jsonBytesBound } from "../stores/json-data.js";

const user = defineEntity("user", { key: z.object({ userId: z.string() }) });
const note = batch("note", {
  entity: user,
  schema: z.object({ text: z.string() }),
  maxAge: "1d",
  section: "Note",
  render: (value) => value.text,
});
const loose = batch("loose", {
  entity: user,
  schema: z.any(),
  maxAge: "1d",
  section: "Loose",
  render: (value) => JSON.stringify(value),
});

async function contextStore(maxValueBytes: number) {
  const ctx = createContextStore({ sources: [note, loose], online: memoryStore(), maxValueBytes });
  await ctx.ready();
  return ctx;
}

describe("maxValueBytes", () => {
  // {"text":"..."} is 11 bytes of JSON around the text.
  it("accepts a value exactly at the limit and rejects one byte over it", async () => {
    const ctx = await contextStore(100);
    expect(() => ctx.toValueWrite(note, { userId: "u1" }, { text: "a".repeat(89) })).not.toThrow();
    expect(() => ctx.toValueWrite(note, { userId: "u1" }, { text: "a".repeat(90) })).toThrowError(
      expect.objectContaining({
        code: "CTX_VALUE_TOO_LARGE",
        details: expect.objectContaining({ size: 101 }),
      }),
    );
  });

  it("counts UTF-8 bytes: 40 characters of 3-byte text are 120 bytes, over a 100-byte limit", async () => {
    const ctx = await contextStore(100);
    const text = "€".repeat(40);
    expect(() => ctx.toValueWrite(note, { userId: "u1" }, { text })).toThrowError(
      expect.objectContaining({
        code: "CTX_VALUE_TOO_LARGE",
        details: expect.objectContaining({ size: 131 }),
      }),
    );
    await expect(ctx.write(note, { userId: "u1" }, { text })).rejects.toMatchObject({
      code: "CTX_VALUE_TOO_LARGE",
    });
    expect(
      (
        await ctx.online.read({
          records: [{ entity: "user", key: "userId=u1", field: "note@1", kind: "value" }],
        })
      ).records[0],
    ).toEqual({
      kind: "value",
      envelope: undefined,
    });
  });

  it("accepts multi-byte text whose characters would exceed the limit only at 3 bytes each", async () => {
    const ctx = await contextStore(100);
    // 29 x "é" (2 bytes) = 58 bytes + 11 = 69 bytes, although 40 UTF-16 units x 3 > 100.
    expect(() => ctx.toValueWrite(note, { userId: "u1" }, { text: "é".repeat(29) })).not.toThrow();
  });
});

describe("the size bound that spares building the JSON text", () => {
  const utf8Size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
  // Strings heavy in what JSON escapes (control characters, quotes, lone surrogates) and in
  // multi-byte characters, the cases where the bound is tightest.
  const nasty = fc.oneof(
    fc.string({
      unit: fc.constantFrom("\u0000", "\u001f", '"', "\\", "\ud800", "€", "😀", "a"),
      maxLength: 30,
    }),
    fc.string({ unit: "binary", maxLength: 30 }),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small" },
      nasty,
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("node"), { maxLength: 5 }),
      fc.dictionary(nasty, tie("node"), { maxKeys: 5 }),
    ),
  })).node;

  it("property: never below the UTF-8 size of the JSON text", () => {
    fc.assert(
      fc.property(value, (data) => {
        expect(jsonBytesBound(data, Number.POSITIVE_INFINITY)).toBeGreaterThanOrEqual(utf8Size(data));
      }),
      { numRuns: 3_000 },
    );
  });

  it("property: a write is refused exactly when its JSON is over the limit", async () => {
    const ctx = await contextStore(120);
    fc.assert(
      fc.property(value, (data) => {
        const size = utf8Size(data);
        const write = () => ctx.toValueWrite(loose, { userId: "u1" }, data);
        if (size > 120) {
          expect(write).toThrowError(
            expect.objectContaining({
              code: "CTX_VALUE_TOO_LARGE",
              details: expect.objectContaining({ size }),
            }),
          );
        } else {
          expect(write).not.toThrow();
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("source fields", () => {
  it("are name@version, follow a changed version, and address the write", async () => {
    const ctx = await contextStore(1_000);
    expect(sourceField(note)).toBe("note@1");
    expect(ctx.toValueWrite(note, { userId: "u1" }, { text: "a" }).field).toBe("note@1");
    const draft = { name: "draft", version: 1 };
    expect(sourceField(draft)).toBe("draft@1");
    draft.version = 2;
    expect(sourceField(draft)).toBe("draft@2");
    expect(sourceField({ name: "draft", version: 2 })).toBe("draft@2");
  });
});

describe("empty() reasons", () => {
  it("rejects a reason that is not a string instead of storing it", async () => {
    const ctx = await contextStore(1_000);
    const reason = 42 as unknown as string;
    expect(() => ctx.toValueWrite(note, { userId: "u1" }, empty(reason))).toThrowError(
      expect.objectContaining({
        code: "CTX_INVALID_VALUE",
        message: expect.stringContaining("number reason"),
      }),
    );
    expect(ctx.toValueWrite(note, { userId: "u1" }, empty("new user")).envelope).toMatchObject({
      empty: true,
      emptyReason: "new user",
      value: null,
    });
  });
});

describe("JSON data paths", () => {
  it("names the exact path of the first thing JSON cannot keep", () => {
    expect(jsonDataProblem({ a: [1, { b: new Date(0) }] }, "value")).toBe(
      "value.a[1].b is a Date instance (convert it to plain JSON data first, e.g. a Date to epoch ms)",
    );
    expect(jsonDataProblem({ list: [1, undefined] }, "value")).toBe(
      "value.list[1] is undefined (use null in arrays)",
    );
    expect(jsonDataProblem({ deep: { n: Number.NaN } }, "envelope")).toBe(
      "envelope.deep.n is NaN (not representable in JSON; use null or a finite number)",
    );
    expect(jsonDataProblem([{ f: () => 1 }], "value")).toBe(
      "value[0].f is a function (only JSON data can be stored)",
    );
    const looped: Record<string, unknown> = { name: "x" };
    looped.self = { again: looped };
    expect(jsonDataProblem(looped, "value")).toBe("value.self.again is a circular reference");
  });

  it("walks values deeper than the fast walk's depth exactly (path and cycles included)", () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let level = 0; level < 100; level++) deep = { d: deep };
    expect(jsonDataProblem(deep, "value")).toBeUndefined();
    let bad: unknown = [Number.POSITIVE_INFINITY];
    for (let level = 0; level < 100; level++) bad = { d: bad };
    expect(jsonDataProblem(bad, "value")).toBe(
      `value${".d".repeat(100)}[0] is Infinity (not representable in JSON; use null or a finite number)`,
    );
    const ring: Record<string, unknown> = {};
    let cursor = ring;
    for (let level = 0; level < 80; level++) {
      const next: Record<string, unknown> = {};
      cursor.n = next;
      cursor = next;
    }
    cursor.back = ring;
    expect(jsonDataProblem(ring, "value")).toBe(`value${".n".repeat(80)}.back is a circular reference`);
  });

  it("passes JSON data, skips undefined object fields, and allows shared (non-circular) references", () => {
    const shared = { n: 1 };
    expect(
      jsonDataProblem({ a: shared, b: shared, c: undefined, d: [null, "x", true] }, "value"),
    ).toBeUndefined();
  });

  it("rejects such a value at write time with the path, writing nothing", async () => {
    const ctx = await contextStore(10_000);
    expect(() => ctx.toValueWrite(loose, { userId: "u1" }, { when: new Map() })).toThrowError(
      expect.objectContaining({
        code: "CTX_INVALID_VALUE",
        message: expect.stringContaining("value.when is a Map instance"),
      }),
    );
  });
});

describe("canonical entity keys", () => {
  it("sorts fields, skips undefined ones, percent-encodes, and falls back to stable JSON for nested keys", () => {
    expect(canonicalize({ userId: "u1" })).toBe("userId=u1");
    expect(canonicalize({ tenant: "acme", b: 2, a: true, skip: undefined })).toBe("a=true&b=2&tenant=acme");
    expect(canonicalize({ "a&b": "x=y z" })).toBe("a%26b=x%3Dy%20z");
    expect(canonicalize({ id: { z: 1, a: [2] } })).toBe('{"id":{"a":[2],"z":1}}');
    expect(canonicalize("plain key")).toBe("plain%20key");
    expect(canonicalize({})).toBe("");
  });
});

describe("the write path's token counts", () => {
  it("are the tokenizer's exact counts of each line (with its newline), cache or no cache", async () => {
    const ctx = await contextStore(10_000);
    const { envelope } = ctx.toValueWrite(note, { userId: "u1" }, { text: "Prefers email.\nShips to Lyon." });
    expect(envelope.rendered?.lines).toEqual(["Prefers email.", "Ships to Lyon."]);
    expect(envelope.rendered?.tokens.o200k_base).toEqual([
      ctx.tokenizer.count("Prefers email.\n"),
      ctx.tokenizer.count("Ships to Lyon.\n"),
    ]);
  });
});
