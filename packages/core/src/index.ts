// @ctxstore/core public API. Adapters (redis, qdrant, duckdb, ai-sdk, langchain, next) import only
// from here and from "@ctxstore/core/testing".

export { BoundedCache } from "./cache/bounded-cache.js";
export { createContextStore } from "./context/create.js";
export type {
  AppendOptions,
  AssembleOverrides,
  AssembleRequest,
  AssembleResult,
  Budget,
  ContextStore,
  ContextStoreOptions,
  RealtimeOverride,
  ResolvedValue,
  SourceCounters,
  WriteOptions,
} from "./context/types.js";
export { type Duration, formatDuration, parseDuration, toEpochMs } from "./definitions/duration.js";
export { type Empty, empty, isEmpty } from "./definitions/empty.js";
export { canonicalize, defineEntity, type Entity, type EntityKey, stableJson } from "./definitions/entity.js";
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
  sourceField,
  stream,
  TIER_RANK,
  type Tier,
  type UnavailablePolicy,
  type VectorOptions,
  type VectorSource,
  vector,
} from "./definitions/source.js";
export {
  type Encoding,
  type Envelope,
  FACT_STATUSES,
  isFact,
  type RenderedText,
  type Status,
} from "./envelope.js";
export { CtxError, type CtxErrorCode, describeIssues, isCtxError } from "./errors.js";
export { type Chunk, type ChunkOptions, chunkText } from "./indexing/chunk.js";
export {
  chunkId,
  type IndexDocument,
  type IndexOptions,
  type IndexProgress,
  type IndexResult,
  indexDocuments,
} from "./indexing/index-documents.js";
export { pack } from "./pack/packer.js";
export type {
  BlockOutcome,
  PackBlock,
  PackedBlock,
  PackedSection,
  PackInput,
  PackOutput,
  PackSection,
} from "./pack/types.js";
export { escapeLine, normalizeItem, normalizeLines } from "./render/normalize.js";
export {
  checkEnvelope,
  checkReadBatch,
  checkReadRequest,
  checkRecordAddress,
  checkRequestArray,
  checkTtl,
  checkWindowAppend,
} from "./stores/checks.js";
export { freezeCheckedJson, frozenJsonCopy, jsonDataProblem } from "./stores/json-data.js";
// Implementations owned by separate modules (each adds its exports below this line).
export { type MemoryStore, type MemoryStoreOptions, memoryStore } from "./stores/memory.js";
export type {
  AppendOutcome,
  OnlineReadBatch,
  OnlineReadResult,
  OnlineStore,
  ReadRequest,
  ReadResult,
  RecordAddress,
  ValueWrite,
  WindowAppend,
  WriteOutcome,
} from "./stores/types.js";
export { cachedCount } from "./tokenize/cache.js";
export { loadEncoding, tiktokenTokenizer } from "./tokenize/tiktoken.js";
export type { Tokenizer } from "./tokenize/types.js";
export type { AssemblyTrace, SourceTrace } from "./trace/types.js";
export { checkTenant, checkVector, checkVectorQuery, checkVectorRecord } from "./vector/checks.js";
export { type LocalEmbedderOptions, localEmbedder } from "./vector/local-embedder.js";
export { type MemoryVectorStore, type MemoryVectorStoreOptions, memoryVectorStore } from "./vector/memory.js";
export { type VectorBlock, type VectorBlockOptions, vectorHitsToBlock } from "./vector/results.js";
export type { Embedder, VectorHit, VectorQuery, VectorRecord, VectorStore } from "./vector/types.js";
