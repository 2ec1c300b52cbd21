// The types the OnlineStore contract suite's modules share: its options, the per-test context, and
// what `testOnlineStore` hands each group module.
import type { OnlineStore } from "../../stores/types.js";

/** What `additionalTests` receives from `testOnlineStore`: the current test's store. */
export interface OnlineStoreContractContext {
  /** The store created for the current test. */
  readonly store: OnlineStore;
}

/**
 * Options of `testOnlineStore`: how to create (and tear down) an isolated store per test, the number of
 * property runs, and the implementation's own extra tests.
 */
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
