// JSON error responses shared by every route helper: one body shape (`{ error, message, ... }`) so
// browsers and API clients can branch on a stable `error` string, and one mapping from ctxstore's
// typed errors to HTTP statuses.
import { type CtxErrorCode, isCtxError } from "@ctxstore/core";

/** The body of every error response these helpers produce. */
export interface ErrorBody {
  /** Stable, machine-readable: `invalid_json`, `invalid_event`, `payload_too_large`, `context_unavailable`... */
  readonly error: string;
  /** What went wrong and what to do about it. */
  readonly message: string;
  readonly [detail: string]: unknown;
}

const NO_STORE = { "cache-control": "no-store" } as const;

/** A JSON Response (`cache-control: no-store` unless `headers` says otherwise); `status` default 200. */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { ...NO_STORE, ...headers } });
}

/** A JSON error Response with the shared body shape `{ error, message, ... }`. */
export function errorResponse(
  status: number,
  body: ErrorBody,
  headers: Record<string, string> = {},
): Response {
  return jsonResponse(body, status, headers);
}

/**
 * HTTP status for a ctxstore error. Bad keys or requests are the caller's fault (400); an
 * unavailable required source or store is temporary (503, retry); anything else is a server-side
 * configuration problem (500), such as a budget too small for the required context.
 */
export function statusForCtxError(code: CtxErrorCode): number {
  switch (code) {
    case "CTX_INVALID_KEY":
    case "CTX_INVALID_REQUEST":
    case "CTX_INVALID_VALUE":
    case "CTX_INVALID_EVENT":
    case "CTX_UNKNOWN_ENTITY":
    case "CTX_TENANT_REQUIRED":
      return 400;
    case "CTX_VALUE_TOO_LARGE":
      return 413;
    case "CTX_REQUIRED_UNAVAILABLE":
    case "CTX_STORE_UNAVAILABLE":
    case "CTX_TIMEOUT":
      return 503;
    default:
      return 500;
  }
}

/**
 * The answer a browser gets for an unavailable context. The error's own message names servers and
 * addresses (useful in logs, not for clients), so clients get the code and what to do.
 */
export const UNAVAILABLE_MESSAGE =
  "The context this request needs is unavailable right now; nothing was done. Retry shortly.";

/**
 * Converts a ctxstore error caused by the request (400, 413) or by a temporarily unavailable
 * context (503) into its JSON response. Returns undefined for anything else, including ctxstore
 * configuration errors (500 class), so the caller rethrows it: Next.js logs it and answers 500
 * without leaking its message.
 */
export function ctxErrorResponse(error: unknown): Response | undefined {
  if (!isCtxError(error)) return undefined;
  const status = statusForCtxError(error.code);
  if (status === 503) {
    return errorResponse(
      503,
      { error: "context_unavailable", code: error.code, message: UNAVAILABLE_MESSAGE },
      { "retry-after": "1" },
    );
  }
  if (status === 400 || status === 413) {
    return errorResponse(status, {
      error: status === 400 ? "invalid_request" : "payload_too_large",
      code: error.code,
      message: error.message,
    });
  }
  return undefined;
}
