// The language-model middleware: wrap a model once and every generateText/streamText call gets its
// packed context. Assembly happens in `transformParams`, before the model is called, so a required
// source that is unavailable fails the call without spending a model request; the trace rides back
// on the result's provider metadata (generate) or on the stream's finish part (stream).
import type { LanguageModelV3CallOptions, LanguageModelV4CallOptions } from "@ai-sdk/provider";
import {
  type AssembleResult,
  type AssemblyTrace,
  type ContextStore,
  CtxError,
  checkRequestLayer,
  type Duration,
  type EntityKeys,
  isContextLeftOutWarning,
  mergeRequestLayers,
  type RequestLayer,
} from "@ctxstore/core";
import { type BudgetOptions, decideBudget, resolveBudgetOptions } from "./budget.js";
import { CACHE_BREAKPOINTS, type CacheBreakpoint, contextSystemMessages } from "./cache-breakpoint.js";
import {
  type ContextPlacement,
  lastUserIndex,
  lastUserText,
  type PromptMessage,
  withContext,
  withSystemContext,
} from "./prompt.js";
import { checkTelemetryOptions, type TelemetryOptions, traceAssembly } from "./telemetry.js";
import { tokenCountCache } from "./token-count-cache.js";
import { toProviderMetadata } from "./trace-metadata.js";

/** The default key of the middleware's entries in `providerOptions` and `providerMetadata`. */
export const PROVIDER_KEY = "ctxstore";

/**
 * One call's context request, as `providerOptions.ctxstore` (or a `request` function) gives it: core's
 * request layer with `keys` required, e.g. `{ keys: { user: { userId: "u1" } }, budget: { maxTokens: 800 } }`.
 * It is checked by core's `checkRequestLayer`, so a bad one fails as `ctx.assemble` would.
 */
export type ContextRequest = RequestLayer & {
  keys: EntityKeys;
  /** This call's prompt-cache breakpoint; overrides the middleware's `cacheBreakpoint`. */
  cacheBreakpoint?: CacheBreakpoint | undefined;
};

/**
 * Options of `contextMiddleware`: the context store and budget (required); optionally a `request`
 * function building each call's request, what to do when a call has none, where the context goes
 * (`placement`), prompt-cache breakpoints, the deadline, telemetry and an `onAssembled` hook.
 */
export interface ContextMiddlewareOptions<CallOptions> {
  /** The context store built with `createContextStore`. */
  contextStore: ContextStore;
  /** A fixed token budget, a context window to derive it from, or both (see `BudgetOptions`). */
  budget: BudgetOptions;
  /**
   * Builds the call's request from its parameters instead of reading `providerOptions.ctxstore`.
   * Return `null` to call the model without context; the result is validated like the JSON would be.
   */
  request?:
    | ((
        params: CallOptions,
        type: "generate" | "stream",
      ) => ContextRequest | null | undefined | PromiseLike<ContextRequest | null | undefined>)
    | undefined;
  /**
   * A call without `providerOptions.ctxstore` (or whose `request` function returned undefined):
   * `"error"` (default) rejects it with `CTX_INVALID_REQUEST`; `"pass-through"` calls the model
   * unchanged, for models shared by calls that need no context.
   */
  whenMissing?: "error" | "pass-through" | undefined;
  /**
   * `"system"` (default): a system message after the caller's own leading system messages.
   * `"user-prefix"`: a text part at the start of the last user message.
   */
  placement?: ContextPlacement | undefined;
  /**
   * `"anthropic"`: with `placement: "system"`, the context becomes two system messages, the stable
   * prefix (the leading sections whose sources are all batch-tier) and the rest, and the first is
   * marked with Anthropic's `cacheControl` so the provider caches the prompt up to its end.
   * `"none"` (default): one unmarked message, which is all OpenAI's automatic prefix caching needs.
   * A call's `cacheBreakpoint` (in `providerOptions.ctxstore`) overrides it.
   */
  cacheBreakpoint?: CacheBreakpoint | undefined;
  /** Assembly deadline; default the store's. A call's `deadline` overrides it. */
  deadline?: Duration | undefined;
  /**
   * The key read from `providerOptions` and written to `providerMetadata`. Default "ctxstore".
   * Give each of two chained context middlewares its own key.
   */
  providerKey?: string | undefined;
  telemetry?: TelemetryOptions | undefined;
  /**
   * Called with each call's assembly (its text, sections, values and trace) once it is done, before
   * the model is called: e.g. to show the browser what the model saw. A throw fails the call.
   */
  onAssembled?:
    | ((result: AssembleResult, call: { type: "generate" | "stream"; params: CallOptions }) => void)
    | undefined;
}

