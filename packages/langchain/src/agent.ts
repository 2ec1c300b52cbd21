// @ctxstore/langchain/agent: the middleware for `langchain` v1 agents. A separate entry point because
// importing `langchain` loads LangGraph (about a second at startup), and chains and retrievers need
// only `@langchain/core`: `langchain` stays an optional peer for applications that never build agents.
export { type ContextMiddlewareOptions, contextMiddleware } from "./middleware.js";
