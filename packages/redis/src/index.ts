// @ctxstore/redis: the Redis online store (standalone, Cluster, Sentinel) and the Redis Streams ingest
// worker. Test helpers (spawned servers) live in "@ctxstore/redis/testing".
export type { BodyCodec } from "./codec.js";
export type { RedisClient, RedisConnectionOptions } from "./connection.js";
export type { Durability, DurabilityOptions } from "./durability.js";
export {
  type ExtraReadStore,
  type HashFieldRead,
  type HashFieldReply,
  type ReadWithExtrasResult,
  supportsExtraReads,
} from "./extra-reads.js";
export {
  createStreamIngestor,
  type StreamIngestor,
  type StreamIngestorCounters,
  type StreamIngestorOptions,
} from "./ingest/ingestor.js";
export {
  createStreamProducer,
  type PublishOptions,
  type StreamProducer,
  type StreamProducerOptions,
} from "./ingest/producer.js";
export { decodeStreamEvent, encodeStreamEvent, type StreamEvent } from "./ingest/wire.js";
export { clusterSlot, type KeyLayout, keyLayout } from "./layout.js";
export { type IngestorMetricsOptions, type MeterProviderLike, observeIngestor } from "./metrics.js";
export { type RedisOnlineStore, type RedisStoreOptions, redisStore } from "./store.js";
