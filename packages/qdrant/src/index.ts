// @ctxstore/qdrant: a VectorStore for ctxstore on Qdrant (standalone or distributed).
export { pointId, type QdrantStoreOptions, type QdrantVectorStore, qdrantStore } from "./store.js";
