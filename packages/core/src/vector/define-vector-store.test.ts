// defineVectorStore: malformed records and queries never reach a driver, failures are rejections,
// a closed store refuses calls, and the driver's own members pass through.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCtxError } from "../errors.js";
import { defineVectorStore } from "./define-vector-store.js";
import type { VectorQuery, VectorRecord } from "./types.js";

function recordingDriver(multiTenant = false) {
  const calls: string[] = [];
  const driver = {
    name: "test-vectors",
    dimensions: 3,
    multiTenant,
    marker: "kept",
    async upsert(records: readonly VectorRecord[]) {
      calls.push(`upsert:${records.length}`);
    },
    async query() {
      calls.push("query");
      return [];
    },
    deleteDocument(): Promise<void> {
      calls.push("delete");
      throw new Error("delete blew up");
    },
    async close() {
      calls.push("close");
    },
  };
  return { store: defineVectorStore(driver), calls };
}

const record: VectorRecord = { id: "d#0", documentId: "d", chunkIndex: 0, vector: [1, 0, 0], text: "t" };

/** Records no store may accept: each must be refused before the driver is called. */
const badRecord = fc.oneof(
  fc.constantFrom<unknown>(null, 1, "record"),
  fc.constantFrom<unknown>("", 1, undefined).map((id) => ({ ...record, id })),
  fc.constantFrom<unknown>(-1, 0.5, "0").map((chunkIndex) => ({ ...record, chunkIndex })),
  fc
    .constantFrom<unknown>([1, 0], [1, 0, 0, 0], [Number.NaN, 0, 0], "vec", null)
    .map((vector) => ({ ...record, vector })),
);

describe("defineVectorStore", () => {
  it("never hands a malformed record to the driver and writes nothing of the batch", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(3), badRecord, async (good, bad) => {
        const { store, calls } = recordingDriver();
        const records = [...Array.from({ length: good }, () => record), bad];
        const error = await store.upsert(records as VectorRecord[]).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(isCtxError(error)).toBe(true);
        expect(calls).toEqual([]);
      }),
    );
  });

  it("checks queries, deletes and tenants; skips empty upserts", async () => {
    const { store, calls } = recordingDriver(true);
    const rejected: Array<[Promise<unknown>, string]> = [
      [store.query({ vector: [1, 0, 0], topK: 1 }), "CTX_TENANT_REQUIRED"],
      [store.query({ vector: [1, 0], topK: 1, tenant: "t" }), "CTX_DIMENSION_MISMATCH"],
      [store.query({ vector: [1, 0, 0], topK: 0, tenant: "t" }), "CTX_INVALID_REQUEST"],
      [store.query(null as unknown as VectorQuery), "CTX_INVALID_REQUEST"],
      [store.upsert([record]), "CTX_TENANT_REQUIRED"],
      [store.upsert("records" as unknown as VectorRecord[]), "CTX_INVALID_VALUE"],
      [store.deleteDocument("", { tenant: "t" }), "CTX_INVALID_REQUEST"],
      [store.deleteDocument("d"), "CTX_TENANT_REQUIRED"],
    ];
    for (const [promise, code] of rejected) await expect(promise).rejects.toMatchObject({ code });
    await store.upsert([]);
    expect(calls).toEqual([]);
    await store.upsert([{ ...record, tenant: "t" }]);
    await store.query({ vector: [0, 1, 0], topK: 2, tenant: "t" });
    expect(calls).toEqual(["upsert:1", "query"]);
  });

  it("rejects (never throws) a driver's synchronous failure and an aborted signal", async () => {
    const { store, calls } = recordingDriver();
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = store.deleteDocument("d");
    }).not.toThrow();
    await expect(promise).rejects.toThrow("delete blew up");
    const controller = new AbortController();
    controller.abort(new Error("caller gave up"));
    await expect(store.query({ vector: [1, 0, 0], topK: 1 }, { signal: controller.signal })).rejects.toThrow(
      "caller gave up",
    );
    expect(calls).toEqual(["delete"]);
  });

  it("closes the driver once, refuses later calls, and passes the driver's own members through", async () => {
    const { store, calls } = recordingDriver();
    expect(store.marker).toBe("kept");
    expect(store.dimensions).toBe(3);
    expect("multiTenant" in store).toBe(false);
    await Promise.all([store.close(), store.close()]);
    await expect(store.upsert([record])).rejects.toSatisfy((error) =>
      isCtxError(error, "CTX_STORE_UNAVAILABLE"),
    );
    await expect(store.query({ vector: [1, 0, 0], topK: 1 })).rejects.toThrow(
      "test-vectors: the vector store is closed",
    );
    expect(calls).toEqual(["close"]);
  });
});
