// @ctxstore/core/store: the kit for store authors. Wrap a store's storage logic with
// `defineOnlineStore` / `defineVectorStore` (they own the request checks, the closed state and the
// rejected-promise semantics), and use the helpers below for what a store does itself: canonical
// keys and source fields, JSON data checks, a bounded cache. Application code needs none of this;
// it imports `@ctxstore/core`. Each store proves itself with the suites in `@ctxstore/core/testing`.

export { BoundedCache } from "./cache/bounded-cache.js";
export { canonicalize, stableJson } from "./definitions/entity.js";
export { sourceField } from "./definitions/source.js";
export type { Encoding, Envelope, RenderedText, Status } from "./envelope.js";
export { CtxError, type CtxErrorCode, describeIssues, isCtxError } from "./errors.js";
export {
  checkEnvelope,
  checkReadBatch,
  checkReadRequest,
  checkRecordAddress,
  checkRequestArray,
  checkTtl,
  checkWatermarkFields,
  checkWatermarkRaise,
  checkWindowAppend,
} from "./stores/checks.js";
export {
  type DefinedOnlineStore,
  defineOnlineStore,
  type OnlineStoreDriver,
} from "./stores/define-online-store.js";
export { freezeCheckedJson, jsonDataProblem } from "./stores/json-data.js";
export type { RecordSampling, SampledRecord, SamplePage } from "./stores/sampling.js";
export type {
  AppendOutcome,
  EntityAddress,
  OnlineReadBatch,
  OnlineReadResult,
  OnlineStore,
  ReadRequest,
  ReadResult,
  RecordAddress,
  StoreCallOptions,
  ValueWrite,
  WindowAppend,
  WriteOutcome,
} from "./stores/types.js";
export { checkTenant, checkVector, checkVectorQuery, checkVectorRecord } from "./vector/checks.js";
export {
  type DefinedVectorStore,
  defineVectorStore,
  type VectorStoreDriver,
} from "./vector/define-vector-store.js";
export type { Embedder, VectorHit, VectorQuery, VectorRecord, VectorStore } from "./vector/types.js";
