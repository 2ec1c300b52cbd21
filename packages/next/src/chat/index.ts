// @ctxstore/next/chat: the ready chat route on the AI SDK (ai@7) and ctxstore's context middleware.
export {
  type ChatMessageMetadata,
  type ChatRouteOptions,
  type ContextUIMessage,
  chatRoute,
} from "./chat-route.js";
