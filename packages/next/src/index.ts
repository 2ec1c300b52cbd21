// @ctxstore/next: App Router route-handler helpers. Context-aware handlers (`withContext`), the
// session-events route, the context-inspection route, and their building blocks. The chat route
// helper lives in "@ctxstore/next/chat" so apps without the AI SDK do not load it.
export { type BodyResult, readJsonBody } from "./body.js";
export { type EventsRouteOptions, eventsRoute, type InvalidField } from "./events-route.js";
export {
  checkKeys,
  type Identify,
  type IdentityResult,
  identitySubject,
  type RequestIdentity,
  readCookie,
  resolveIdentity,
} from "./identity.js";
export { type InspectRouteOptions, inspectRoute, parseInspectQuery } from "./inspect-route.js";
export { type InspectorPageRouteOptions, inspectorPageRoute } from "./inspector-page-route.js";
export {
  type MemoryRateLimiterOptions,
  memoryRateLimiter,
  type RateDecision,
  type RateLimiter,
} from "./rate-limit.js";
export {
  ctxErrorResponse,
  type ErrorBody,
  errorResponse,
  jsonResponse,
  statusForCtxError,
  UNAVAILABLE_MESSAGE,
} from "./responses.js";
export {
  type AssemblyOptions,
  assembleForRequest,
  type ContextArguments,
  type ContextHandler,
  type RouteHandler,
  type WithContextOptions,
  withContext,
} from "./with-context.js";
