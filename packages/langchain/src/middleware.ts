// Agent middleware for `langchain` v1 (`createAgent({ middleware: [contextMiddleware(...)] })`): before
// every model call it assembles the packed context for the conversation's latest question and appends
// it to the system prompt for that call only. Nothing is written to the agent's state, so each step
// of a tool loop sees fresh context (a realtime value read at step 1 is read again at step 3) and the
// message history never accumulates stale copies.
import type { AssembleResult } from "@ctxstore/core";
import { CtxError, mergeRequestLayers } from "@ctxstore/core";
import { type BaseMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { createMiddleware, type ModelRequest } from "langchain";
import { type ContextRequestOptions, checkAdapterOptions, readCallOptions } from "./request.js";
import { emitTrace } from "./trace-event.js";

export interface ContextMiddlewareOptions extends ContextRequestOptions {
  /** Picks the question from the model request. Default: the text of the last human message. */
  query?: ((request: ModelRequest) => string | undefined) | undefined;
  /**
   * The text added to the system prompt. Default: the packed context as is (sections with headings).
   * Return "" to add nothing for this call.
   */
  format?: ((packed: AssembleResult) => string) | undefined;
  /** Middleware name (must be unique within one agent). Default "ctxstore". */
  name?: string | undefined;
}

/**
 * Middleware for `langchain` v1 agents (`createAgent`): before every model call, assembles context for
 * the last human message (keys from the options, `config.configurable.ctxstore` or the invocation's
 * `context.ctxstore`) and appends the packed text to the system prompt. Bad options throw
 * `CTX_CONFIG` or core's request errors when it is built.
 *
 * ```ts
 * const agent = createAgent({
 *   model,
 *   tools: [],
 *   middleware: [contextMiddleware({ contextStore: ctx, budget: { maxTokens: 1500 } })],
 * });
 * await agent.invoke({ messages }, { context: { ctxstore: { keys: { customer: { customerId: "c1" } } } } });
 * ```
 */
export function contextMiddleware(options: ContextMiddlewareOptions) {
  const { query: pickQuery, format, name, ...requestOptions } = options ?? ({} as ContextMiddlewareOptions);
  const defaults = checkAdapterOptions(requestOptions, "contextMiddleware");
  const store = requestOptions.contextStore;
  for (const [field, value] of [
    ["query", pickQuery],
    ["format", format],
  ] as const) {
    if (value !== undefined && typeof value !== "function") {
      throw new CtxError("CTX_CONFIG", `contextMiddleware option \`${field}\` must be a function.`, {
        field,
      });
    }
  }
  return createMiddleware({
    name: name ?? "ctxstore",
    wrapModelCall: async (request, handler) => {
      const runtime = request.runtime as { context?: unknown; configurable?: unknown; signal?: AbortSignal };
      // Agent context (typed, per invocation) wins over configurable, entity by entity; the question
      // read from the conversation wins over a configured one.
      const assembleRequest = mergeRequestLayers([
        defaults,
        readCallOptions(runtime.configurable, "config.configurable"),
        readCallOptions(runtime.context, "context"),
        { query: pickQuery ? pickQuery(request) : lastHumanText(request.messages), signal: runtime.signal },
      ]);
      const packed = await store.assemble(assembleRequest);
      // No explicit config: the model node's run is found in async context, so the event is attached to it.
      await emitTrace(packed.trace);
      const addition: unknown = format ? format(packed) : packed.text;
      if (typeof addition !== "string") {
        throw new CtxError(
          "CTX_CONFIG",
          `contextMiddleware \`format\` must return a string; got ${typeof addition}.`,
          {},
        );
      }
      if (addition.length === 0) return handler(request);
      return handler({ ...request, systemMessage: withContext(request.systemMessage, addition) });
    },
  });
}

function lastHumanText(messages: readonly BaseMessage[]): string | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (HumanMessage.isInstance(message)) {
      const text = message.text.trim();
      return text.length === 0 ? undefined : text;
    }
  }
  return undefined;
}

/**
 * The system message plus the context. A string prompt stays a string (what providers cache best);
 * a prompt made of content blocks (e.g. with cache_control) keeps its blocks and gains a text block.
 */
function withContext(existing: SystemMessage, addition: string): SystemMessage {
  if (typeof existing.content !== "string") return existing.concat(`\n\n${addition}`);
  const content = existing.content.length === 0 ? addition : `${existing.content}\n\n${addition}`;
  return new SystemMessage({
    content,
    additional_kwargs: existing.additional_kwargs,
    response_metadata: existing.response_metadata,
    ...(existing.id === undefined ? {} : { id: existing.id }),
    ...(existing.name === undefined ? {} : { name: existing.name }),
  });
}
