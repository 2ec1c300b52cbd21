// Test and benchmark helpers for store implementations: `import { testOnlineStore } from "@ctxstore/core/testing"`.
// Contract suites use vitest (an optional peer dependency of @ctxstore/core).
export { type BenchFigure, measure, percentile, report, round, type Samples } from "./bench.js";
export {
  assembleBenchSources,
  BENCH_BUDGET,
  BENCH_KEYS,
  benchSession,
  benchUser,
  latencyFigures,
  seedAssembleBench,
} from "./bench-fixture.js";
// Contract suites (each module adds its export below).
export {
  type OnlineStoreContractContext,
  type OnlineStoreContractOptions,
  testOnlineStore,
} from "./online-store-contract/index.js";
export {
  testVectorStore,
  type VectorStoreContractContext,
  type VectorStoreContractOptions,
  type VectorStoreSettings,
} from "./vector-store-contract.js";
