// @ctxstore/core: what an application author uses (definitions, the context store, statuses, traces,
// the embedded stores, tokenizers, indexing). Store authors also import `@ctxstore/core/store` (the
// store wrappers and request checks); store tests import `@ctxstore/core/testing` (the contract
// suites). Adapters (redis, qdrant, duckdb, ai-sdk, langchain, next) use only these three entries,
// which the dependency-cruiser rules in .dependency-cruiser.cjs enforce.

export type { CallDeadlineOptions } from "./context/call-deadline.js";
export { createContextStore } from "./context/create.js";
export type {
  AppendCallOptions,
  AppendOptions,
  AssembleOverrides,
  AssembleRequest,
  AssembleResult,
  Budget,
  ContextStore,
  ContextStoreOptions,
  EntityKeys,
  ErasureTarget,
  ForgetReceipt,
  ForgetRequest,
  KeysOf,
  RealtimeOverride,
  RequestLayer,
  ResolvedValue,
  SourceCounters,
  WriteCallOptions,
  WriteOptions,
} from "./context/types.js";
export { type Duration, formatDuration, parseDuration, toEpochMs } from "./definitions/duration.js";
export { type Empty, empty, isEmpty } from "./definitions/empty.js";
export { defineEntity, type Entity, type EntityKey } from "./definitions/entity.js";
export {
  type AuditRecord,
  BUILT_IN_PURPOSES,
  checkTenantId,
  type GovernanceOptions,
  type PiiTags,
  type Principal,
  type PurposePolicy,
  type Readers,
  type RedactionAction,
} from "./definitions/governance.js";
export {
  type AnySource,
  type BatchOptions,
  type BatchSource,
  batch,
  type RealtimeOptions,
  type RealtimeResolveContext,
  type RealtimeSource,
  type Rendered,
  realtime,
  type SectionDefinition,
  type StreamOptions,
  type StreamSource,
  section,
  stream,
  type Tier,
  type UnavailablePolicy,
  type VectorOptions,
  type VectorSource,
  vector,
} from "./definitions/source.js";
export type { Encoding, Envelope, RenderedText, Status } from "./envelope.js";
export { CtxError, type CtxErrorCode, isCtxError } from "./errors.js";
export {
  type FreshnessMonitor,
  type MonitoredStore,
  type MonitorFreshnessOptions,
  monitorFreshness,
} from "./freshness/monitor.js";
export {
  type AgePercentiles,
  type FreshnessSnapshot,
  isUnavailable,
  type LastMaterialization,
  type SourceFreshness,
  type Unavailable,
} from "./freshness/snapshot.js";
export { type Chunk, type ChunkOptions, chunkText } from "./indexing/chunk.js";
export {
  chunkId,
  type IndexDocument,
  type IndexOptions,
  type IndexProgress,
  type IndexResult,
  indexDocuments,
} from "./indexing/index-documents.js";
export { type StablePrefix, splitStablePrefix } from "./pack/stable-prefix.js";
export type { BlockOutcome, PackedSection, RenderFormat } from "./pack/types.js";
export { isContextLeftOutWarning, NOTHING_FITS_PREFIX, RESERVED_LEFT_OUT_PREFIX } from "./pack/warnings.js";
// The request layer every adapter uses: one checked request shape, one merge rule, one default budget.
export { type CheckLayerOptions, checkRequestLayer } from "./request/check.js";
export { DEFAULT_BUDGET, mergeRequestLayers } from "./request/merge.js";
export { type MemoryStore, type MemoryStoreOptions, memoryStore } from "./stores/memory.js";
export type {
  AppendOutcome,
  OnlineStore,
  StoreCallOptions,
  ValueWrite,
  WindowAppend,
  WriteOutcome,
} from "./stores/types.js";
export {
  ADAPTER_SPAN_KEY,
  ASSEMBLE_SPAN,
  ASSEMBLY_ATTRIBUTES_KEY,
  REALTIME_SPAN,
} from "./telemetry/assembly-telemetry.js";
export type { MeterProviderLike, TelemetryOptions, TracerProviderLike } from "./telemetry/options.js";
export { loadEncoding, tiktokenTokenizer } from "./tokenize/tiktoken.js";
export type { Tokenizer } from "./tokenize/types.js";
export type { AssemblyTrace, SourceTrace } from "./trace/types.js";
export {
  type AnnVectorStore,
  type AnnVectorStoreOptions,
  annVectorStore,
  type UsearchModule,
} from "./vector/ann.js";
export { type LocalEmbedderOptions, localEmbedder } from "./vector/local-embedder.js";
export { type MemoryVectorStore, type MemoryVectorStoreOptions, memoryVectorStore } from "./vector/memory.js";
export type { Embedder, VectorHit, VectorQuery, VectorRecord, VectorStore } from "./vector/types.js";
