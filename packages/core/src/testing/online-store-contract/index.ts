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
import { registerWindowTests } from "./windows.js";

export interface OnlineStoreContractContext {
  /** The store created for the current test. */
  readonly store: OnlineStore;
}

export interface OnlineStoreContractOptions {
  /** Suite title, e.g. "memoryStore" or "redisStore (cluster)". */
  name: string;
  /**
   * A fresh store whose data no other test can see (e.g. a unique key prefix per call). Called before
   * every test, and once more by the close test, which closes that store itself.
   */
  create: () => OnlineStore | Promise<OnlineStore>;
  /** Tears a store down after each test. Default: `store.close()`. */
  destroy?: (store: OnlineStore) => void | Promise<void>;
  /** fast-check runs per property. Default 100. */
  propertyRuns?: number;
  /** Registers implementation-specific tests inside the suite, sharing its store lifecycle. */
  additionalTests?: (context: OnlineStoreContractContext) => void;
}

/** What every group module receives from `testOnlineStore` (internal to the suite, not exported publicly). */
export interface ContractSuite {
  /** The current test's store, behind a getter that throws outside a test. */
  readonly context: OnlineStoreContractContext;
  readonly options: OnlineStoreContractOptions;
  /** fast-check runs per property (`options.propertyRuns` or 100). */
  readonly propertyRuns: number;
  /** A key no other property run has used: runs share one store, so each needs its own entities. */
  readonly freshKey: (label: string) => string;
}

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

    options.additionalTests?.(context);
  });
}