type CallParams = {
  prompt: PromptMessage[];
  providerOptions?: Record<string, unknown> | undefined;
  maxOutputTokens?: number | undefined;
  tools?: unknown[] | undefined;
  abortSignal?: AbortSignal | undefined;
};

/**
 * The middleware object. Its methods are generic over the SDK's parameter and result types, so it is
 * assignable to `LanguageModelMiddleware` of whichever `ai` (and `@ai-sdk/provider`) version the
 * application installed, not only the one this package was built against.
 */
export interface ContextMiddleware<Version extends "v3" | "v4"> {
  readonly specificationVersion: Version;
  /**
   * Assembles the context for this call (keys from `providerOptions.ctxstore`, query from the last user
   * message) and returns the params with the packed text placed in the prompt and `providerOptions.ctxstore`
   * removed. Rejects with the assembly's `CtxError`; the model is then never called.
   */
  transformParams<Params extends object>(options: {
    type: "generate" | "stream";
    params: Params;
    model: unknown;
  }): PromiseLike<Params>;
  /** Calls the model and attaches the assembly trace to the result as `providerMetadata.ctxstore`. */
  wrapGenerate<Result extends object>(options: {
    doGenerate: () => PromiseLike<Result>;
    params: object;
  }): PromiseLike<Result>;
  /** Calls the model and attaches the assembly trace to the `finish` part as `providerMetadata.ctxstore`. */
  wrapStream<Result extends { stream: ReadableStream<unknown> }>(options: {
    doStream: () => PromiseLike<Result>;
    params: object;
  }): PromiseLike<Result>;
}

/**
 * Context middleware for `wrapLanguageModel`. Returns a specification-v4 middleware (ai@7); pass
 * `specificationVersion: "v3"` for ai@6.
 */
