// The inspector as one Fetch API handler (Request -> Response): the page, its script, and a small
// JSON API over the context store. `ctxstore inspect` serves it on a local port; a Next.js app mounts
// it with `inspectorHandler({ context, enabled, basePath })` in a catch-all route handler.
//   GET {base}/                   the page
//   GET {base}/inspector.js       the page's script (bundled, no CDN)
//   GET {base}/api/config         sources, entities and their key fields, named requests
//   GET {base}/api/assemble?...   one inspection (the shareable URL's parameters), InspectionResult JSON
//   GET {base}/api/freshness      the freshness snapshot
// It reveals stored context about any entity named in a URL, so it is off unless `enabled` says so.
import type { AnySource, ContextStore, Principal } from "@ctxstore/core";
import { isCtxError } from "@ctxstore/core";
import type { SampleRequest } from "../config/types.js";
import type { FreshnessSnapshot } from "../freshness/snapshot.js";
import { inspect } from "../inspection/inspect.js";
import { entitiesOf, keyFields, requestFromParams } from "../inspection/request.js";
import { exitCodeOf } from "../output/exit-codes.js";
import { inspectorScript } from "./assets.js";
import { inspectorHtml } from "./page.js";

/**
 * Options of `inspectorHandler`: the context store, the `enabled` check (off by default), the base
 * path, preset requests, the caller's identity (tenant, principal) and the freshness panel's data.
 */
export interface InspectorOptions {
  context: ContextStore;
  /** Off by default. `true`, or a per-request check (an admin session); false answers 404. */
  enabled?: boolean | ((request: Request) => boolean | Promise<boolean>);
  /** Path the inspector is mounted under, e.g. "/admin/context". Default "". */
  basePath?: string;
  /** Named requests offered as presets. */
  requests?: Readonly<Record<string, SampleRequest>>;
  /**
   * Who is inspecting: its tenant scopes a multi-tenant store's inspection (a `tenant` in the URL is
   * then refused: it must come from the caller's identity), its principal is checked against
   * sources' readers. Inspections run for purpose "inspection", so tagged PII is masked unless the
   * policy keeps it for this principal (`unredactedFor`). A `purpose` chosen in the page is only
   * previewed: its prompt is shown with inspection's masking on top (docs/governance.md).
   */
  identify?: (
    request: Request,
  ) =>
    | { tenant?: string; principal?: Principal }
    | undefined
    | Promise<{ tenant?: string; principal?: Principal } | undefined>;
  /** The freshness panel's data. */
  freshness?: () => Promise<FreshnessSnapshot> | FreshnessSnapshot;
}

/**
 * The inspector's `/api/config` answer: the sources (tier, section, maxAge in ms), entities and their
 * key fields, the preset requests and the encoding.
 */
export interface InspectorConfigResponse {
  readonly sources: ReadonlyArray<{
    name: string;
    tier: string;
    section: string;
    label: string;
    maxAgeMs: number | null;
    required: boolean;
  }>;
  readonly entities: ReadonlyArray<{ name: string; fields: string[] }>;
  readonly requests: Readonly<Record<string, SampleRequest>>;
  readonly encoding: string;
}

const INSPECTION = "inspection";

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * A Fetch API handler (`(request: Request) => Promise<Response>`) serving the inspector under
 * `basePath`: the page, its script and its JSON API (`/api/config`, `/api/assemble`, freshness). It
 * answers 404 unless `enabled` is `true` or returns true for the request; a bad inspection request
 * answers 400 with the typed error.
 *
 * ```ts
 * export const GET = inspectorHandler({ context: ctx, basePath: "/admin/context", enabled: isAdmin });
 * ```
 */
export function inspectorHandler(options: InspectorOptions): (request: Request) => Promise<Response> {
  const base = (options.basePath ?? "").replace(/\/+$/, "");
  const { context } = options;
  return async (request) => {
    const allowed =
      typeof options.enabled === "function" ? await options.enabled(request) : options.enabled === true;
    if (!allowed) {
      return json(404, {
        error: {
          code: "not_found",
          message: "The context inspector is disabled. Enable it explicitly for trusted callers only.",
        },
      });
    }
    const url = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD")
      return json(405, { error: { code: "method_not_allowed", message: "The inspector only answers GET." } });
    const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) || "/" : undefined;
    switch (path) {
      case "/":
        return new Response(inspectorHtml(base), {
          headers: {
            ...SECURITY_HEADERS,
            "content-type": "text/html; charset=utf-8",
            "content-security-policy":
              "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'",
          },
        });
      case "/inspector.js":
        return new Response(await inspectorScript(), {
          headers: { ...SECURITY_HEADERS, "content-type": "text/javascript; charset=utf-8" },
        });
      case "/api/config":
        return json(200, describeConfig(context, options.requests ?? {}));
      case "/api/assemble":
        try {
          const fromUrl = requestFromParams(url.searchParams, context);
          if (context.tenancy === "multi" && fromUrl.tenant !== undefined) {
            return json(400, {
              error: {
                code: "CTX_INVALID_REQUEST",
                message:
                  "This store is multi-tenant: the tenant comes from the caller's identity (inspectorHandler({ identify })), never from the URL. Drop the tenant parameter.",
              },
            });
          }
          const caller = (await options.identify?.(request)) ?? {};
          const { tenant: _urlTenant, purpose: chosen, ...rest } = fromUrl;
          const tenant = context.tenancy === "multi" ? caller.tenant : fromUrl.tenant;
          // Always run for "inspection" (its policy and audit); another purpose is only previewed,
          // so choosing "serving" never unmasks what inspection masks for this principal.
          const inspection = {
            ...rest,
            ...(tenant === undefined ? {} : { tenant }),
            ...(caller.principal === undefined ? {} : { principal: caller.principal }),
            purpose: INSPECTION,
            ...(chosen === undefined || chosen === INSPECTION ? {} : { previewPurpose: chosen }),
          };
          return json(200, await inspect(context, inspection, request.signal));
        } catch (error) {
          return errorResponse(error);
        }
      case "/api/freshness":
        try {
          if (!options.freshness)
            return json(200, { unavailable: "The inspector was mounted without a freshness provider." });
          return json(200, await options.freshness());
        } catch (error) {
          return errorResponse(error);
        }
      default:
        return json(404, { error: { code: "not_found", message: `No inspector route ${url.pathname}.` } });
    }
  };
}

/** The inspector's `/api/config` answer for a context store and its preset requests. */
export function describeConfig(
  context: ContextStore,
  requests: Readonly<Record<string, SampleRequest>>,
): InspectorConfigResponse {
  return {
    sources: [...context.sources.values()].map((source) => {
      const definition = source as AnySource;
      return {
        name: definition.name,
        tier: definition.tier,
        section: definition.section.title,
        label: definition.label,
        maxAgeMs: definition.maxAgeMs ?? null,
        required: definition.required,
      };
    }),
    entities: [...entitiesOf(context).values()].map((entity) => ({
      name: entity.name,
      fields: keyFields(entity),
    })),
    requests,
    encoding: context.encoding,
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8" },
  });
}

function errorResponse(error: unknown): Response {
  if (isCtxError(error)) {
    const status = exitCodeOf(error) === 2 ? 400 : error.code === "CTX_REQUIRED_UNAVAILABLE" ? 503 : 500;
    const { usage: _usage, ...details } = error.details as Record<string, unknown>;
    return json(status, { error: { code: error.code, message: error.message, details } });
  }
  return json(500, {
    error: { code: "CTX_INTERNAL", message: error instanceof Error ? error.message : String(error) },
  });
}
