// The inspection route: a JSON view of what ctxstore would assemble for a given user right now (the
// trace: each source's status, age, tokens and outcome, plus the packed text). It reveals stored
// context about any entity named in the URL, so it is off unless `enabled` is set explicitly, and
// `enabled` can be a function that checks an admin session.
import {
  type Budget,
  type ContextStore,
  DEFAULT_BUDGET,
  type Duration,
  mergeRequestLayers,
  type Principal,
} from "@ctxstore/core";
import { type Identify, resolveIdentity } from "./identity.js";
import { ctxErrorResponse, errorResponse, jsonResponse } from "./responses.js";
import { checkAssemblyOptions } from "./with-context.js";

/**
 * Options of `inspectRoute`: the context store, the `enabled` check (off by default), who is
 * inspecting (`identify`), the purpose and default budget.
 */
export interface InspectRouteOptions {
  contextStore: ContextStore;
  /** Off by default. `true`, or a per-request check (e.g. an admin cookie); false → 404. */
  enabled?: boolean | ((request: Request) => boolean | Promise<boolean>);
  /**
   * Who is inspecting: its `tenant` scopes the inspection and its `principal` is checked against
   * sources' readers (its `keys` are not used; the URL names the entity inspected). The tenant is
   * never read from the URL. Required on a multi-tenant store.
   */
  identify?: Identify;
  /** Purpose the inspection runs for: its redaction policy applies. Default "inspection" (masks PII). */
  purpose?: string;
  /** Budget when the URL has no `maxTokens`. Default core's `DEFAULT_BUDGET` ({ maxTokens: 1500 }). */
  budget?: Budget | undefined;
  deadline?: Duration | undefined;
  /** Include each source's resolved value (raw stored data) in the answer. Default false. */
  includeValues?: boolean;
}

const RESERVED = new Set(["keys", "query", "maxTokens", "sources"]);

/**
 * `export const GET = inspectRoute({ contextStore, enabled: process.env.NODE_ENV !== "production" })`, then
 * `GET /api/context?user.userId=u1&session.sessionId=s9&query=trail+shoes` (or `?keys={"user":{"userId":"u1"}}`).
 */
export function inspectRoute(options: InspectRouteOptions): (request: Request) => Promise<Response> {
  const { enabled = false } = options;
  checkAssemblyOptions(options, "inspectRoute");
  return async (request) => {
    const allowed = typeof enabled === "function" ? await enabled(request) : enabled === true;
    if (!allowed) {
      return errorResponse(404, {
        error: "not_found",
        message:
          "Context inspection is disabled. Enable it explicitly with inspectRoute({ enabled }) for trusted callers only.",
      });
    }
    const url = new URL(request.url);
    if (url.searchParams.has("tenant")) {
      return errorResponse(400, {
        error: "invalid_request",
        message:
          "The tenant comes from the caller's identity, never from the URL: drop the tenant parameter and pass inspectRoute({ identify }).",
      });
    }
    let caller: { tenant?: string | undefined; principal?: Principal | undefined } = {};
    if (options.identify) {
      const identified = await resolveIdentity(options.identify, request);
      if (!identified.ok) return identified.response;
      caller = { tenant: identified.identity.tenant, principal: identified.identity.principal };
    }
    const parsed = parseInspectQuery(url.searchParams, (options.budget ?? DEFAULT_BUDGET).maxTokens);
    if ("error" in parsed) return errorResponse(400, { error: "invalid_request", message: parsed.error });
    try {
      const { maxTokens, ...fromUrl } = parsed;
      // An operator's view: on a freshly started server it waits for the tokenizer rather than
      // spending the inspected request's deadline on it.
      await options.contextStore.ready();
      const result = await options.contextStore.assemble(
        mergeRequestLayers([
          { deadline: options.deadline },
          { ...fromUrl, budget: { maxTokens } },
          { ...caller, purpose: options.purpose ?? "inspection" },
          { signal: request.signal },
        ]),
      );
      return jsonResponse({
        text: result.text,
        tokens: result.tokens,
        sections: result.sections.map(({ title, tokens, sources }) => ({ title, tokens, sources })),
        trace: result.trace,
        ...(options.includeValues ? { values: result.values } : {}),
      });
    } catch (error) {
      const response = ctxErrorResponse(error);
      if (response) return response;
      throw error;
    }
  };
}

interface InspectQuery {
  keys: Record<string, unknown>;
  maxTokens: number;
  query?: string | undefined;
  sources?: string[] | undefined;
}

/** Reads keys (`entity.field=value` pairs or a `keys` JSON object) and options from search params. */
export function parseInspectQuery(
  params: URLSearchParams,
  defaultMaxTokens: number,
): InspectQuery | { error: string } {
  const keys: Record<string, Record<string, string> | unknown> = {};
  const rawKeys = params.get("keys");
  if (rawKeys !== null) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(rawKeys);
    } catch {
      return { error: '`keys` must be a JSON object like {"user":{"userId":"u1"}}.' };
    }
    if (decoded === null || typeof decoded !== "object" || Array.isArray(decoded)) {
      return { error: '`keys` must be a JSON object like {"user":{"userId":"u1"}}.' };
    }
    Object.assign(keys, decoded);
  }
  for (const [name, value] of params) {
    if (RESERVED.has(name)) continue;
    const dot = name.indexOf(".");
    if (dot <= 0 || dot === name.length - 1) {
      return {
        error: `Unknown parameter "${name}": name entity keys as <entity>.<field>=value (e.g. user.userId=u1), or use keys, query, maxTokens, sources (the tenant comes from the caller's identity).`,
      };
    }
    const entity = name.slice(0, dot);
    const field = name.slice(dot + 1);
    const existing = keys[entity];
    const entityKey =
      existing !== null && typeof existing === "object" ? (existing as Record<string, string>) : {};
    entityKey[field] = value;
    keys[entity] = entityKey;
  }
  if (Object.keys(keys).length === 0) {
    return { error: 'Name at least one entity key, e.g. ?user.userId=u1 or ?keys={"user":{"userId":"u1"}}.' };
  }
  const maxTokensParam = params.get("maxTokens");
  const maxTokens = maxTokensParam === null ? defaultMaxTokens : Number(maxTokensParam);
  if (!Number.isInteger(maxTokens) || maxTokens < 1)
    return { error: `maxTokens must be a positive integer; got ${JSON.stringify(maxTokensParam)}.` };
  const query = params.get("query") ?? undefined;
  const sourcesParam = params.get("sources");
  const sources = sourcesParam
    ? sourcesParam
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean)
    : undefined;
  return { keys, maxTokens, query, sources: sources?.length ? sources : undefined };
}
