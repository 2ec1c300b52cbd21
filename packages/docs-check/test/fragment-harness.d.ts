// The harness fragments are type-checked in (blocks marked ```ts fragment). A fragment is a piece
// of the page around it, so it may use, without importing or defining them:
// - every value export of @ctxstore/core, redisStore / createStreamProducer / createStreamIngestor
//   from @ctxstore/redis, qdrantStore from @ctxstore/qdrant, and zod's `z`;
// - the names the guides build up and reuse: `ctx` (a context store), `request`, the entities
//   `user` / `session` / `customer`, sources such as `profile` or `recent` (any tier), `embedder`,
//   `url` (a Redis URL); for docs/training-data.md, `offline` (a DuckDB offline store), its sources
//   `customerProfile` / `openOrders` and `labels` (label events).
// Its own imports and declarations shadow these (each fragment is a module). Names a page uses
// beyond these make the fragment fail: define them in the block, or add them here with their type.
import type * as core from "@ctxstore/core";
import type * as duckdb from "@ctxstore/duckdb";
import type * as qdrant from "@ctxstore/qdrant";
import type * as redis from "@ctxstore/redis";
import type { z as zod } from "zod";

declare global {
  const z: typeof zod;
  const createContextStore: typeof core.createContextStore;
  const defineEntity: typeof core.defineEntity;
  const batch: typeof core.batch;
  const stream: typeof core.stream;
  const realtime: typeof core.realtime;
  const vector: typeof core.vector;
  const section: typeof core.section;
  const empty: typeof core.empty;
  const isCtxError: typeof core.isCtxError;
  const CtxError: typeof core.CtxError;
  const memoryStore: typeof core.memoryStore;
  const memoryVectorStore: typeof core.memoryVectorStore;
  const localEmbedder: typeof core.localEmbedder;
  const indexDocuments: typeof core.indexDocuments;
  const redisStore: typeof redis.redisStore;
  const createStreamProducer: typeof redis.createStreamProducer;
  const createStreamIngestor: typeof redis.createStreamIngestor;
  const qdrantStore: typeof qdrant.qdrantStore;

  const ctx: core.ContextStore;
  const request: core.AssembleRequest;
  const user: core.Entity;
  const session: core.Entity;
  const customer: core.Entity;
  const profile: core.AnySource;
  const recent: core.AnySource;
  const embedder: core.Embedder;
  const url: string;
  const offline: duckdb.DuckdbOfflineStore;
  const customerProfile: core.BatchSource;
  const openOrders: core.BatchSource;
  const labels: duckdb.LabelInput;
}
