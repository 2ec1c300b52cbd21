// defineOnlineStore: malformed input never reaches a driver, a synchronous throw is a rejection, a
// closed store refuses every call, and the driver's own members pass through.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../envelope.js";
import { isCtxError } from "../errors.js";
import { defineOnlineStore, type OnlineStoreDriver } from "./define-online-store.js";
import type { OnlineReadBatch, RecordAddress, ValueWrite, WindowAppend } from "./types.js";

const profile: RecordAddress = { entity: "user", key: "userId=u1", field: "profile@1" };
const envelope: Envelope = { value: { a: 1 }, eventTime: 1, writeTime: 1, schemaVersion: 1 };

/** A driver that records every call it receives; `fail` makes each method throw synchronously. */
function recordingDriver(fail = false) {
  const calls: string[] = [];
  const record = (name: string) => {
    calls.push(name);
    if (fail) throw new Error(`${name} blew up`);
  };
  let size = 0;
  const driver = {
    name: "test",
    afterClose: "Open a new one.",
    marker: 7,
    get size() {
      return size;
    },
    async read(batch: OnlineReadBatch) {
      record("read");
      return {
        records: batch.records.map(() => ({ kind: "value" as const, envelope: undefined })),
        watermarks: {},
      };
    },
    write(writes: readonly ValueWrite[]) {
      record("write");
      size += writes.length;
      return Promise.resolve(writes.map(() => ({ applied: true })));
    },
    append(appends: readonly WindowAppend[]) {
      record("append");
      return Promise.resolve(appends.map(() => ({ applied: true })));
    },
    setWatermark() {
      record("setWatermark");
      return Promise.resolve();
    },
    delete() {
      record("delete");
      return Promise.resolve();
    },
    close() {
      record("close");
      return Promise.resolve();
    },
  } satisfies OnlineStoreDriver & Record<string, unknown>;
  return { driver, calls };
}

/** Anything that is not a well-formed ValueWrite: each must be refused before the driver is called. */
const badWrite = fc.oneof(
  fc.constantFrom<unknown>(undefined, null, 1, "write"),
  fc.constantFrom<unknown>("", 1, undefined).map((entity) => ({ ...profile, entity, envelope })),
  fc.constantFrom<unknown>(0, -1, Number.NaN, "5").map((ttlMs) => ({ ...profile, ttlMs, envelope })),
  fc
    .oneof(
      fc.constantFrom<unknown>(undefined, null, "x"),
      fc
        .constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, "1")
        .map((eventTime) => ({ ...envelope, eventTime })),
      fc
        .constantFrom<unknown>(undefined, new Date(0), Number.NaN, () => 1)
        .map((value) => ({ ...envelope, value })),
    )
    .map((bad) => ({ ...profile, envelope: bad })),
);

describe("defineOnlineStore", () => {
  it("never hands a malformed write to the driver, and rejects the whole call with a typed error", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constant<unknown>({ ...profile, envelope }), { maxLength: 3 }),
        badWrite,
        fc.nat(3),
        async (good, bad, at) => {
          const { driver, calls } = recordingDriver();
          const store = defineOnlineStore(driver);
          const writes = [...good];
          writes.splice(Math.min(at, writes.length), 0, bad);
          const error = await store.write(writes as ValueWrite[]).then(
            () => undefined,
            (thrown: unknown) => thrown,
          );
          expect(isCtxError(error)).toBe(true);
          expect(calls).toEqual([]);
        },
      ),
    );
  });

  it("checks reads, appends, watermarks and deletes before the driver sees them", async () => {
    const { driver, calls } = recordingDriver();
    const store = defineOnlineStore(driver);
    const rejected: Array<[Promise<unknown>, string]> = [
      [store.read({ records: [{ ...profile, kind: "blob" as "value" }] }), "CTX_INVALID_REQUEST"],
      [store.read({ records: [], watermarks: [""] }), "CTX_INVALID_REQUEST"],
      [store.read("records" as unknown as OnlineReadBatch), "CTX_INVALID_REQUEST"],
      [store.append([{ ...profile, event: envelope, window: 2 }]), "CTX_INVALID_EVENT"],
      [
        store.append([{ ...profile, event: { ...envelope, eventId: "a" }, window: 0 }]),
        "CTX_INVALID_REQUEST",
      ],
      [store.setWatermark("", 1), "CTX_INVALID_REQUEST"],
      [store.setWatermark("f", Number.NaN), "CTX_INVALID_REQUEST"],
      [store.delete([{ ...profile, field: "" }]), "CTX_INVALID_REQUEST"],
    ];
    for (const [promise, code] of rejected) await expect(promise).rejects.toMatchObject({ code });
    expect(calls).toEqual([]);
    await store.read({ records: [{ ...profile, kind: "value" }], watermarks: ["f"] });
    expect(calls).toEqual(["read"]);
  });

  it("rejects an aborted read before the driver is called", async () => {
    const { driver, calls } = recordingDriver();
    const store = defineOnlineStore(driver);
    const controller = new AbortController();
    controller.abort(new Error("caller gave up"));
    await expect(store.read({ records: [] }, { signal: controller.signal })).rejects.toThrow(
      "caller gave up",
    );
    expect(calls).toEqual([]);
  });

  it("turns a driver's synchronous throw into a rejected promise", async () => {
    const { driver } = recordingDriver(true);
    const store = defineOnlineStore(driver);
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = store.write([{ ...profile, envelope }]);
    }).not.toThrow();
    await expect(promise).rejects.toThrow("write blew up");
  });

  it("closes the driver once and refuses every later call with CTX_STORE_UNAVAILABLE", async () => {
    const { driver, calls } = recordingDriver();
    const store = defineOnlineStore(driver);
    await Promise.all([store.close(), store.close()]);
    await store.close();
    expect(calls).toEqual(["close"]);
    const later: Array<[string, () => Promise<unknown>]> = [
      ["read", () => store.read({ records: [] })],
      ["write", () => store.write([])],
      ["append", () => store.append([])],
      ["setWatermark", () => store.setWatermark("f", 1)],
      ["delete", () => store.delete([])],
    ];
    for (const [operation, call] of later) {
      await expect(call()).rejects.toMatchObject({ code: "CTX_STORE_UNAVAILABLE" });
      await expect(call()).rejects.toThrow(
        `test store: ${operation}() was called after close(). Open a new one.`,
      );
    }
    expect(calls).toEqual(["close"]);
  });

  it("passes the driver's own members through, getters staying live", async () => {
    const { driver } = recordingDriver();
    const store = defineOnlineStore(driver);
    expect(store.name).toBe("test");
    expect(store.marker).toBe(7);
    expect(store.size).toBe(0);
    await store.write([{ ...profile, envelope }]);
    expect(store.size).toBe(1);
    expect("afterClose" in store).toBe(false);
  });
});
