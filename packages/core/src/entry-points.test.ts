// The three entry points by audience: what each one exports is pinned here, so a name moving
// between audiences (or a store-author helper leaking into the application entry) is a decision.
import { describe, expect, it } from "vitest";
import * as application from "./index.js";
import * as storeKit from "./store-kit.js";
import * as testing from "./testing/index.js";

const STORE_KIT_ONLY = [
  "BoundedCache",
  "canonicalize",
  "stableJson",
  "sourceField",
  "describeIssues",
  "checkEnvelope",
  "checkReadBatch",
  "checkReadRequest",
  "checkRecordAddress",
  "checkRequestArray",
  "checkTtl",
  "checkWindowAppend",
  "checkWatermarkFields",
  "checkWatermarkRaise",
  "checkTenant",
  "checkVector",
  "checkVectorQuery",
  "checkVectorRecord",
  "jsonDataProblem",
  "freezeCheckedJson",
  "defineOnlineStore",
  "defineVectorStore",
];

describe("entry points", () => {
  it("@ctxstore/core holds the application API and none of the store-author kit", () => {
    for (const name of ["createContextStore", "defineEntity", "batch", "stream", "realtime", "vector"]) {
      expect(application).toHaveProperty(name);
    }
    for (const name of STORE_KIT_ONLY) expect(application).not.toHaveProperty(name);
  });

  it("@ctxstore/core/store holds the store wrappers, request checks and helpers", () => {
    expect(Object.keys(storeKit).sort()).toEqual([...STORE_KIT_ONLY, "CtxError", "isCtxError"].sort());
    // Same bindings as the application entry: one error class whichever entry a store imports.
    expect(storeKit.CtxError).toBe(application.CtxError);
  });

  it("@ctxstore/core/testing holds the contract suites only", () => {
    expect(Object.keys(testing).sort()).toEqual(["testOnlineStore", "testVectorStore"]);
  });

  it("exports nothing that nothing uses: the removed internals stay internal", () => {
    for (const name of [
      "isFact",
      "FACT_STATUSES",
      "cachedCount",
      "escapeLine",
      "normalizeItem",
      "normalizeLines",
      "frozenJsonCopy",
      "vectorHitsToBlock",
      "TIER_RANK",
      "pack",
    ]) {
      expect(application).not.toHaveProperty(name);
      expect(storeKit).not.toHaveProperty(name);
    }
  });
});
