// The ready chat route: `export const POST = chatRoute({ contextStore, identify, model })`. It reads the
// UI messages `useChat` posts, identifies the user, and streams the model's answer as the AI SDK's
// UI-message stream, with the model wrapped in ctxstore's context middleware so the packed context
// (profile, live session, realtime lookups, retrieved articles) reaches the model as a system
// message. The assembly trace of each answer is sent to the browser as message metadata
// (`message.metadata.ctxstore`), so the page can show what the model saw and what was unavailable.
import { type BudgetOptions, type ContextMiddlewareOptions, contextMiddleware } from "@ctxstore/ai-sdk";
import {
  type AssembleResult,
  type AssemblyTrace,
  type ContextStore,
  DEFAULT_BUDGET,
  type Duration,
  isCtxError,
} from "@ctxstore/core";
import {
  convertToModelMessages,
  type LanguageModelMiddleware,
  safeValidateUIMessages,
  streamText,
  type UIMessage,
  wrapLanguageModel,
} from "ai";
import { readJsonBody } from "../body.js";
import { checkKeys, type Identify, type RequestIdentity, resolveIdentity } from "../identity.js";
import { ctxErrorResponse, errorResponse, statusForCtxError, UNAVAILABLE_MESSAGE } from "../responses.js";

type WrappableModel = Parameters<typeof wrapLanguageModel>[0]["model"];

/**
 * Options of `chatRoute`: the context store, `identify` (who is chatting), the model (or a function
 * choosing one per user), and optionally the keys, budget, deadline, placement, extra middleware and
 * request limits.
 */
export interface ChatRouteOptions {
  contextStore: ContextStore;
  /** Reads who is chatting (session cookie, header...). Null → 401 before the model is called. */
  identify: Identify;
  /** The model, or a function choosing one per user (e.g. a mock offline, a real one with a key). */
  model: WrappableModel | ((identity: RequestIdentity) => WrappableModel);
  /**
   * The entity keys to assemble for. Default: `identity.keys`. Use it to add what this request is
   * about, e.g. the product on screen from the body `useChat` sends (`sendMessage(text, { body })`);
   * body values are untrusted and are validated against the entity's key schema.
   */
  keys?: (input: {
    identity: RequestIdentity;
    body: Readonly<Record<string, unknown>>;
  }) => Readonly<Record<string, unknown>>;
  /** Your own system prompt; the packed context follows it as a separate system message. */
  system?: string | ((identity: RequestIdentity) => string);
  /** Context token budget. Default core's `DEFAULT_BUDGET` ({ maxTokens: 1500 }); `{ contextWindow }` derives it from the prompt. */
  budget?: BudgetOptions | undefined;
  /** Assembly deadline. Default: the context store's. */
  deadline?: Duration | undefined;
  placement?: ContextMiddlewareOptions<never>["placement"] | undefined;
  /** Reply length cap passed to the model. */
  maxOutputTokens?: number;
  /** Largest accepted request body. Default 512 KiB (a long conversation). */
  maxBodyBytes?: number;
  /** Most messages accepted in one request. Default 100. */
  maxMessages?: number;
  /** Middlewares applied around the context middleware (guardrails, logging). */
  middleware?: LanguageModelMiddleware | LanguageModelMiddleware[];
  /**
   * The text sent to the browser when the stream fails. Default: for a request error (a bad key in
   * the body) its message; for an unavailable context its code and "retry shortly"; otherwise a
   * generic message. Details go to `onError`.
   */
  errorMessage?: (error: unknown) => string;
  /**
   * Also send the packed context (its text and sections) to the browser in the message metadata, as
   * `metadata.context`. Default false: it holds what the store knows about the user, so send it only
   * to a page that may show it (e.g. a "why this answer" panel).
   */
  sendContext?: boolean;
  /** Called with stream errors, for your logs. Default: the AI SDK's (it logs them to the console). */
  onError?: (error: unknown) => void;
}

/** What the route puts in each assistant message's metadata. */
export interface ChatMessageMetadata {
  ctxstore?: AssemblyTrace;
  /** With `sendContext`: the packed context the model received. */
  context?: {
    text: string;
    tokens: number;
    sections: { title: string; text: string; tokens: number; sources: readonly string[] }[];
  };
}

/** A UIMessage whose metadata may carry the ctxstore trace (for `useChat<ContextUIMessage>()`). */
export type ContextUIMessage = UIMessage<ChatMessageMetadata>;

/**
 * A POST route handler for the AI SDK's `useChat`: identifies the caller (401 when unknown), streams
 * the model's answer with ctxstore context assembled for that user in its prompt, and sends the
 * assembly trace as message metadata. A malformed request answers 400 (413 when too large); an
 * assembly that fails (a required source unavailable) reaches the browser as the stream's error
 * message, with the error code and what to do.
 *
 * ```ts
 * // app/api/chat/route.ts
 * export const POST = chatRoute({ contextStore: shop, identify, model: openai("gpt-4o-mini") });
 * ```
 */
