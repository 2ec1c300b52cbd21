// Contract group "bad requests": a malformed write, append or delete is a rejected promise with a
// typed error (never a synchronous throw, which a caller chaining `.catch` would miss), and nothing
// of the call is stored.
import { describe, expect, it } from "vitest";
import type { RecordAddress, ValueWrite, WindowAppend } from "../../stores/types.js";
import { envelopeAt, recordAt, storedEnvelope, storedEvents } from "./fixtures.js";
import type { ContractSuite } from "./suite.js";

/** Calls `operation` and returns its promise; a synchronous throw fails the test with a clear message. */
function asPromise(operation: () => Promise<unknown>): Promise<unknown> {
  let promise: Promise<unknown>;
  try {
    promise = operation();
  } catch (error) {
    throw new Error(`threw synchronously instead of rejecting: ${String(error)}`);
  }
  return promise;
}

/** Registers the bad-request tests of the OnlineStore contract. */
export function registerBadRequestTests({ context }: ContractSuite): void {
  describe("bad requests", () => {
    it("rejects malformed writes with typed errors and stores nothing of the call", async () => {
      const { store } = context;
      const good = recordAt("user", "userId=good", "profile@1");
      const valid: ValueWrite = { ...good, envelope: envelopeAt(1) };
      const cases: Array<[unknown, string]> = [
        ["not an array", "CTX_INVALID_REQUEST"],
        [[valid, { ...recordAt("user", "", "profile@1"), envelope: envelopeAt(1) }], "CTX_INVALID_REQUEST"],
        [[valid, { ...good, envelope: envelopeAt(1), ttlMs: 0 }], "CTX_INVALID_REQUEST"],
        [[valid, { ...good, envelope: envelopeAt(Number.NaN) }], "CTX_INVALID_VALUE"],
      ];
      for (const [writes, code] of cases) {
        await expect(asPromise(() => store.write(writes as ValueWrite[]))).rejects.toMatchObject({ code });
      }
      await expect(asPromise(() => store.delete("user" as unknown as RecordAddress[]))).rejects.toMatchObject(
        {
          code: "CTX_INVALID_REQUEST",
        },
      );
      const result = await store.read({ records: [{ ...good, kind: "value" }] });
      expect(storedEnvelope(result.records[0])).toBeUndefined();
    });

    it("rejects malformed appends with typed errors and stores nothing of the call", async () => {
      const { store } = context;
      const recent = recordAt("user", "userId=good", "recent@1");
      const valid: WindowAppend = { ...recent, event: envelopeAt(1, { eventId: "a" }), window: 3 };
      const cases: Array<[unknown, string]> = [
        ["not an array", "CTX_INVALID_REQUEST"],
        [[valid, { ...valid, window: 0 }], "CTX_INVALID_REQUEST"],
        [[valid, { ...valid, event: envelopeAt(2) }], "CTX_INVALID_EVENT"],
      ];
      for (const [appends, code] of cases) {
        await expect(asPromise(() => store.append(appends as WindowAppend[]))).rejects.toMatchObject({
          code,
        });
      }
      const result = await store.read({ records: [{ ...recent, kind: "window" }] });
      expect(storedEvents(result.records[0])).toEqual([]);
    });
  });
}
