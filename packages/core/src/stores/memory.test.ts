// memoryStore: the OnlineStore contract suite, plus what is particular to the embedded store:
// frozen envelopes, JSON-only values, window trimming, close, and lazy TTL expiry on a fixed clock.
import { describe, expect, it } from "vitest";
import type { Envelope } from "../envelope.js";
import { testOnlineStore } from "../testing/online-store-contract/index.js";
import { memoryStore } from "./memory.js";
import type { ReadResult, RecordAddress } from "./types.js";

const profile: RecordAddress = { entity: "user", key: "userId=u1", field: "profile@1" };
const recent: RecordAddress = { entity: "session", key: "sessionId=s1", field: "recent@1" };

function envelopeAt(eventTime: number, fields: Partial<Envelope> = {}): Envelope {
  return { value: { at: eventTime }, eventTime, writeTime: eventTime, schemaVersion: 1, ...fields };
}

function storedEnvelope(result: ReadResult | undefined): Envelope {
  if (result?.kind !== "value" || result.envelope === undefined)
    throw new Error(`expected a stored value, got ${JSON.stringify(result)}`);
  return result.envelope;
}

function storedEvents(result: ReadResult | undefined): readonly Envelope[] {
  if (result?.kind !== "window") throw new Error(`expected a window, got ${JSON.stringify(result)}`);
  return result.events;
}

testOnlineStore({
  name: "memoryStore",
  create: () => memoryStore(),
  additionalTests: (context) => {
    it("is named memory", () => {
      expect(context.store.name).toBe("memory");
    });
  },
});

describe("memoryStore: frozen envelopes", () => {
  it("hands out stored envelopes that cannot be mutated, down to nested values and rendered lines", async () => {
    const store = memoryStore();
    await store.write([
      {
        ...profile,
        envelope: envelopeAt(1, {
          value: { name: "Ada", tags: ["a"], nested: { deep: [{ x: 1 }] } },
          rendered: { kind: "list", lines: ["- Ada"], tokens: { o200k_base: [3] } },
        }),
      },
    ]);
    await store.append([{ ...recent, event: envelopeAt(1, { eventId: "e1" }), window: 3 }]);
    const result = await store.read({
      records: [
        { ...profile, kind: "value" },
        { ...recent, kind: "window" },
      ],
    });
    const envelope = storedEnvelope(result.records[0]);
    const events = storedEvents(result.records[1]);
    const value = envelope.value as { tags: string[]; nested: { deep: Array<{ x: number }> } };
    expect(Object.isFrozen(envelope)).toBe(true);
    expect(() => value.tags.push("b")).toThrow(TypeError);
    expect(() => {
      (value.nested.deep[0] as { x: number }).x = 2;
    }).toThrow(TypeError);
    const lines = envelope.rendered?.lines ?? [];
    expect(lines).toEqual(["- Ada"]);
    expect(() => (lines as string[]).push("forged")).toThrow(TypeError);
    expect(() => (events as Envelope[]).push(envelopeAt(2))).toThrow(TypeError);
    expect(Object.isFrozen(events[0])).toBe(true);
  });

  it("copies at write time, so the caller's own objects stay mutable and unfrozen", async () => {
    const store = memoryStore();
    const value = { name: "Ada" };
    await store.write([{ ...profile, envelope: envelopeAt(1, { value }) }]);
    expect(Object.isFrozen(value)).toBe(false);
    value.name = "changed";
    const result = await store.read({ records: [{ ...profile, kind: "value" }] });
    expect(result.records[0]).toMatchObject({ envelope: { value: { name: "Ada" } } });
  });

  it("returns the same stored object on every read (no per-read copying)", async () => {
    const store = memoryStore();
    await store.write([{ ...profile, envelope: envelopeAt(1) }]);
    const read = () => store.read({ records: [{ ...profile, kind: "value" }] });
    const [first, second] = [await read(), await read()];
    expect(first.records[0]).toStrictEqual(second.records[0]);
    expect(storedEnvelope(first.records[0])).toBe(storedEnvelope(second.records[0]));
  });

  it("keeps a window array returned earlier unchanged by later appends (copy on write)", async () => {
    const store = memoryStore();
    await store.append([{ ...recent, event: envelopeAt(1, { eventId: "a" }), window: 3 }]);
    const before = await store.read({ records: [{ ...recent, kind: "window" }] });
    await store.append([{ ...recent, event: envelopeAt(2, { eventId: "b" }), window: 3 }]);
    expect(before.records[0]).toMatchObject({ events: [{ eventId: "a" }] });
    expect(storedEvents(before.records[0])).toHaveLength(1);
  });
});