export function chatRoute(options: ChatRouteOptions): (request: Request) => Promise<Response> {
  const maxBodyBytes = options.maxBodyBytes ?? 512 * 1024;
  const maxMessages = options.maxMessages ?? 100;
  // Validated once, here: a misconfigured budget fails at startup, not on the first chat.
  const middlewareFor = (onAssembled?: (result: AssembleResult) => void) => [
    ...toArray(options.middleware),
    contextMiddleware({
      contextStore: options.contextStore,
      budget: options.budget ?? DEFAULT_BUDGET,
      deadline: options.deadline,
      placement: options.placement,
      onAssembled,
    }),
  ];
  const middlewares = middlewareFor();
  // With `sendContext`, each request gets its own middleware whose `onAssembled` keeps that request's
  // assembly; otherwise one wrapped model serves every request.
  const fixedModel =
    typeof options.model === "function" || options.sendContext
      ? undefined
      : wrapLanguageModel({ model: options.model, middleware: middlewares });
  const errorMessage = options.errorMessage ?? defaultErrorMessage;

  return async (request) => {
    const identified = await resolveIdentity(options.identify, request);
    if (!identified.ok) return identified.response;
    const { identity } = identified;

    const body = await readJsonBody(request, maxBodyBytes);
    if (!body.ok) return body.response;
    if (body.value === null || typeof body.value !== "object" || Array.isArray(body.value)) {
      return errorResponse(400, {
        error: "invalid_messages",
        message: 'Send { "messages": [ ...UI messages ] } as useChat does.',
      });
    }
    const fields = body.value as Readonly<Record<string, unknown>>;
    const rawMessages = fields.messages;
    if (!Array.isArray(rawMessages) || rawMessages.length === 0) {
      return errorResponse(400, {
        error: "invalid_messages",
        message: 'Send { "messages": [ ...UI messages ] } as useChat does, with at least one message.',
      });
    }
    if (rawMessages.length > maxMessages) {
      return errorResponse(413, {
        error: "payload_too_large",
        message: `${rawMessages.length} messages; the limit is ${maxMessages}. Trim the conversation.`,
      });
    }
    const validated = await safeValidateUIMessages<ContextUIMessage>({ messages: rawMessages });
    if (!validated.success) {
      return errorResponse(400, {
        error: "invalid_messages",
        message: `The messages are not valid UI messages: ${validated.error.message}`,
      });
    }
    // The system prompt is the server's: a browser must not be able to smuggle one in.
    if (validated.data.some((message) => message.role === "system")) {
      return errorResponse(400, {
        error: "invalid_messages",
        message: "System messages are set by the server; send only user and assistant messages.",
      });
    }
    const last = validated.data[validated.data.length - 1];
    if (last?.role !== "user") {
      return errorResponse(400, {
        error: "invalid_messages",
        message: "The last message must be the user's question.",
      });
    }

    let assembled: AssembleResult | undefined;
    const keys = options.keys ? options.keys({ identity, body: fields }) : identity.keys;
    try {
      checkKeys(options.contextStore, keys);
    } catch (error) {
      const response = ctxErrorResponse(error);
      if (response) return response;
      throw error;
    }

    const model =
      fixedModel ??
      wrapLanguageModel({
        model: typeof options.model === "function" ? options.model(identity) : options.model,
        middleware: options.sendContext
          ? middlewareFor((result) => {
              assembled = result;
            })
          : middlewares,
      });
    const system = typeof options.system === "function" ? options.system(identity) : options.system;
    const result = streamText({
      model,
      messages: await convertToModelMessages(validated.data),
      // The AI SDK's option types do not take undefined (exactOptionalPropertyTypes): spread them.
      ...(system === undefined ? {} : { system }),
      ...(options.maxOutputTokens === undefined ? {} : { maxOutputTokens: options.maxOutputTokens }),
      providerOptions: {
        ctxstore: {
          keys: toJson(keys),
          ...(identity.tenant === undefined ? {} : { tenant: identity.tenant }),
        },
      },
      abortSignal: request.signal,
      ...(options.onError ? { onError: ({ error }: { error: unknown }) => options.onError?.(error) } : {}),
    });
    return result.toUIMessageStreamResponse<ContextUIMessage>({
      originalMessages: validated.data,
      headers: { "cache-control": "no-store" },
      // The trace rides on the finish-step part's provider metadata; it reaches the browser as a
      // message-metadata chunk before the stream's finish.
      messageMetadata: ({ part }) => {
        if (part.type !== "finish-step") return undefined;
        const trace = part.providerMetadata?.ctxstore;
        if (!trace) return undefined;
        return {
          ctxstore: trace as unknown as AssemblyTrace,
          ...(assembled
            ? {
                context: {
                  text: assembled.text,
                  tokens: assembled.tokens,
                  sections: assembled.sections.map(({ title, text, tokens, sources }) => ({
                    title,
                    text,
                    tokens,
                    sources,
                  })),
                },
              }
            : {}),
        };
      },
      onError: errorMessage,
    });
  };
}

function toArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function defaultErrorMessage(error: unknown): string {
  if (!isCtxError(error)) return "The assistant failed to answer.";
  // Unavailability messages name servers and addresses: the browser gets the code and what to do.
  if (statusForCtxError(error.code) === 503) return `${error.code}: ${UNAVAILABLE_MESSAGE}`;
  return statusForCtxError(error.code) === 500
    ? `${error.code}: the assistant is misconfigured.`
    : error.message;
}

type JsonObject = { [key: string]: JsonValue };
type JsonValue = null | string | number | boolean | JsonValue[] | JsonObject;

/** Provider options must be JSON: keys come from the app's identify(), so normalise them once. */
function toJson(keys: Readonly<Record<string, unknown>>): JsonObject {
  return JSON.parse(JSON.stringify(keys)) as JsonObject;
}
