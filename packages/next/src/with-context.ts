// Wraps an App Router route handler so it receives assembled context: identify who the request is
// about, assemble under a deadline (aborted if the client goes away), then call the handler with the
// packed text and the trace. Unavailable sources are not errors here: they arrive as statuses in the
// trace (and as "unknown" notes in the text) so the handler can say so; only a `required` source
// that is unavailable stops the request, with a 503.
import {
  type AssembleResult,
  type Budget,
  type ContextStore,
  checkRequestLayer,
  type Duration,
  isContextLeftOutWarning,
  mergeRequestLayers,
} from "@ctxstore/core";
import { type Identify, type RequestIdentity, resolveIdentity } from "./identity.js";
import { ctxErrorResponse } from "./responses.js";

/**
 * What a route helper assembles with: the context store, `identify`, and optional budget, deadline,
 * sources and format (checked once, when the helper is built).
 */
export interface AssemblyOptions {
  contextStore: ContextStore;
  /** Reads who the request is about (session cookie, header...). Null → 401. */
  identify: Identify;
  /** Token budget of the packed context. Default core's `DEFAULT_BUDGET` ({ maxTokens: 1500 }). */
  budget?: Budget | undefined;
  /** Assembly deadline. Default: the context store's ("250ms"). */
  deadline?: Duration | undefined;
  /** Restrict assembly to these source names. */
  sources?: readonly string[] | undefined;
  /** How sections are marked in the packed text: "markdown" or "xml". Default: the context store's. */
  format?: "markdown" | "xml" | undefined;
}

/** The request fields of the options, checked once by core (same error as `ctx.assemble`'s for them). */
export function checkAssemblyOptions(
  options: Pick<AssemblyOptions, "budget" | "deadline" | "sources" | "format">,
  helper: string,
): void {
  checkRequestLayer(
    { budget: options.budget, deadline: options.deadline, sources: options.sources, format: options.format },
    `${helper} options`,
  );
}

/** Options of `withContext`: the assembly options plus how to read the request's question. */
export interface WithContextOptions extends AssemblyOptions {
  /** The question vector sources search with and realtime resolvers receive (e.g. a search parameter). */
  query?: (request: Request, identity: RequestIdentity) => string | undefined | Promise<string | undefined>;
}

/**
 * The second argument `withContext` passes to its handler: the identity, the assembly and Next's route context.
 */
export interface ContextArguments<RouteContext> {
  readonly identity: RequestIdentity;
  /** The assembly: `text`, `tokens`, `sections`, `values` and `trace`. */
  readonly context: AssembleResult;
  /** Next.js's second route-handler argument (`{ params }`), passed through. */
  readonly route: RouteContext;
}

/** A `withContext` handler: gets the request and the assembled context, returns the Response. */
export type ContextHandler<RouteContext> = (
  request: Request,
  context: ContextArguments<RouteContext>,
) => Response | Promise<Response>;

/** A handler with Next.js's route-handler signature: `export const GET = withContext(...)`. */
export type RouteHandler<RouteContext> = (request: Request, route: RouteContext) => Promise<Response>;

/**
 * Assembles context for a request. Returns the assembly, or the Response to answer with instead
 * (401 from `identify`, 503 when a required source is unavailable, 400 for keys that do not match
 * their entity's schema).
 */
export async function assembleForRequest(
  options: AssemblyOptions,
  request: Request,
  query?: (identity: RequestIdentity) => string | undefined | Promise<string | undefined>,
): Promise<
  { ok: true; identity: RequestIdentity; context: AssembleResult } | { ok: false; response: Response }
> {
  const identified = await resolveIdentity(options.identify, request);
  if (!identified.ok) return identified;
  const { identity } = identified;
  try {
    const question = query ? await query(identity) : undefined;
    // Layers: the route's options, then who is asking, then this request's question and signal.
    const context = await options.contextStore.assemble(
      mergeRequestLayers([
        {
          budget: options.budget,
          deadline: options.deadline,
          sources: options.sources,
          format: options.format,
        },
        { keys: identity.keys, tenant: identity.tenant, principal: identity.principal },
        { query: question, signal: request.signal },
      ]),
    );
    return { ok: true, identity, context };
  } catch (error) {
    const response = ctxErrorResponse(error);
    if (response) return { ok: false, response };
    throw error;
  }
}

/**
 * `export const GET = withContext({ contextStore, identify }, async (request, { context }) => Response.json({ prompt: context.text }))`.
 * Runs on the Node.js runtime (the Redis client needs TCP sockets); see the package README for the edge runtime.
 */
export function withContext<RouteContext = unknown>(
  options: WithContextOptions,
  handler: ContextHandler<RouteContext>,
): RouteHandler<RouteContext> {
  checkAssemblyOptions(options, "withContext");
  const { query } = options;
  return async (request, route) => {
    const assembled = await assembleForRequest(
      options,
      request,
      query ? (identity) => query(request, identity) : undefined,
    );
    if (!assembled.ok) return assembled.response;
    try {
      const response = await handler(request, {
        identity: assembled.identity,
        context: assembled.context,
        route,
      });
      return withWarningHeader(response, assembled.context.warnings);
    } catch (error) {
      // ctxstore errors thrown by the handler (e.g. a write with a bad value) get the same JSON answer.
      const response = ctxErrorResponse(error);
      if (response) return response;
      throw error;
    }
  };
}

/** Response header naming what the budget left out: every source, or a whole reserved section. */
export const WARNING_HEADER = "x-ctxstore-warning";

/**
 * The handler's response with WARNING_HEADER set when the assembly's budget left out every source or
 * a whole reserved section (the first such warning), so a caller (or a proxy log) sees that the model
 * got less context than it should. Header values must be one line of
 * Latin-1 text, so the warning is cut to its first sentence and non-Latin-1 characters become "?".
 */
export function withWarningHeader(response: Response, warnings: readonly string[]): Response {
  const warning = warnings.find((text) => isContextLeftOutWarning(text));
  if (warning === undefined) return response;
  const value = warning.replace(/[^\x20-\x7e\xa0-\xff]/g, "?").slice(0, 1000);
  try {
    response.headers.set(WARNING_HEADER, value);
    return response;
  } catch {
    // Immutable headers (a Response from fetch): copy it.
    const headers = new Headers(response.headers);
    headers.set(WARNING_HEADER, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}