describe("memoryStore: values that a serialising store could not keep", () => {
  const rejects = async (value: unknown, pathFragment: string) => {
    const store = memoryStore();
    await store.write([{ ...profile, envelope: envelopeAt(1, { value: "previous" }) }]);
    const write = store.write([
      { ...recent, envelope: envelopeAt(5, { value: "fine" }) },
      { ...profile, envelope: envelopeAt(5, { value }) },
    ]);
    await expect(write).rejects.toMatchObject({ name: "CtxError", code: "CTX_INVALID_VALUE" });
    await expect(write).rejects.toThrow(pathFragment);
    // Nothing from the batch was written; the previous value is intact.
    const result = await store.read({
      records: [
        { ...profile, kind: "value" },
        { ...recent, kind: "value" },
      ],
    });
    expect(result.records).toMatchObject([{ envelope: { value: "previous" } }, { envelope: undefined }]);
  };

  it("rejects a Date (convert to epoch ms first)", () => rejects({ at: new Date(0) }, "envelope.value.at"));
  it("rejects a Map", () => rejects(new Map([["a", 1]]), "Map"));
  it("rejects NaN and Infinity", async () => {
    await rejects({ score: Number.NaN }, "envelope.value.score");
    await rejects([1, Number.POSITIVE_INFINITY], "envelope.value[1]");
  });
  it("rejects functions, symbols and bigints", async () => {
    await rejects({ run: () => 1 }, "function");
    await rejects({ id: Symbol("x") }, "symbol");
    await rejects({ big: 10n }, "bigint");
  });
  it("rejects undefined inside arrays and as the whole value", async () => {
    await rejects([1, undefined], "use null");
    await rejects(undefined, "value undefined");
  });
  it("rejects circular references", async () => {
    const looped: Record<string, unknown> = { name: "loop" };
    looped.self = looped;
    await rejects(looped, "circular");
  });
  it("rejects non-finite event and write times", async () => {
    const store = memoryStore();
    await expect(
      store.write([{ ...profile, envelope: { ...envelopeAt(1), eventTime: Number.NaN } }]),
    ).rejects.toMatchObject({ code: "CTX_INVALID_VALUE" });
    await expect(
      store.write([{ ...profile, envelope: { ...envelopeAt(1), writeTime: "now" as unknown as number } }]),
    ).rejects.toMatchObject({ code: "CTX_INVALID_VALUE" });
  });

  it("drops undefined object properties, as JSON would, and keeps a __proto__ key as data", async () => {
    const store = memoryStore();
    const value = JSON.parse('{"a":1,"__proto__":{"polluted":true}}') as Record<string, unknown>;
    value.gone = undefined;
    await store.write([{ ...profile, envelope: envelopeAt(1, { value }) }]);
    const result = await store.read({ records: [{ ...profile, kind: "value" }] });
    const stored = storedEnvelope(result.records[0]).value as Record<string, unknown>;
    expect(Object.keys(stored)).toEqual(["a", "__proto__"]);
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("memoryStore: bad requests", () => {
  it("rejects appends with a missing or empty eventId, or a bad window size", async () => {
    const store = memoryStore();
    await expect(
      store.append([{ ...recent, event: envelopeAt(1, { eventId: "" }), window: 3 }]),
    ).rejects.toMatchObject({
      code: "CTX_INVALID_EVENT",
    });
    for (const window of [0, -1, 2.5, Number.NaN]) {
      await expect(
        store.append([{ ...recent, event: envelopeAt(1, { eventId: "a" }), window }]),
      ).rejects.toMatchObject({
        code: "CTX_INVALID_REQUEST",
      });
    }
  });

  it("rejects empty addresses, unknown read kinds, bad ttlMs and bad watermarks", async () => {
    const store = memoryStore();
    await expect(store.write([{ ...profile, key: "", envelope: envelopeAt(1) }])).rejects.toMatchObject({
      code: "CTX_INVALID_REQUEST",
    });
    await expect(store.read({ records: [{ ...profile, kind: "values" as "value" }] })).rejects.toMatchObject({
      code: "CTX_INVALID_REQUEST",
    });
    await expect(store.write([{ ...profile, envelope: envelopeAt(1), ttlMs: 0 }])).rejects.toMatchObject({
      code: "CTX_INVALID_REQUEST",
    });
    await expect(store.setWatermark("recent@1", Number.NaN)).rejects.toMatchObject({
      code: "CTX_INVALID_REQUEST",
    });
    await expect(store.delete("user" as unknown as RecordAddress[])).rejects.toMatchObject({
      code: "CTX_INVALID_REQUEST",
    });
  });

  it("refuses to mix a value and a window in one field, and reads a mismatched kind as invalid (not missing)", async () => {
    const store = memoryStore();
    await store.write([{ ...profile, envelope: envelopeAt(1) }]);
    await expect(
      store.append([{ ...profile, event: envelopeAt(2, { eventId: "a" }), window: 3 }]),
    ).rejects.toMatchObject({ code: "CTX_INVALID_REQUEST" });
    const result = await store.read({ records: [{ ...profile, kind: "window" }] });
    expect(result.records[0]).toMatchObject({ kind: "invalid" });
    await store.append([{ ...recent, event: envelopeAt(2, { eventId: "a" }), window: 3 }]);
    await expect(store.write([{ ...recent, envelope: envelopeAt(3) }])).rejects.toMatchObject({
      code: "CTX_INVALID_REQUEST",
    });
  });

  it("rejects a read whose signal is already aborted", async () => {
    const store = memoryStore();
    const controller = new AbortController();
    controller.abort(new Error("request cancelled"));
    await expect(store.read({ records: [] }, { signal: controller.signal })).rejects.toThrow(
      "request cancelled",
    );
  });

  it("trims a window to a smaller size on the next append", async () => {
    const store = memoryStore();
    await store.append(
      [1, 2, 3, 4].map((time) => ({
        ...recent,
        event: envelopeAt(time, { eventId: `e${time}` }),
        window: 4,
      })),
    );
    expect(await store.append([{ ...recent, event: envelopeAt(5, { eventId: "e5" }), window: 2 }])).toEqual([
      { applied: true },
    ]);
    const result = await store.read({ records: [{ ...recent, kind: "window" }] });
    expect(result.records[0]).toMatchObject({ events: [{ eventId: "e4" }, { eventId: "e5" }] });
    // An event too old for the smaller window is refused, and the window is still trimmed.
    await store.append(
      [6, 7].map((time) => ({ ...recent, event: envelopeAt(time, { eventId: `e${time}` }), window: 3 })),
    );
    expect(await store.append([{ ...recent, event: envelopeAt(0, { eventId: "old" }), window: 1 }])).toEqual([
      { applied: false, reason: "outside-window" },
    ]);
    const trimmed = await store.read({ records: [{ ...recent, kind: "window" }] });
    expect(trimmed.records[0]).toMatchObject({ events: [{ eventId: "e7" }] });
    expect(storedEvents(trimmed.records[0])).toHaveLength(1);
  });
});

describe("memoryStore: close", () => {
  it("makes every later operation throw CTX_STORE_UNAVAILABLE saying the store was closed", async () => {
    const store = memoryStore();
    await store.write([{ ...profile, envelope: envelopeAt(1) }]);
    await store.close();
    const operations: Array<[string, () => Promise<unknown>]> = [
      ["read", () => store.read({ records: [{ ...profile, kind: "value" }] })],
      ["write", () => store.write([{ ...profile, envelope: envelopeAt(2) }])],
      ["append", () => store.append([{ ...recent, event: envelopeAt(1, { eventId: "a" }), window: 1 }])],
      ["setWatermark", () => store.setWatermark("recent@1", 1)],
      ["delete", () => store.delete([profile])],
    ];
    for (const [name, operation] of operations) {
      await expect(operation()).rejects.toMatchObject({ name: "CtxError", code: "CTX_STORE_UNAVAILABLE" });
      await expect(operation()).rejects.toThrow(`${name}() was called after close()`);
    }
  });

  it("can be closed twice", async () => {
    const store = memoryStore();
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});

describe("memoryStore: ttl (lazy expiry on an injectable clock)", () => {
  function clockedStore() {
    const clock = { now: 1_000 };
    return { clock, store: memoryStore({ now: () => clock.now }) };
  }
  const readProfile = async (store: ReturnType<typeof memoryStore>) =>
    (await store.read({ records: [{ ...profile, kind: "value" }] })).records[0];

  it("reads an entity as absent from the moment its ttl passes, and keeps it until then", async () => {
    const { clock, store } = clockedStore();
    await store.write([{ ...profile, envelope: envelopeAt(1), ttlMs: 100 }]);
    clock.now = 1_099;
    expect(await readProfile(store)).toMatchObject({ envelope: { eventTime: 1 } });
    clock.now = 1_100;
    expect(await readProfile(store)).toStrictEqual({ kind: "value", envelope: undefined });
  });

  it("expires the whole entity: every field of that key goes together", async () => {
    const { clock, store } = clockedStore();
    const orders = { ...profile, field: "orders@1" };
    await store.write([{ ...profile, envelope: envelopeAt(1), ttlMs: 100 }]);
    await store.write([{ ...orders, envelope: envelopeAt(1) }]);
    clock.now = 2_000;
    const result = await store.read({
      records: [
        { ...profile, kind: "value" },
        { ...orders, kind: "value" },
      ],
    });
    expect(result.records).toStrictEqual([
      { kind: "value", envelope: undefined },
      { kind: "value", envelope: undefined },
    ]);
  });

  it("refreshes the ttl on each applied write, never shortening a longer one", async () => {
    const { clock, store } = clockedStore();
    await store.write([{ ...profile, envelope: envelopeAt(1), ttlMs: 1_000 }]);
    clock.now = 1_500;
    await store.write([{ ...profile, field: "orders@1", envelope: envelopeAt(1), ttlMs: 100 }]);
    clock.now = 1_900; // past the short ttl, before the long one
    expect(await readProfile(store)).toMatchObject({ envelope: { eventTime: 1 } });
    await store.write([{ ...profile, envelope: envelopeAt(2), ttlMs: 1_000 }]);
    clock.now = 2_800; // past the first write's expiry, within the refreshed one
    expect(await readProfile(store)).toMatchObject({ envelope: { eventTime: 2 } });
  });

  it("does not refresh the ttl for a write that was not applied", async () => {
    const { clock, store } = clockedStore();
    await store.write([{ ...profile, envelope: envelopeAt(10), ttlMs: 100 }]);
    clock.now = 1_050;
    expect(await store.write([{ ...profile, envelope: envelopeAt(5), ttlMs: 100 }])).toEqual([
      { applied: false, reason: "older" },
    ]);
    clock.now = 1_120;
    expect(await readProfile(store)).toStrictEqual({ kind: "value", envelope: undefined });
  });

  it("starts afresh after expiry: an older event than the expired one applies", async () => {
    const { clock, store } = clockedStore();
    await store.write([{ ...profile, envelope: envelopeAt(10), ttlMs: 100 }]);
    clock.now = 5_000;
    expect(await store.write([{ ...profile, envelope: envelopeAt(5) }])).toEqual([{ applied: true }]);
    expect(await readProfile(store)).toMatchObject({ envelope: { eventTime: 5 } });
  });

  it("sweeps expired entities that are never touched again, so memory stays bounded", async () => {
    const { clock, store } = clockedStore();
    await store.write(
      Array.from({ length: 100 }, (_, index) => ({
        entity: "session",
        key: `sessionId=${index}`,
        field: "recent@1",
        envelope: envelopeAt(1),
        ttlMs: 100,
      })),
    );
    expect(store.entityCount).toBe(100);
    clock.now = 1_200;
    for (let index = 0; index < 200; index++) {
      await store.write([
        { entity: "user", key: `userId=${index}`, field: "profile@1", envelope: envelopeAt(1) },
      ]);
    }
    // Nobody read the 100 expired sessions again, yet they are gone.
    expect(store.entityCount).toBe(200);
    await store.delete([{ entity: "user", key: "userId=0", field: "profile@1" }]);
    expect(store.entityCount).toBe(199);
  });

  it("expires windows too", async () => {
    const { clock, store } = clockedStore();
    await store.append([{ ...recent, event: envelopeAt(1, { eventId: "a" }), window: 3, ttlMs: 50 }]);
    clock.now = 1_050;
    const result = await store.read({ records: [{ ...recent, kind: "window" }] });
    expect(result.records[0]).toStrictEqual({ kind: "window", events: [] });
  });
});
