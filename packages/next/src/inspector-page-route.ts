// The inspector page (from @ctxstore/cli) as an App Router route handler, behind the same `enabled`
// check as the inspection route: off unless enabled, and `enabled` can check an admin session per
// request. Mount it on a catch-all route so the page, its script and its API share one base path:
//   // app/admin/context/[[...path]]/route.ts
//   export const GET = inspectorPageRoute({ contextStore: shop, basePath: "/admin/context", enabled: isAdmin });
// @ctxstore/cli is an optional peer dependency, loaded on the first allowed request.
import type { InspectorOptions } from "@ctxstore/cli";
import type { ContextStore } from "@ctxstore/core";
import type { InspectRouteOptions } from "./inspect-route.js";
import { errorResponse } from "./responses.js";

/**
 * Options of `inspectorPageRoute`: those of `@ctxstore/cli`'s `inspectorHandler`, with the context
 * store as `contextStore` and the same `enabled` check as `inspectRoute`.
 */
export interface InspectorPageRouteOptions extends Omit<InspectorOptions, "enabled" | "context"> {
  /** The context store to inspect (the same option name as every other route helper). */
  contextStore: ContextStore;
  /** Off by default. `true`, or a per-request check (e.g. an admin cookie); false → 404. */
  enabled?: InspectRouteOptions["enabled"];
}

/**
 * The inspector page (from `@ctxstore/cli`, loaded on the first allowed request) as an App Router
 * route handler; mount it on a catch-all route. Answers 404 unless `enabled` is `true` or returns true.
 *
 * ```ts
 * // app/admin/context/[[...path]]/route.ts
 * export const GET = inspectorPageRoute({ contextStore: shop, basePath: "/admin/context", enabled: isAdmin });
 * ```
 */
export function inspectorPageRoute(
  options: InspectorPageRouteOptions,
): (request: Request) => Promise<Response> {
  const { enabled = false, contextStore, ...inspector } = options;
  let handler: Promise<(request: Request) => Promise<Response>> | undefined;
  return async (request) => {
    const allowed = typeof enabled === "function" ? await enabled(request) : enabled === true;
    if (!allowed) {
      return errorResponse(404, {
        error: "not_found",
        message:
          "The context inspector page is disabled. Enable it explicitly with inspectorPageRoute({ enabled }) for trusted callers only.",
      });
    }
    handler ??= import("@ctxstore/cli").then(
      ({ inspectorHandler }) => inspectorHandler({ ...inspector, context: contextStore, enabled: true }),
      (error: unknown) => {
        handler = undefined;
        throw error;
      },
    );
    return (await handler)(request);
  };
}