export function contextMiddleware(
  options: ContextMiddlewareOptions<LanguageModelV4CallOptions> & { specificationVersion?: "v4" },
): ContextMiddleware<"v4">;
export function contextMiddleware(
  options: ContextMiddlewareOptions<LanguageModelV3CallOptions> & { specificationVersion: "v3" },
): ContextMiddleware<"v3">;
export function contextMiddleware(
  options: ContextMiddlewareOptions<never> & { specificationVersion?: "v3" | "v4" },
): ContextMiddleware<"v3" | "v4"> {
  const settings = validateOptions(options);
  // Traces of assembled calls, keyed by the parameter object `transformParams` returned: the AI SDK
  // hands that same object to `wrapGenerate`/`wrapStream`, even with other middlewares around.
  const traces = new WeakMap<object, AssemblyTrace>();
  let ready: Promise<void> | undefined;
  const promptCounter = tokenCountCache(settings.contextStore.tokenizer);

  async function transformParams({
    params,
    type,
  }: {
    params: CallParams;
    type: "generate" | "stream";
  }): Promise<CallParams> {
    const read = await readRequest(params, type);
    if (read === null) return withoutRequest(params);
    const { request, cacheBreakpoint } = read;
    const prompt = params.prompt;
    const userIndex = lastUserIndex(prompt);
    if (userIndex < 0 && (settings.placement === "user-prefix" || request.query === undefined)) {
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        settings.placement === "user-prefix"
          ? 'The prompt has no user message to prefix the context to: add one, or use placement: "system".'
          : `The prompt has no user message to take the query from: add one, or pass the query explicitly in providerOptions.${settings.providerKey}.query.`,
        { placement: settings.placement, roles: prompt.map((message) => message.role) },
      );
    }
    const query = request.query ?? lastUserText(prompt);
    if (settings.needsTokenizer) {
      ready ??= settings.contextStore.ready();
      await ready;
    }
    const budget = decideBudget(
      settings.budget,
      {
        prompt,
        tools: params.tools,
        maxOutputTokens: params.maxOutputTokens,
        placement: settings.placement,
        requestedMaxTokens: request.budget?.maxTokens,
        contextMessages: cacheBreakpoint === "none" ? 1 : 2,
      },
      promptCounter,
    );
    // Layers, later ones winning: the middleware's deadline, the call's request, then what the
    // middleware derives for this call (question, budget, the call's abort signal).
    const assembleRequest = mergeRequestLayers([
      { deadline: settings.deadline },
      request,
      { query: query || undefined, budget: { maxTokens: budget.maxTokens }, signal: params.abortSignal },
    ]);
    const result: AssembleResult = await traceAssembly(
      settings.telemetry,
      {
        "ctxstore.operation": type,
        "ctxstore.placement": settings.placement,
        "ctxstore.cache_breakpoint": cacheBreakpoint,
      },
      () => settings.contextStore.assemble(assembleRequest),
    );
    // An aborted call (the user left) ends here rather than spending a model request.
    params.abortSignal?.throwIfAborted();
    settings.onAssembled?.(result, { type, params: params as never });
    const transformed: CallParams = {
      ...withoutRequest(params),
      prompt:
        result.text.length === 0
          ? prompt
          : settings.placement === "system"
            ? withSystemContext(
                prompt,
                contextSystemMessages(result, settings.contextStore.sources, cacheBreakpoint),
              )
            : withContext(prompt, result.text, settings.placement),
    };
    traces.set(transformed, result.trace);
    return transformed;
  }

  async function readRequest(
    params: CallParams,
    type: "generate" | "stream",
  ): Promise<{ request: ContextRequest; cacheBreakpoint: CacheBreakpoint } | null> {
    let input: unknown;
    let origin: string;
    if (settings.request) {
      input = await settings.request(params as never, type);
      origin = "The result of contextMiddleware's `request` function";
      if (input === null) return null;
    } else {
      input = params.providerOptions?.[settings.providerKey];
      origin = `providerOptions.${settings.providerKey}`;
    }
    if (input === undefined) {
      if (settings.whenMissing === "pass-through") return null;
      throw new CtxError(
        "CTX_INVALID_REQUEST",
        settings.request
          ? "contextMiddleware's `request` function returned undefined: return the request, or null to call the model without context."
          : `This call has no providerOptions.${settings.providerKey}, so the model would run without context. Pass providerOptions: { ${settings.providerKey}: { keys: { <entity>: <key> } } } (and optionally query, budget: { maxTokens }, deadline, sources, tenant), or create the middleware with whenMissing: "pass-through".`,
        { origin },
      );
    }
    // `cacheBreakpoint` is the middleware's own field: taken out before core checks the rest strictly.
    let cacheBreakpoint = settings.cacheBreakpoint;
    if (input !== null && typeof input === "object" && "cacheBreakpoint" in input) {
      const { cacheBreakpoint: requested, ...layer } = input as { cacheBreakpoint?: unknown };
      input = layer;
      if (requested !== undefined) {
        cacheBreakpoint = checkCacheBreakpoint(requested, settings.placement, (message) => {
          throw new CtxError("CTX_INVALID_REQUEST", `${origin}.cacheBreakpoint: ${message}`, {
            origin,
            cacheBreakpoint: requested,
          });
        });
      }
    }
    const request = checkRequestLayer(input, origin, { requireKeys: true }) as ContextRequest;
    return { request, cacheBreakpoint };
  }

  // The request is for this middleware only: entity keys (often user ids) are not forwarded to the
  // provider, and the caller's other provider options pass through untouched.
  function withoutRequest(params: CallParams): CallParams {
    const providerOptions = params.providerOptions;
    if (!providerOptions || !(settings.providerKey in providerOptions)) return params;
    const { [settings.providerKey]: _request, ...rest } = providerOptions;
    return { ...params, providerOptions: rest };
  }

  type StreamPart = {
    type: string;
    providerMetadata?: Record<string, unknown>;
    warnings?: readonly unknown[];
  };

  return {
    specificationVersion: settings.specificationVersion,
    transformParams: (options) => transformParams(options as never) as never,
    async wrapGenerate({ doGenerate, params }) {
      const result = (await doGenerate()) as {
        providerMetadata?: Record<string, unknown>;
        warnings?: readonly unknown[];
      };
      const trace = traces.get(params);
      if (!trace) return result as never;
      return {
        ...result,
        warnings: [...(result.warnings ?? []), ...callWarnings(trace)],
        providerMetadata: { ...result.providerMetadata, [settings.providerKey]: toProviderMetadata(trace) },
      } as never;
    },
    async wrapStream({ doStream, params }) {
      const result = await doStream();
      const trace = traces.get(params);
      if (!trace) return result;
      const metadata = toProviderMetadata(trace);
      const stream = (result.stream as ReadableStream<StreamPart>).pipeThrough(
        new TransformStream<StreamPart, StreamPart>({
          transform(part, controller) {
            if (part.type === "stream-start") {
              const started = part as StreamPart & { warnings?: readonly unknown[] };
              controller.enqueue({
                ...started,
                warnings: [...(started.warnings ?? []), ...callWarnings(trace)],
              });
              return;
            }
            controller.enqueue(
              part.type === "finish"
                ? {
                    ...part,
                    providerMetadata: { ...part.providerMetadata, [settings.providerKey]: metadata },
                  }
                : part,
            );
          },
        }),
      );
      return { ...result, stream };
    },
  };
}

