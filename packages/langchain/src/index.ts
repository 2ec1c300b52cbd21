// @ctxstore/langchain: ctxstore context for LangChain.js. A retriever (one Document per context item,
// statuses in the metadata), an LCEL runnable (the packed text), and the assembly trace as a custom
// callback event. The agent middleware is in "@ctxstore/langchain/agent" (it needs `langchain`).
export { type ContextItem, contextItems } from "./items.js";
export type { CallOptions, ContextRequestOptions, EntityKeys } from "./request.js";
export {
  type ContextDocumentMetadata,
  ContextStoreRetriever,
  type ContextStoreRetrieverOptions,
} from "./retriever.js";
export { type ContextInput, type ContextRunnableOptions, contextRunnable } from "./runnable.js";
export { TRACE_EVENT } from "./trace-event.js";
