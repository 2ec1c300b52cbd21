// @ctxstore/ai-sdk: ctxstore context for the Vercel AI SDK. `contextMiddleware` packs context into
// every call of a wrapped model; `embedderFromAiSdk` turns an AI SDK embedding model into an Embedder.
export type { BudgetOptions } from "./budget.js";
export type { CacheBreakpoint } from "./cache-breakpoint.js";
export { type AiSdkEmbeddingModel, type EmbedderFromAiSdkOptions, embedderFromAiSdk } from "./embedder.js";
export {
  type ContextMiddleware,
  type ContextMiddlewareOptions,
  type ContextRequest,
  contextMiddleware,
  PROVIDER_KEY,
} from "./middleware.js";
export type { ContextPlacement } from "./prompt.js";
export { SPAN_NAME, type TelemetryOptions } from "./telemetry.js";
export { contextTrace } from "./trace-metadata.js";
