// The OnlineStore contract suite. Every implementation (memoryStore, @ctxstore/redis standalone and
// Cluster, third-party stores) calls `testOnlineStore` from its own test file; a store is done when
// it passes. The suite only uses the public OnlineStore interface, so it says what any store must do,
// not how the memory store happens to do it. Each group of tests lives in its own module; this one
// owns the options, the per-test store lifecycle and the order the groups run in.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OnlineStore } from "../../stores/types.js";
import { registerBadRequestTests } from "./bad-requests.js";
import { registerBatchedReadTests } from "./batched-reads.js";
import { registerLastWriteWinsTests } from "./last-write-wins.js";
import { registerLifecycleTests } from "./lifecycle.js";
import { registerRoundTripTests } from "./round-trip.js";
import type { ContractSuite, OnlineStoreContractContext, OnlineStoreContractOptions } from "./suite.js";
import { registerTenancyTests } from "./tenancy.js";
import { registerWindowTests } from "./windows.js";

export type { OnlineStoreContractContext, OnlineStoreContractOptions } from "./suite.js";

/** Registers a vitest `describe` block checking `create()`'s stores against the OnlineStore contract. */
export function testOnlineStore(options: OnlineStoreContractOptions): void {
  const propertyRuns = options.propertyRuns ?? 100;

  describe(`OnlineStore contract: ${options.name}`, () => {
    let current: OnlineStore | undefined;
    const context: OnlineStoreContractContext = {
      get store(): OnlineStore {
        if (current === undefined)
          throw new Error("the contract suite's store is only available inside a test");
        return current;
      },
    };

    beforeEach(async () => {
      current = await options.create();
    });

    afterEach(async () => {
      const store = current;
      current = undefined;
      if (store === undefined) return;
      if (options.destroy) await options.destroy(store);
      else await store.close();
    });

    // Property runs share one store; each run uses its own entity keys so runs cannot see each other.
    let runCounter = 0;
    const freshKey = (label: string): string => `${label}-${++runCounter}`;
    const suite: ContractSuite = { context, options, propertyRuns, freshKey };

    it("has a short name for traces and errors", () => {
      expect(typeof context.store.name).toBe("string");
      expect(context.store.name.length).toBeGreaterThan(0);
    });

    // Registration order is report order; keep it stable so reports stay comparable across versions.
    registerRoundTripTests(suite);
    registerLastWriteWinsTests(suite);
    registerWindowTests(suite);
    registerBatchedReadTests(suite);
    registerLifecycleTests(suite);
    registerBadRequestTests(suite);
    registerTenancyTests(suite);

    options.additionalTests?.(context);
  });
}
