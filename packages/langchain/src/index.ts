// @ctxstore/langchain: ctxstore context for LangChain.js. A retriever (one Document per context item,
// statuses in the metadata), an LCEL runnable (the packed text), agent middleware for langchain v1
// (packed context in the system prompt of every model call), and the assembly trace as a custom
// callback event.
export { type ContextItem, contextItems } from "./items.js";
export { type ContextMiddlewareOptions, contextMiddleware } from "./middleware.js";
export {
  type CallOptions,
  type ContextRequestOptions,
  callOptionsSchema,
  type EntityKeys,
} from "./request.js";
export {
  type ContextDocumentMetadata,
  ContextStoreRetriever,
  type ContextStoreRetrieverOptions,
} from "./retriever.js";
export { type ContextInput, type ContextRunnableOptions, contextRunnable } from "./runnable.js";
export { TRACE_EVENT } from "./trace-event.js";