interface Settings {
  readonly contextStore: ContextStore;
  readonly specificationVersion: "v3" | "v4";
  readonly budget: ReturnType<typeof resolveBudgetOptions>;
  readonly request: ContextMiddlewareOptions<never>["request"];
  readonly whenMissing: "error" | "pass-through";
  readonly placement: ContextPlacement;
  readonly cacheBreakpoint: CacheBreakpoint;
  readonly deadline: Duration | undefined;
  readonly providerKey: string;
  readonly telemetry: TelemetryOptions;
  readonly onAssembled: ContextMiddlewareOptions<never>["onAssembled"];
  /** Deriving the budget counts prompt tokens, which needs the store's tokenizer loaded. */
  readonly needsTokenizer: boolean;
}

function validateOptions(
  options: ContextMiddlewareOptions<never> & { specificationVersion?: "v3" | "v4" },
): Settings {
  const fail = (message: string): never => {
    throw new CtxError("CTX_CONFIG", `contextMiddleware: ${message}`);
  };
  if (options === null || typeof options !== "object")
    fail("pass an options object: contextMiddleware({ contextStore, budget }).");
  const { contextStore } = options;
  if (!contextStore || typeof contextStore.assemble !== "function")
    fail("`contextStore` must be a ContextStore from createContextStore().");
  const specificationVersion = options.specificationVersion ?? "v4";
  if (specificationVersion !== "v3" && specificationVersion !== "v4") {
    fail(
      `\`specificationVersion\` must be "v4" (ai@7) or "v3" (ai@6); got ${JSON.stringify(specificationVersion)}.`,
    );
  }
  const placement = options.placement ?? "system";
  if (placement !== "system" && placement !== "user-prefix")
    fail(`\`placement\` must be "system" or "user-prefix"; got ${JSON.stringify(placement)}.`);
  const cacheBreakpoint =
    options.cacheBreakpoint === undefined
      ? "none"
      : checkCacheBreakpoint(options.cacheBreakpoint, placement, (message) =>
          fail(`\`cacheBreakpoint\`: ${message}`),
        );
  const whenMissing = options.whenMissing ?? "error";
  if (whenMissing !== "error" && whenMissing !== "pass-through") {
    fail(`\`whenMissing\` must be "error" or "pass-through"; got ${JSON.stringify(whenMissing)}.`);
  }
  if (options.request !== undefined && typeof options.request !== "function")
    fail("`request` must be a function of the call parameters.");
  if (options.onAssembled !== undefined && typeof options.onAssembled !== "function")
    fail("`onAssembled` must be a function of the assembly result.");
  // The request fields among the options are checked by core, with its error (as in every adapter).
  checkRequestLayer({ deadline: options.deadline }, "contextMiddleware options");
  const providerKey = options.providerKey ?? PROVIDER_KEY;
  if (typeof providerKey !== "string" || !/^[A-Za-z][\w-]{0,63}$/.test(providerKey)) {
    fail(
      `\`providerKey\` must be an identifier like "ctxstore" or "catalog"; got ${JSON.stringify(providerKey)}.`,
    );
  }
  const telemetry = checkTelemetryOptions(options.telemetry, fail);
  const budget = resolveBudgetOptions(options.budget);
  return {
    contextStore,
    specificationVersion,
    budget,
    request: options.request,
    whenMissing,
    placement,
    cacheBreakpoint,
    deadline: options.deadline,
    providerKey,
    telemetry,
    onAssembled: options.onAssembled,
    needsTokenizer: budget.contextWindow !== undefined,
  };
}

/**
 * The call warnings (AI SDK `result.warnings`) for an assembly whose budget left out every source or
 * a whole reserved section: the model got less context than it should, which the caller must hear about. The full list is in the trace too.
 */
function callWarnings(trace: AssemblyTrace): { type: "other"; message: string }[] {
  return trace.warnings
    .filter((warning) => isContextLeftOutWarning(warning))
    .map((message) => ({ type: "other", message: `ctxstore: ${message}` }));
}

/** A cache breakpoint from the options or a call, with the message a bad one fails with. */
function checkCacheBreakpoint(
  value: unknown,
  placement: ContextPlacement,
  fail: (message: string) => never,
): CacheBreakpoint {
  if (!CACHE_BREAKPOINTS.includes(value as CacheBreakpoint)) {
    fail(`must be "anthropic" or "none"; got ${JSON.stringify(value)}.`);
  }
  // A prefix of the last user message moves with the conversation: there is no stable prefix to mark.
  if (value === "anthropic" && placement !== "system") {
    fail(
      '"anthropic" needs placement: "system" (the context\'s stable prefix is then a cacheable system message).',
    );
  }
  return value as CacheBreakpoint;
}
