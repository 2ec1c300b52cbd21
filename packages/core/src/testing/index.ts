// @ctxstore/core/testing: the contract suites every store implementation runs from its own tests
// (`import { testOnlineStore } from "@ctxstore/core/testing"`). They use vitest and fast-check,
// optional peer dependencies of @ctxstore/core. The repository's benchmark helpers are not here:
// they live in the private @ctxstore/bench-fixtures package.
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
